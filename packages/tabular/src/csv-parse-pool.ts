import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { errors, isErrorCode, TesseraError, type ErrorDetails } from '@tessera/errors';
import type { CsvProfile } from './csv-profiler';
import { resolveCsvLimits, type CsvLimits } from './limits';
import type { FromWorker, ToWorker, WireError } from './worker/csv-parse-protocol';

// The thread's entry sits beside this file: worker/csv-parse-worker.main.ts in the source tree,
// .js in the compiled one, which the image runs with plain node.
const fromSource = __filename.endsWith('.ts');
const workerEntry = join(__dirname, 'worker', `csv-parse-worker.main${fromSource ? '.ts' : '.js'}`);

export interface CsvParsePoolOptions {
  /** Worker threads parsing CSV, shared by every tenant (default: the CPUs less one, at least 3, at most 8; started on first use). */
  workers?: number;
  /** Threads one tenant may hold at once (default: all but one, at least 1). */
  perTenant?: number;
  /** How long a parse may wait for a thread before it is refused RATE_LIMITED (default 10 s). */
  queueTimeoutMs?: number;
  /** Parses waiting for a thread, per tenant (default 8); one more is refused at once. */
  maxQueuedPerTenant?: number;
  /** Old-generation heap of each thread in MiB (default `defaultCsvParseWorkerHeapMb`); a thread over it dies, failing only its parse. */
  workerHeapMb?: number;
  /** Told when a thread dies (`reason`: csvParseWorkerOutOfMemory or csvParseWorkerExited), e.g. to log it. */
  onThreadLost?: (info: { reason: string; threadId: number; parsing: boolean }) => void;
}

/**
 * Old-generation heap of each thread when none is given, MiB: every thread's heap is bounded, so
 * the threads of a process together are (threads × heap, which a container limit can cover). Far
 * above what a parse holds (a row at a time, at most 1 000 fields of at most 1 MiB each as text,
 * and the profile's counters); a file whose rows need more is CSV_TOO_COMPLEX.
 */
export const defaultCsvParseWorkerHeapMb = 128;

interface Waiter {
  tenant: string;
  grant(lane: Lane): void;
  refuse(error: Error): void;
  timer: NodeJS.Timeout;
}

let nextSession = 1;

/**
 * Parses and validates CSV off the service's event loop: a bounded set of worker threads shared by
 * all tenants, each running one parse at a time, the same CsvProfiler / CsvStreamValidator rules as
 * in process (same errors, same limits). A tenant holds at most `perTenant` threads, so one tenant's
 * big uploads never take them all; a parse that finds none free waits in a first-come-first-served
 * queue (a tenant at its cap does not hold up the others behind it) for at most `queueTimeoutMs`,
 * then is refused RATE_LIMITED (`limit: "csvParseWorkers"`, retryable). Chunks are copied once into
 * a buffer that is transferred, not cloned, and the next chunk goes only when the thread has parsed
 * the previous one, so memory per parse stays one chunk plus the stream's buffer. A thread that
 * dies fails only the parse it was running (INTERNAL_SERVER_ERROR) and is replaced on next use.
 */
export class CsvParsePool {
  readonly workers: number;
  readonly perTenant: number;
  private readonly queueTimeoutMs: number;
  private readonly maxQueuedPerTenant: number;
  private readonly lanes: Lane[];
  private readonly held = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  private closed = false;

  constructor(options: CsvParsePoolOptions = {}) {
    this.workers = Math.max(1, options.workers ?? Math.max(3, Math.min(8, availableParallelism() - 1)));
    this.perTenant = Math.max(1, Math.min(this.workers, options.perTenant ?? this.workers - 1));
    this.queueTimeoutMs = options.queueTimeoutMs ?? 10_000;
    this.maxQueuedPerTenant = options.maxQueuedPerTenant ?? 8;
    this.lanes = Array.from({ length: this.workers }, () => new Lane(options.workerHeapMb ?? defaultCsvParseWorkerHeapMb, options.onThreadLost));
  }

  /**
   * A thread for one parse of `tenant`'s: resolves once one is free for it; RATE_LIMITED when the
   * tenant's threads and the queue stay full. Release it (`release()`, or through the parse it runs).
   */
  async acquire(tenant: string): Promise<CsvParseThread> {
    const lane = await this.take(tenant);
    return new CsvParseThread(lane, () => this.release(tenant, lane));
  }

  /** Threads held by a tenant's parses right now (tests, metrics). */
  inUse(tenant: string): number {
    return this.held.get(tenant) ?? 0;
  }

