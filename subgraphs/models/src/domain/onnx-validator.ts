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
  tenantId: string;
  job: ValidationJob;
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
 * threads, its memory transferred there and back. At most `threads` run at once (how many can wait
 * is bounded by the upload memory budget, which every file here holds). The threads serve every
 * tenant, so a tenant validates at most all threads but one at once (one with one or two threads),
 * and waiting files are taken in turns by tenant — the tenant served least recently first, each
 * tenant's own files in order: one tenant's queue of large files makes another tenant's file wait
 * for at most a file of each tenant ahead of it, not for the whole queue.
 */
export class OnnxValidator {
  private readonly threads = new Set<Thread>();
  /** Waiting files per tenant, each tenant's in order. */
  private readonly waiting = new Map<string, Pending[]>();
  /** Per tenant with files waiting or on a thread: how many are on a thread, and when it was last given one. */
  private readonly tenants = new Map<string, { running: number; servedAt: number }>();
  private readonly perTenant: number;
  private nextId = 1;
  private turns = 0;
  private closed = false;

  constructor(private readonly options: OnnxValidatorOptions) {
    this.perTenant = Math.max(1, options.threads - 1);
  }

  async validate(bytes: Buffer, tenantId: string): Promise<ValidatedModelFile> {
    if (bytes.length < this.options.inlineBelowBytes || this.options.threads === 0) {
      return { bytes, info: validateOnnx(bytes), sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    if (this.closed) throw new TesseraError('SERVICE_UNAVAILABLE', 'The models service is stopping; send this upload again.');
    // Only memory the buffer owns whole can move to another thread (a pooled slice would take its neighbours).
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
    const length = owned.length; // read now: once transferred, `owned` is empty
    const reply = await new Promise<ValidationReply>((resolve, reject) => {
      this.enqueue({ tenantId, job: { id: this.nextId++, buffer: owned.buffer as ArrayBuffer, length }, resolve, reject });
      this.dispatch();
    });
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
    const waiting = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const pending of waiting) pending.reject(new TesseraError('SERVICE_UNAVAILABLE', 'The models service is stopping; send this upload again.'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
    this.threads.clear();
  }

  private enqueue(pending: Pending): void {
    const queue = this.waiting.get(pending.tenantId);
    if (queue) queue.push(pending);
    else this.waiting.set(pending.tenantId, [pending]);
    if (!this.tenants.has(pending.tenantId)) this.tenants.set(pending.tenantId, { running: 0, servedAt: 0 });
  }

  /** The next file to validate: of the tenant below its share served least recently (then the oldest file). */
  private next(): Pending | undefined {
    let chosen: { tenantId: string; queue: Pending[]; servedAt: number } | undefined;
    for (const [tenantId, queue] of this.waiting) {
      const state = this.tenants.get(tenantId)!;
      if (state.running >= this.perTenant) continue;
      if (!chosen || state.servedAt < chosen.servedAt || (state.servedAt === chosen.servedAt && queue[0]!.job.id < chosen.queue[0]!.job.id)) {
        chosen = { tenantId, queue, servedAt: state.servedAt };
      }
    }
    if (!chosen) return undefined;
    const pending = chosen.queue.shift()!;
    if (chosen.queue.length === 0) this.waiting.delete(chosen.tenantId);
    const state = this.tenants.get(chosen.tenantId)!;
    state.running += 1;
    state.servedAt = ++this.turns;
    return pending;
  }

  /** A file left its thread (answered or lost): its tenant's share is free again. */
  private finished(pending: Pending): void {
    const state = this.tenants.get(pending.tenantId);
    if (!state) return;
    state.running -= 1;
    if (state.running <= 0 && !this.waiting.has(pending.tenantId)) this.tenants.delete(pending.tenantId);
  }

  private dispatch(): void {
    while (this.waiting.size > 0) {
      const thread = [...this.threads].find((candidate) => candidate.current === undefined) ?? (this.threads.size < this.options.threads && this.hasTurn() ? this.startThread() : undefined);
      if (!thread) return;
      const pending = this.next();
      if (!pending) return;
      thread.current = pending;
      thread.worker.postMessage(pending.job, [pending.job.buffer]);
    }
  }

  /** Whether a waiting file's tenant is below its share (a thread is started only for such a file). */
  private hasTurn(): boolean {
    for (const tenantId of this.waiting.keys()) if (this.tenants.get(tenantId)!.running < this.perTenant) return true;
    return false;
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
      if (pending) this.finished(pending);
      pending?.resolve(reply);
      this.dispatch();
    });
    const lost = (error: Error) => {
      if (!this.threads.delete(thread)) return;
      const pending = thread.current;
      thread.current = undefined;
      if (pending) this.finished(pending);
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
