import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { errors, TesseraError, type ErrorCode, type ErrorDetails } from '@tessera/errors';
import type { StoredModelInfo } from '../data/tensor-signature';
import { validateOnnx } from './onnx-validation';

export interface ValidationJob {
  id: number;
  buffer: ArrayBuffer;
  length: number;
}

export type ValidationReply = { id: number; buffer: ArrayBuffer } & (
  | { result: { info: StoredModelInfo; sha256: string }; error?: undefined }
  | { result?: undefined; error: { code: ErrorCode; message: string; extensions: ErrorDetails } }
);

export interface ValidatedModelFile {
  /** The same memory as the bytes given (it went to a thread and came back). */
  bytes: Buffer;
  info: StoredModelInfo;
  sha256: string;
}

export interface OnnxValidatorOptions {
  /** Threads that validate at once; more files wait for one. */
  threads: number;
  /** Files smaller than this are validated on the calling thread (a thread's round trip would cost more than it saves). */
  inlineBelowBytes: number;
  /** Each thread's heap cap (V8's old generation, MiB): a file whose decoding needs more is refused, the thread replaced. */
  maxHeapMb?: number;
}

// From source (tsx: `npm start`, the tests) the thread loads the .ts entry through tsx; compiled, the .js one with plain node.
const fromSource = __filename.endsWith('.ts');
const workerEntry = join(__dirname, `onnx-validation.worker${fromSource ? '.ts' : '.js'}`);

interface Pending {
  job: ValidationJob;
  tenantId: string;
  /** Files of its tenant queued or running when it arrived: its turn among the tenants' files. */
  turn: number;
  resolve(reply: ValidationReply): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  current: Pending | undefined;
}

/**
 * Validates and hashes uploaded ONNX files off the event loop that serves every tenant's
 * predictions: decoding a file is synchronous and its cost grows with its structure, not only its
 * size (a 7 MiB chain of 200 000 nodes takes about 2 s), so a large one runs on one of a few
 * threads, its memory transferred there and back. At most `threads` run at once; the others wait
 * (how many can wait is bounded by the upload memory budget, which every file here holds), and
 * tenants take turns: the next file is the one with the fewest files of its own tenant ahead of it
 * (arrival order among equals), so a tenant that queues many slow files delays its own, not the
 * next tenant's upload (first in, first out let one tenant's upload memory — ~36 files of 2 s —
 * stand in front of everyone on the default single thread).
 */
export class OnnxValidator {
  private readonly threads = new Set<Thread>();
  private readonly queue: Pending[] = [];
  /** Files queued or running, per tenant. */
  private readonly active = new Map<string, number>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: OnnxValidatorOptions) {}

  /** `tenantId`: whose upload it is (turns are taken per tenant; '' for a caller without one). */
  async validate(bytes: Buffer, tenantId = ''): Promise<ValidatedModelFile> {
    if (bytes.length < this.options.inlineBelowBytes || this.options.threads === 0) {
      return { bytes, info: validateOnnx(bytes), sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    if (this.closed) throw new TesseraError('SERVICE_UNAVAILABLE', 'The models service is stopping; send this upload again.');
    // Only memory the buffer owns whole can move to another thread (a pooled slice would take its neighbours).
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
    const length = owned.length; // read now: once transferred, `owned` is empty
    const turn = this.active.get(tenantId) ?? 0;
    this.active.set(tenantId, turn + 1);
    let reply: ValidationReply;
    try {
      reply = await new Promise<ValidationReply>((resolve, reject) => {
        this.queue.push({ job: { id: this.nextId++, buffer: owned.buffer as ArrayBuffer, length }, tenantId, turn, resolve, reject });
        this.dispatch();
      });
    } finally {
      const left = (this.active.get(tenantId) ?? 1) - 1;
      if (left > 0) this.active.set(tenantId, left);
      else this.active.delete(tenantId);
    }
    const back = Buffer.from(reply.buffer, 0, length);
    if (reply.error) throw new TesseraError(reply.error.code, reply.error.code === 'INTERNAL_SERVER_ERROR' ? 'Unexpected error.' : reply.error.message, reply.error.code === 'INTERNAL_SERVER_ERROR' ? {} : reply.error.extensions);
    return { bytes: back, info: reply.result.info, sha256: reply.result.sha256 };
  }

  /** Threads started (tests, the benchmark). */
  get threadCount(): number {
    return this.threads.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new TesseraError('SERVICE_UNAVAILABLE', 'The models service is stopping; send this upload again.'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
    this.threads.clear();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = [...this.threads].find((candidate) => candidate.current === undefined) ?? (this.threads.size < this.options.threads ? this.startThread() : undefined);
      if (!thread) return;
      const pending = this.takeNext();
      thread.current = pending;
      thread.worker.postMessage(pending.job, [pending.job.buffer]);
    }
  }

  /** The queued file with the lowest turn, the earliest of those (the queue is in arrival order). */
  private takeNext(): Pending {
    let best = 0;
    for (let index = 1; index < this.queue.length; index += 1) if (this.queue[index]!.turn < this.queue[best]!.turn) best = index;
    return this.queue.splice(best, 1)[0]!;
  }

  private startThread(): Thread {
    const resourceLimits = this.options.maxHeapMb === undefined ? undefined : { maxOldGenerationSizeMb: this.options.maxHeapMb };
    const worker = fromSource
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(workerEntry)});`, { eval: true, resourceLimits })
      : new Worker(workerEntry, { resourceLimits });
    // An idle thread does not keep the process alive; one at work is waited for by its caller's request.
    worker.unref();
    const thread: Thread = { worker, current: undefined };
    this.threads.add(thread);
    worker.on('message', (reply: ValidationReply) => {
      const pending = thread.current;
      thread.current = undefined;
      pending?.resolve(reply);
      this.dispatch();
    });
    const lost = (error: Error) => {
      if (!this.threads.delete(thread)) return;
      const pending = thread.current;
      thread.current = undefined;
      // Out of its heap: the file decodes into more than a thread may hold. The file's fault, typed;
      // the thread is gone and the next file starts a new one.
      const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      pending?.reject(
        outOfMemory
          ? errors.tooLarge(`This model's structure needs more than ${this.options.maxHeapMb ?? 0} MiB to be checked.`, { reason: 'MODEL_TOO_COMPLEX', maxHeapMb: this.options.maxHeapMb ?? 0 })
          : error,
      );
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the ONNX validation thread exited (${code})`)));
    return thread;
  }
}