  /** Thread ids of the live worker threads (tests). */
  threadIds(): number[] {
    return this.lanes.flatMap((lane) => (lane.threadId === undefined ? [] : [lane.threadId]));
  }

  /** The heap limits Node gave each live thread, MiB (tests). */
  threadHeapLimitsMb(): number[] {
    return this.lanes.flatMap((lane) => (lane.heapLimitMb === undefined ? [] : [lane.heapLimitMb]));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.refuse(errors.unavailable('The service is shutting down.'));
    }
    await Promise.all(this.lanes.map((lane) => lane.terminate()));
  }

  private take(tenant: string): Promise<Lane> {
    if (this.closed) return Promise.reject(errors.unavailable('The service is shutting down.'));
    const free = this.freeLaneFor(tenant);
    if (free) {
      this.hold(tenant, free);
      return Promise.resolve(free);
    }
    const queued = this.queue.filter((waiter) => waiter.tenant === tenant).length;
    if (queued >= this.maxQueuedPerTenant || this.queueTimeoutMs === 0) return Promise.reject(this.refusal(tenant));
    return new Promise<Lane>((resolve, reject) => {
      const waiter: Waiter = {
        tenant,
        grant: (lane) => {
          clearTimeout(waiter.timer);
          resolve(lane);
        },
        refuse: reject,
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(this.refusal(tenant));
        }, this.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  private freeLaneFor(tenant: string): Lane | undefined {
    if ((this.held.get(tenant) ?? 0) >= this.perTenant) return undefined;
    return this.lanes.find((lane) => !lane.busy);
  }

  private hold(tenant: string, lane: Lane): void {
    lane.busy = true;
    this.held.set(tenant, (this.held.get(tenant) ?? 0) + 1);
  }

  private release(tenant: string, lane: Lane): void {
    lane.busy = false;
    const count = (this.held.get(tenant) ?? 1) - 1;
    if (count > 0) this.held.set(tenant, count);
    else this.held.delete(tenant);
    // The first waiter whose tenant has room gets the thread.
    for (let i = 0; i < this.queue.length; i++) {
      const waiter = this.queue[i]!;
      const free = this.freeLaneFor(waiter.tenant);
      if (!free) continue;
      this.queue.splice(i, 1);
      this.hold(waiter.tenant, free);
      waiter.grant(free);
      return;
    }
  }

  private refusal(tenant: string): TesseraError {
    const held = this.inUse(tenant);
    const message =
      held >= this.perTenant
        ? `Your tenant already has ${held} CSV files being checked on this service (at most ${this.perTenant} at once); retry when one has finished.`
        : 'Every CSV checking thread of this service is busy; retry in a moment.';
    return new TesseraError('RATE_LIMITED', message, { retryAfterSeconds: 1, limit: 'csvParseWorkers', limitValue: this.perTenant });
  }
}

/** One held pool thread: runs one parse (a profile or the first rows), then is released. */
export class CsvParseThread {
  private released = false;

  constructor(
    private readonly lane: Lane,
    private readonly releaseLane: () => void,
  ) {}

  /** A Writable that validates and profiles a CSV exactly as CsvProfiler does; the thread is released when it ends or is destroyed. */
  profiler(limits: Partial<CsvLimits>): PooledCsvProfiler {
    return new PooledCsvProfiler(this.lane.open({ mode: 'profile', limits: resolveCsvLimits(limits) }), () => this.release());
  }

  /**
   * The header and the first `maxRows` data rows of `source`, validated chunk by chunk exactly as
   * parseCsvRows does (a bad chunk fails even past `maxRows`); reading stops once they are in.
   * `maxBytes` bounds the rows' values as a JSON answer carries them (UTF-8 bytes with their escapes,
   * all rows together, see answerBytesOf): the row that would pass it and every row after it are
   * left out and reading stops there — a value may be 1 MiB and a row a thousand of them, so
   * `maxRows` alone let one answer hold most of a 100 MiB file. `maxReadBytes` bounds what is read
   * for them once the header is in (the header is read whole: the answer names the columns): past
   * it, the rows complete so far are the answer. Rows that fit `maxBytes` take about as many bytes
   * of the file; without it, a row too large to answer was parsed to its end for every preview (a
   * first row of 16 MB took a thread 2–30 s for an answer of no rows).
   */
  async firstRows(
    source: AsyncIterable<Uint8Array | string>,
    limits: Partial<CsvLimits>,
    maxRows: number,
    maxBytes = Number.POSITIVE_INFINITY,
    maxReadBytes = Number.POSITIVE_INFINITY,
  ): Promise<{ columns: string[]; rows: string[][] }> {
    const session = this.lane.open({ mode: 'rows', limits: resolveCsvLimits(limits), maxRows });
    let columns: string[] = [];
    const rows: string[][] = [];
    let bytes = 0;
    let full = false;
    const take = (answer: Answer) => {
      if (answer.columns) columns = answer.columns;
      for (const row of answer.rows ?? []) {
        if (full || rows.length >= maxRows) break;
        const size = answerBytesOf(row, maxBytes - bytes);
        if (bytes + size > maxBytes) {
          full = true;
          break;
        }
        bytes += size;
        rows.push(row);
      }
    };
    let read = 0;
    try {
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        take(await session.write(bytes));
        read += bytes.byteLength;
        if (full || rows.length >= maxRows || (read >= maxReadBytes && columns.length > 0)) return { columns, rows };
      }
      take(await session.end());
      return { columns, rows };
    } finally {
      session.close();
      this.release();
    }
  }

  /** Gives the thread back (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.releaseLane();
  }
}

/** A character JSON.stringify writes escaped: a C0 control, a double quote or a backslash. */
const escapedInJson = /[\u0000-\u001f"\\]/;

/**
 * The bytes a row's values take in a JSON answer: their UTF-8 bytes, and one more for each `\"`,
 * `\\`, `\b`, `\t`, `\n`, `\f` or `\r`, five more for each other control character (`\u0001`).
 * Counted as plain UTF-8, a value of control characters answered six times the bytes counted (eight
 * aliased previews of a version of U+0001 answered 50 MB under a 1 MiB bound each). Stops counting
 * once past `ceiling` (the answer has no room for the row then), so a huge row is not walked through.
 */
export function answerBytesOf(row: readonly string[], ceiling: number): number {
  let bytes = 0;
  for (const value of row) {
    bytes += Buffer.byteLength(value, 'utf8');
    if (bytes > ceiling) return bytes;
    if (!escapedInJson.test(value)) continue;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) bytes += 1;
      else if (c < 0x20) bytes += 5;
    }
    if (bytes > ceiling) return bytes;
  }
  return bytes;
}

/** One worker thread, started on first use and again after it died; one session at a time. */
export class Lane {
  busy = false;
  private worker: Worker | undefined;
  private session: Session | undefined;

  constructor(
    private readonly heapMb: number,
    private readonly onLost: CsvParsePoolOptions['onThreadLost'],
  ) {}

  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** The old-generation limit the live thread runs under, as Node reports it. */
  get heapLimitMb(): number | undefined {
    return this.worker?.resourceLimits?.maxOldGenerationSizeMb;
  }

  open(open: { mode: 'profile'; limits: CsvLimits } | { mode: 'rows'; limits: CsvLimits; maxRows: number }): Session {
    const worker = this.start();
    const session = new Session(nextSession++, worker, () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    worker.postMessage({ type: 'open', session: session.id, ...open } satisfies ToWorker);
    return session;
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const options = { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } };
    // A thread does not inherit tsx's loader: from source, it registers it before loading the entry.
    const worker = fromSource
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(workerEntry)});`, { eval: true, ...options })
      : new Worker(workerEntry, options);
    worker.unref(); // an idle pool never keeps the process alive
    worker.on('message', (message: FromWorker) => this.session?.receive(message));
    let reason = 'csvParseWorkerExited';
    // An uncaught error or running out of its heap; the exit that follows fails the parse.
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') reason = 'csvParseWorkerOutOfMemory';
    });
    const threadId = worker.threadId;
    worker.once('exit', () => {
      if (this.worker !== worker) return; // terminated by close()
      this.worker = undefined;
      const parsing = this.session !== undefined;
      this.session?.lost(reason, this.heapMb);
      this.onLost?.({ reason, threadId, parsing });
    });
    this.worker = worker;
    return worker;
  }
}

type Answer = { columns?: string[]; rows?: string[][]; profile?: CsvProfile };

/** One parse on one thread: chunks answered in order, a failure fails every chunk still unanswered. */
export class Session {
  private readonly waiting: Array<{ resolve(answer: Answer): void; reject(error: Error): void }> = [];
  private failure: Error | undefined;
  private finished = false;
  /** Told once, when the parse fails (the file, or the thread dying). */
  onFailure: ((error: Error) => void) | undefined;

  constructor(
    readonly id: number,
    private readonly worker: Worker,
    private readonly detach: () => void,
  ) {}

  write(chunk: Uint8Array): Promise<Answer> {
    // A copy in a buffer of its own: the caller's chunk may share its memory (a Buffer pool slice,
    // or the same chunk going to the encrypting upload), and a transferred buffer is gone here.
    const bytes = new Uint8Array(chunk);
    return this.ask({ type: 'chunk', session: this.id, bytes }, [bytes.buffer]);
  }

  end(): Promise<Answer> {
    return this.ask({ type: 'end', session: this.id });
  }

  /** Stops the parse (if still running) and lets the thread go. */
  close(): void {
    if (!this.finished && !this.failure) this.worker.postMessage({ type: 'abort', session: this.id } satisfies ToWorker);
    this.finished = true;
    this.detach();
  }

  receive(message: FromWorker): void {
    if (message.session !== this.id) return;
    if (message.type === 'failed') return this.fail(fromWire(message.error));
    if (message.type === 'done') this.finished = true;
    this.waiting.shift()?.resolve(message);
  }

  lost(reason: string, heapMb?: number): void {
    if (this.finished) return;
    // Out of its heap: the file holds values longer than a check may keep in memory at once (the
    // file's fault, typed, like any limit); any other end of the thread is ours.
    this.fail(
      reason === 'csvParseWorkerOutOfMemory'
        ? errors.tooLarge(`This file's rows need more than the ${heapMb ?? 0} MiB a CSV check may use: shorten its values or split its rows. Nothing was stored.`, {
            reason: 'CSV_TOO_COMPLEX',
            maxHeapMb: heapMb ?? 0,
          })
        : new TesseraError('INTERNAL_SERVER_ERROR', 'The CSV check stopped unexpectedly; nothing was stored. Try again; if it keeps failing, contact the operator with the request id.', {
            reason,
          }),
    );
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
    this.onFailure?.(error);
  }

  private ask(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }
}

function fromWire(error: WireError): Error {
  if (error.code && isErrorCode(error.code)) {
    const { code: _code, ...details } = error.extensions ?? {};
    return new TesseraError(error.code, error.message, details as ErrorDetails);
  }
  return new Error(error.message);
}

/** Chunks a PooledCsvProfiler has on its thread at once: one being parsed, one already there to go on with. */
const chunksInFlight = 2;

/**
 * CsvProfiler's contract (a Writable whose `result()` gives the profile or the error that stopped
 * it), with the parsing on a pool thread. What arrives while the thread is busy is sent on as one
 * chunk (`_writev`), and a write is acknowledged once at most `chunksInFlight` chunks are unparsed,
 * so a slow thread slows the source and memory stays bounded. A failure destroys the stream at once.
 */
export class PooledCsvProfiler extends Writable {
  private readonly outcome: Promise<CsvProfile>;
  private settle!: { resolve(profile: CsvProfile): void; reject(error: Error): void };
  private readonly inFlight: Array<Promise<unknown>> = [];
  private done = false;
  private released = false;

  constructor(
    private readonly session: Session,
    private readonly releaseThread: () => void,
  ) {
    super({ highWaterMark: 64 * 1024, decodeStrings: true });
    this.outcome = new Promise<CsvProfile>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.outcome.catch(() => {}); // a caller that only listens to 'error' must not get an unhandled rejection
    session.onFailure = (error) => this.destroy(error);
  }

  result(): Promise<CsvProfile> {
    return this.outcome;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.send(Buffer.concat(chunks.map((entry) => entry.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    Promise.all(this.inFlight.splice(0))
      .then(() => this.session.end())
      .then(
        (answer) => {
          this.done = true;
          this.settle.resolve(answer.profile!);
          this.free();
          callback();
        },
        (error: Error) => callback(error),
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.free();
    if (error) this.settle.reject(error);
    else if (!this.done) this.settle.reject(errors.badInput('The upload stopped before the whole CSV file was received.'));
    callback(error);
  }

  private send(bytes: Buffer, callback: (error?: Error | null) => void): void {
    const answer = this.session.write(bytes);
    answer.catch(() => undefined); // reported through onFailure, the next write or _final
    this.inFlight.push(answer);
    if (this.inFlight.length < chunksInFlight) return callback();
    this.inFlight.shift()!.then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  private free(): void {
    if (this.released) return;
    this.released = true;
    this.session.close();
    this.releaseThread();
  }
}
