/**
 * One tenant's inference pool: its own child processes (never shared with another tenant), its
 * own queue and batcher. A timeout or crash here kills and replaces only this pool's process.
 */
import { TesseraError, type ErrorDetails } from '@tessera/errors';
import type { Context } from '@opentelemetry/api';
import { BatchQueue, type CallResult, type PendingCall } from './batch-queue';
import { inferenceErrors } from './inference-errors';
import { recordCallSpans } from './inference-tracing';
import { runComputeOf, shareOfFailure, withRunCompute } from './run-compute';
import type { TenantTier } from './inference-types';
import { residentMemoryBytes } from './process-memory';
import { mergeInputs, splitOutputs, toTypedOutputs } from './tensor-codec';
import { WorkerProcess } from './worker-process';
import type { WireTensor } from './worker/ipc-protocol';

/** The tenant's budget for its pool; may change between calls (see `applyResources`). */
export interface PoolResources {
  processes: number;
  intraOpNumThreads: number;
  maxQueued: number;
  /** Resident memory cap per process, reserved from the service's inference memory budget for each process. */
  processMemoryBytes: number;
}

/**
 * The pool's side of the service's inference memory budget (inference-memory-budget.ts): a process
 * starts only once its cap is reserved, and gives it back when it has exited.
 */
export interface ProcessMemoryReservations {
  /** Reserves one process's cap for this pool's tenant; false (nothing reserved) when there is no room. */
  tryReserve(pool: TenantPool, bytes: number): boolean;
  release(pool: TenantPool, bytes: number): void;
  /**
   * No room for a process the pool needs. Either the owner frees some (stops idle pools) and calls
   * `pool.retryStarts()` once they are gone (returns undefined), or it returns the refusal for the
   * pool's waiting calls (when the pool has no process to run them).
   */
  noRoom(pool: TenantPool, bytes: number): TesseraError | undefined;
}

export interface TenantPoolSettings {
  resources: PoolResources;
  idleStopMs: number;
  startTimeoutMs: number;
  /** Delay before a process replaces one that was the second (or later) unexpected death in a row; see inference-config. */
  restartBackoff: { baseMs: number; maxMs: number };
  sessionCacheBytes: number;
  memoryCheckIntervalMs: number;
  /** Output values one call may get back; a merged run may return this many per call in it. */
  maxOutputValues: number;
  /** Told when a process ends that the pool did not retire (crash, timeout kill): for the operator's logs. */
  onUnexpectedExit?: (poolId: string, pid: number, description: string) => void;
  /** Told when a process is killed for going over its memory cap: for the operator's logs. */
  onMemoryKill?: (poolId: string, pid: number, rssBytes: number, limitBytes: number) => void;
  /** Told when a process could not start (with its stderr): for the operator's logs. */
  onStartFailure?: (poolId: string, detail: string) => void;
  memory: ProcessMemoryReservations;
}

export interface PoolCall {
  modelKey: string;
  inputs: Record<string, WireTensor>;
  /** Rows and signature when the call may be merged; null → runs alone. */
  batchable: { signature: string; rows: number } | null;
  batching: { maxBatchSize: number; maxDelayMs: number } | false;
  timeoutMs: number;
  modelBytes: () => Promise<Uint8Array>;
  /** The caller's trace context, when its span records (see inference-tracing). */
  trace?: Context | undefined;
}

export interface WorkerStats {
  pid: number;
  busy: boolean;
  loadedModels: string[];
  sessionLoads: number;
  /** The intra-op threads its sessions are created with. */
  intraOpNumThreads: number;
  /** Resident memory at the last check (undefined before the first one, or without /proc). */
  rssBytes: number | undefined;
}

export interface PoolStats {
  id: string;
  tenantId: string;
  tier: TenantTier;
  queued: number;
  starting: number;
  /** The budget in force (from the tenant's limits at its last call). */
  resources: PoolResources;
  workers: WorkerStats[];
}

/** Consecutive failed process starts after which waiting calls are failed instead of retried. */
const maxStartAttempts = 3;

/**
 * How long a model version the runtime refused to load is answered from memory. A model key names
 * immutable bytes (version id and digest), so the refusal repeats; remembering it spares the
 * subgraph's event loop a copy of the whole file to the process, and the process a parse, on every
 * call. Bounded in time (an allocation failure under memory pressure is not permanent) and in size.
 */
const unloadableMemoryMs = 60_000;
const maxUnloadableRemembered = 64;

let soloSequence = 0;

export class TenantPool {
  private readonly queue = new BatchQueue();
  private workers: WorkerProcess[] = [];
  private readonly startups = new Set<Promise<unknown>>();
  private readonly unbatchable = new Set<string>();
  /** Model keys the runtime refused to load, with the refusal and until when it is repeated. */
  private readonly unloadable = new Map<string, { message: string; details: ErrorDetails; until: number }>();
  private startFailures = 0;
  /** Processes that ended unexpectedly since the pool last served a run. */
  private deathsInRow = 0;
  /** No process starts before this (performance.now()); 0: at once. */
  private restartNotBefore = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readyTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  /** A scheduling pass is due at the end of this tick (calls submitted in one tick are seen together). */
  private schedulePending = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private checkingMemory = false;
  private closed = false;
  private resources: PoolResources;
  /** Set while idle-stopping so those exits do not trigger replacements. */
  private readonly retiring = new WeakSet<WorkerProcess>();
  /** Bytes of the memory budget each live process holds (its cap when it started); released at its exit. */
  private readonly reservations = new Map<WorkerProcess, number>();
  /** The owner is freeing budget for this pool (see ProcessMemoryReservations.noRoom). */
  private awaitingRoom = false;
  lastUsedAt = Date.now();

  constructor(
    readonly id: string,
    readonly tenantId: string,
    readonly tier: TenantTier,
    private readonly settings: TenantPoolSettings,
  ) {
    this.resources = { ...settings.resources };
  }

  /** Has processes (running or starting). */
  get isLive(): boolean {
    return this.workers.length > 0 || this.startups.size > 0;
  }

  /** Bytes of the memory budget its live processes hold. */
  get reservedBytes(): number {
    let sum = 0;
    for (const bytes of this.reservations.values()) sum += bytes;
    return sum;
  }

  /** Nothing queued, nothing running. */
  get isIdle(): boolean {
    return this.queue.count === 0 && !this.workers.some((worker) => worker.busy);
  }

  /**
   * Adopts the tenant's current budget (read from its limits on every call). More processes start
   * when calls wait; surplus idle processes stop; processes started with another thread count are
   * replaced (threads are a session option fixed at process start) — an idle one at once, a busy
   * one when its run ends. A new memory cap applies from the next check.
   */
  applyResources(next: PoolResources): void {
    const current = this.resources;
    if (
      current.processes === next.processes &&
      current.intraOpNumThreads === next.intraOpNumThreads &&
      current.maxQueued === next.maxQueued &&
      current.processMemoryBytes === next.processMemoryBytes
    ) {
      return;
    }
    this.resources = { ...next };
    this.armMemoryTimer();
    this.schedule();
  }

  /**
   * Throws QUOTA_EXCEEDED (`maxQueuedPredictions`) when one more call would not fit in the queue.
   * Calls submitted in this tick that idle processes take at its end are not waiting for one.
   */
  assertQueueRoom(): void {
    const absorbed = this.schedulePending ? this.workers.filter((worker) => worker.isIdle).length : 0;
    const waiting = Math.max(0, this.queue.count - absorbed);
    if (waiting >= this.resources.maxQueued) throw inferenceErrors.queueFull(this.id, this.resources.maxQueued, waiting);
  }

  submit(call: PoolCall): Promise<CallResult> {
    if (this.closed) return Promise.reject(inferenceErrors.closed());
    const refused = this.knownUnloadable(call.modelKey);
    if (refused) return Promise.reject(refused);
    try {
      this.assertQueueRoom();
    } catch (error) {
      return Promise.reject(error as TesseraError);
    }
    this.lastUsedAt = Date.now();
    return new Promise<CallResult>((resolve, reject) => {
      const now = performance.now();
      const merge = call.batching !== false && call.batchable !== null && !this.unbatchable.has(call.modelKey);
      const pending: PendingCall = {
        modelKey: call.modelKey,
        inputs: call.inputs,
        rows: merge ? call.batchable!.rows : 0,
        batchKey:
          merge && call.batching
            ? [call.modelKey, call.batchable!.signature, call.timeoutMs, call.batching.maxBatchSize, call.batching.maxDelayMs].join('\u0000')
            : `solo\u0000${++soloSequence}`,
        maxBatchSize: merge && call.batching ? call.batching.maxBatchSize : 1,
        readyAt: merge && call.batching ? now + call.batching.maxDelayMs : now,
        deadline: now + call.timeoutMs,
        timeoutMs: call.timeoutMs,
        enqueuedAt: now,
        modelBytes: call.modelBytes,
        resolve,
        reject,
        trace: call.trace,
      };
      this.enqueue(pending);
      // Processes start now (the start takes far longer than a tick); batches form at the tick's end.
      this.startWorkersIfNeeded();
      this.scheduleSoon();
    });
  }

  stats(): PoolStats {
    return {
      id: this.id,
      tenantId: this.tenantId,
      tier: this.tier,
      queued: this.queue.count,
      starting: this.startups.size,
      resources: { ...this.resources },
      workers: this.workers.map((worker) => ({
        pid: worker.pid,
        busy: worker.busy,
        loadedModels: worker.loadedModels(),
        sessionLoads: worker.sessionLoads,
        intraOpNumThreads: worker.settings.intraOpNumThreads,
        rssBytes: worker.lastRssBytes,
      })),
    };
  }

  /** Stops the processes of an idle pool (they restart lazily on the next call). */
  async retire(error?: TesseraError): Promise<void> {
    clearTimeout(this.idleTimer);
    clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
    const workers = this.workers;
    this.workers = [];
    for (const worker of workers) this.retiring.add(worker);
    await Promise.all(workers.map((worker) => worker.stop(error)));
  }

  /** Fails everything waiting, kills every process (including ones still starting), and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.readyTimer?.timer);
    clearTimeout(this.restartTimer);
    clearTimeout(this.idleTimer);
    this.readyTimer = undefined;
    for (const call of this.queue.drain()) this.fail(call, inferenceErrors.closed());
    await Promise.allSettled([...this.startups]);
    await this.retire(inferenceErrors.closed());
  }

  private enqueue(call: PendingCall, atFront = false): void {
    call.queueTimer = setTimeout(
      () => {
        if (this.queue.remove(call)) call.reject(inferenceErrors.timeout(call.modelKey, call.timeoutMs, 'QUEUED'));
      },
      Math.max(0, call.deadline - performance.now()),
    );
    this.queue.add(call, atFront);
  }

  private fail(call: PendingCall, error: TesseraError): void {
    clearTimeout(call.queueTimer);
    call.reject(error);
  }

  /**
   * One scheduling pass at the end of the current tick: calls submitted together (e.g. by one
   * caller's Promise.all) can still share the first run, and a lone call waits for nothing more
   * than the microtask queue.
   */
  private scheduleSoon(): void {
    if (this.schedulePending) return;
    this.schedulePending = true;
    queueMicrotask(() => {
      this.schedulePending = false;
      this.schedule();
    });
  }

  /** Hands ready batches to idle processes, starts processes when needed, arms the timers. */
  private schedule(): void {
    if (this.closed) return;
    this.stopSurplusWorkers();
    const now = performance.now();
    for (;;) {
      const idle = this.workers.filter((worker) => worker.isIdle);
      if (idle.length === 0) break;
      const batch = this.queue.takeReady(now, this.workers.some((worker) => worker.busy));
      if (!batch) break;
      // Queued before the same model failed to load in another run: answered without a process.
      const refused = this.knownUnloadable(batch[0]!.modelKey);
      if (refused) {
        for (const call of batch) this.fail(call, refused);
        continue;
      }
      // Prefer a process that already holds the session: no reload, no bytes on the wire.
      const worker = idle.find((candidate) => candidate.hasSession(batch[0]!.modelKey)) ?? idle[0]!;
      this.runBatch(worker, batch);
    }
    this.startWorkersIfNeeded();
    this.armReadyTimer(now);
    this.armIdleTimer();
  }

  /**
   * Started with the thread count now in force (threads cannot change inside a running process) and
   * holding a reservation of the memory cap now in force (a process under a raised cap is replaced
   * by one that reserved it, so no process can grow past what it reserved).
   */
  private isCurrent(worker: WorkerProcess): boolean {
    return worker.settings.intraOpNumThreads === this.resources.intraOpNumThreads && this.reservations.get(worker) === this.resources.processMemoryBytes;
  }

  /**
   * After a limit change: idle processes with an outdated thread count, and idle ones beyond the
   * process budget, stop (busy ones are reconsidered when their run ends, which schedules again).
   */
  private stopSurplusWorkers(): void {
    let current = this.workers.filter((worker) => this.isCurrent(worker)).length;
    for (const worker of [...this.workers]) {
      if (!worker.isIdle) continue;
      const outdated = !this.isCurrent(worker);
      if (!outdated && current <= this.resources.processes) continue;
      if (!outdated) current -= 1;
      this.workers = this.workers.filter((candidate) => candidate !== worker);
      this.retiring.add(worker);
      void worker.stop();
    }
  }

  private startWorkersIfNeeded(): void {
    if (this.closed || this.awaitingRoom || this.queue.count === 0 || this.workers.some((worker) => worker.isIdle)) return;
    if (this.restartDeferred()) return;
    // One new process per waiting call not already covered by a process that is starting. A busy
    // process with an outdated thread count is about to stop, so it does not count against the budget.
    const current = this.workers.filter((worker) => this.isCurrent(worker)).length;
    const missing = Math.min(this.resources.processes - current - this.startups.size, this.queue.count - this.startups.size);
    for (let i = 0; i < missing; i++) {
      if (this.startWorker()) continue;
      this.onNoRoom();
      return;
    }
  }

  /** Another process needed and no budget for it: wait for the owner to free some, or refuse what cannot run. */
  private onNoRoom(): void {
    const bytes = this.resources.processMemoryBytes;
    this.awaitingRoom = true;
    const refusal = this.settings.memory.noRoom(this, bytes);
    if (!refusal) return;
    this.awaitingRoom = false;
    // Calls already have processes to wait for (they queue as usual), or a process of this pool being
    // replaced still holds the room and gives it back when it has exited; with neither, nothing would run them.
    if (this.workers.length > 0 || this.startups.size > 0 || this.reservations.size > 0) return;
    for (const call of this.queue.drain()) this.fail(call, refusal);
  }

  /** The owner freed budget (or gave up freeing it): start what the waiting calls need. */
  retryStarts(): void {
    this.awaitingRoom = false;
    this.schedule();
  }

  /** Starts one process once its memory cap is reserved; false when the budget has no room for it. */
  private startWorker(): boolean {
    const reservedBytes = this.resources.processMemoryBytes;
    if (!this.settings.memory.tryReserve(this, reservedBytes)) return false;
    const release = () => this.settings.memory.release(this, reservedBytes);
    const settings = { sessionCacheBytes: this.settings.sessionCacheBytes, intraOpNumThreads: this.resources.intraOpNumThreads };
    const startup = WorkerProcess.start(settings, this.settings.startTimeoutMs, (detail) => this.settings.onStartFailure?.(this.id, detail)).then(
      (worker) => {
        this.startups.delete(startup);
        if (this.closed) return worker.stop().finally(release);
        this.startFailures = 0;
        this.workers.push(worker);
        this.reservations.set(worker, reservedBytes);
        worker.onExitOnce(() => this.onWorkerExit(worker));
        this.armMemoryTimer();
        this.schedule();
        return undefined;
      },
      (error: TesseraError) => {
        this.startups.delete(startup);
        release();
        this.startFailures += 1;
        if (this.startFailures >= maxStartAttempts && this.workers.length === 0) {
          // The runtime cannot start at all: answer the waiting calls instead of retrying forever.
          this.startFailures = 0;
          for (const call of this.queue.drain()) this.fail(call, error);
        }
        this.schedule();
      },
    );
    this.startups.add(startup);
    return true;
  }

  private onWorkerExit(worker: WorkerProcess): void {
    this.workers = this.workers.filter((candidate) => candidate !== worker);
    // Its memory is the system's again once it has exited, not before.
    const reserved = this.reservations.get(worker);
    this.reservations.delete(worker);
    if (reserved !== undefined) this.settings.memory.release(this, reserved);
    if (this.closed) return;
    if (this.retiring.has(worker)) {
      // A replaced process (outdated threads or cap): calls waiting for its room may start one now.
      if (this.queue.count > 0) this.schedule();
      return;
    }
    this.settings.onUnexpectedExit?.(this.id, worker.pid, worker.describeExit());
    this.deathsInRow += 1;
    if (this.deathsInRow >= 2) {
      const { baseMs, maxMs } = this.settings.restartBackoff;
      this.restartNotBefore = performance.now() + Math.min(maxMs, baseMs * 2 ** Math.min(this.deathsInRow - 2, 30));
    }
    // A crash, a timeout or a memory kill: bring the pool back to strength right away, so the next
    // call does not pay the process start (as far as the budget allows; waiting calls start one anyway),
    // unless its processes keep dying: then only after the backoff.
    if (this.workers.length + this.startups.size < this.resources.processes && !this.restartDeferred()) this.startWorker();
    this.schedule();
  }

  /** True while a restart backoff runs; a pass is scheduled for its end. */
  private restartDeferred(): boolean {
    const wait = this.restartNotBefore - performance.now();
    if (wait <= 0) return false;
    if (!this.restartTimer) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.schedule();
      }, Math.ceil(wait));
      this.restartTimer.unref();
    }
    return true;
  }

  /** A run was served: the pool's processes are not dying one after another. */
  private servedRun(): void {
    this.deathsInRow = 0;
    this.restartNotBefore = 0;
  }

  /** While the pool has processes and a memory cap, their resident memory is checked every interval. */
  private armMemoryTimer(): void {
    const wanted = this.resources.processMemoryBytes > 0 && this.workers.length > 0 && !this.closed;
    if (!wanted) {
      clearInterval(this.memoryTimer);
      this.memoryTimer = undefined;
      return;
    }
    if (this.memoryTimer) return;
    this.memoryTimer = setInterval(() => void this.checkMemory(), this.settings.memoryCheckIntervalMs);
    // Housekeeping only: must not keep a process alive on its own.
    this.memoryTimer.unref();
  }

  /**
   * Kills every process over the cap; the exit handler fails its in-flight run with MEMORY_LIMIT and
   * starts a replacement. Sampled, so a run can overshoot for up to one interval; a process that
   * grows past the cap between runs (an arena that keeps its peak) is replaced with nothing failed.
   */
  private async checkMemory(): Promise<void> {
    if (this.checkingMemory) return;
    this.checkingMemory = true;
    try {
      if (this.workers.length === 0) return this.armMemoryTimer();
      await Promise.all(
        this.workers.map(async (worker) => {
          const rss = await residentMemoryBytes(worker.pid);
          if (rss === undefined || !worker.isAlive) return;
          worker.lastRssBytes = rss;
          // Never past what the process reserved, even while a raised cap waits for it to be replaced.
          const limit = Math.min(this.resources.processMemoryBytes, this.reservations.get(worker) ?? this.resources.processMemoryBytes);
          if (limit > 0 && rss > limit) {
            this.settings.onMemoryKill?.(this.id, worker.pid, rss, limit);
            worker.killForMemory(limit, rss);
          }
        }),
      );
    } finally {
      this.checkingMemory = false;
    }
  }

  private runBatch(worker: WorkerProcess, calls: PendingCall[]): void {
    for (const call of calls) clearTimeout(call.queueTimer);
    const first = calls[0]!;
    const rows = calls.map((call) => call.rows);
    const batchRows = rows.reduce((sum, value) => sum + value, 0);
    const startedAt = performance.now();
    const traced = (pid: number | undefined, sessionRunMs: number | undefined, errorCode?: string) => {
      const endedAt = performance.now();
      for (const call of calls) {
        if (!call.trace) continue;
        recordCallSpans(call.trace, {
          tenantId: this.tenantId,
          poolId: this.id,
          modelKey: call.modelKey,
          enqueuedAt: call.enqueuedAt,
          runStartedAt: startedAt,
          runEndedAt: endedAt,
          batchSize: calls.length,
          batchRows,
          sessionRunMs,
          pid,
          errorCode,
        });
      }
    };
    worker
      .run({
        modelKey: first.modelKey,
        inputs: mergeInputs(calls.map((call) => call.inputs)),
        timeoutMs: first.timeoutMs,
        maxOutputValues: this.settings.maxOutputValues * calls.length,
        modelBytes: first.modelBytes,
      })
      .then(
        (result) => {
          this.servedRun();
          const base = { batchSize: calls.length, pid: result.pid, sessionLoaded: result.sessionLoaded };
          if (calls.length === 1) {
            const outputs = toTypedOutputs(result.outputs);
            const firstOutput = Object.values(outputs)[0];
            traced(result.pid, result.runMs);
            first.resolve({ ...base, outputs, batchRows: first.rows || (firstOutput?.dims[0] ?? 1), computeMs: result.runMs, computeCpuMs: result.runCpuMs });
            return;
          }
          const split = splitOutputs(result.outputs, rows);
          // The model mixes rows (an output is not batched along dim 0): run these calls alone.
          if (!split) return this.runAloneFromNowOn(calls);
          traced(result.pid, result.runMs);
          calls.forEach((call, index) => {
            // The run was held to the calls' limits together; each call is held to its own, as if alone.
            const values = Object.values(split[index]!).reduce((sum, output) => sum + output.data.length, 0);
            if (values > this.settings.maxOutputValues) {
              // Refused, but its rows were run: its share is metered like its neighbours'.
              const share = { runMs: shareOfRun(result.runMs, call.rows, batchRows, calls.length), runCpuMs: shareOfRun(result.runCpuMs, call.rows, batchRows, calls.length) };
              call.reject(withRunCompute(inferenceErrors.outputTooLarge(call.modelKey, this.settings.maxOutputValues, values), share));
              return;
            }
            call.resolve({
              ...base,
              outputs: split[index]!,
              batchRows,
              computeMs: shareOfRun(result.runMs, call.rows, batchRows, calls.length),
              computeCpuMs: shareOfRun(result.runCpuMs, call.rows, batchRows, calls.length),
            });
          });
        },
        (error: TesseraError) => {
          // A merged run the runtime rejects (e.g. a model with a fixed batch dimension of 1) must not
          // fail callers whose own call would have worked: rerun them alone, so each gets its own answer.
          if (calls.length > 1 && error.code === 'INFERENCE_FAILED' && error.extensions['reason'] === 'RUNTIME_ERROR') {
            this.runAloneFromNowOn(calls);
            return;
          }
          // Over the output limit together: each call is held to its own share, alone (the model
          // itself still batches).
          if (calls.length > 1 && error.extensions['reason'] === 'OUTPUT_TOO_LARGE') {
            this.runAlone(calls);
            return;
          }
          if (error.code === 'MODEL_NOT_LOADABLE') this.rememberUnloadable(first.modelKey, error);
          traced(undefined, undefined, error.code);
          // What the failed run cost is shared among its calls by rows, like a served run's.
          const compute = runComputeOf(error);
          for (const call of calls) {
            if (calls.length === 1 || !compute) call.reject(error);
            else {
              call.reject(
                shareOfFailure(error, {
                  runMs: shareOfRun(compute.runMs, call.rows, batchRows, calls.length),
                  runCpuMs: shareOfRun(compute.runCpuMs, call.rows, batchRows, calls.length),
                }),
              );
            }
          }
        },
      )
      .finally(() => this.schedule());
  }

  private rememberUnloadable(modelKey: string, error: TesseraError): void {
    this.unloadable.delete(modelKey);
    this.unloadable.set(modelKey, { message: error.message, details: { ...(error.extensions as ErrorDetails) }, until: performance.now() + unloadableMemoryMs });
    if (this.unloadable.size > maxUnloadableRemembered) this.unloadable.delete(this.unloadable.keys().next().value!);
  }

  /** A fresh copy of the remembered refusal (each caller's error is its own object), or undefined. */
  private knownUnloadable(modelKey: string): TesseraError | undefined {
    const known = this.unloadable.get(modelKey);
    if (!known) return undefined;
    if (known.until <= performance.now()) {
      this.unloadable.delete(modelKey);
      return undefined;
    }
    return new TesseraError('MODEL_NOT_LOADABLE', known.message, { ...known.details });
  }

  /** Never merges this model again in this pool, and puts the calls back first in line, one run each. */
  private runAloneFromNowOn(calls: PendingCall[]): void {
    if (!this.closed) this.unbatchable.add(calls[0]!.modelKey);
    this.runAlone(calls);
  }

  /** Puts the calls back first in line, one run each. */
  private runAlone(calls: PendingCall[]): void {
    if (this.closed) {
      for (const call of calls) call.reject(inferenceErrors.closed());
      return;
    }
    for (const call of [...calls].reverse()) {
      this.enqueue({ ...call, rows: 0, maxBatchSize: 1, readyAt: 0, batchKey: `solo\u0000${++soloSequence}` }, true);
    }
  }

  private armReadyTimer(now: number): void {
    if (!this.workers.some((worker) => worker.isIdle)) return;
    const next = this.queue.nextReadyAt(now, this.workers.some((worker) => worker.busy));
    if (next === undefined) return;
    if (this.readyTimer && this.readyTimer.at <= next) return;
    clearTimeout(this.readyTimer?.timer);
    const timer = setTimeout(() => {
      this.readyTimer = undefined;
      this.schedule();
    }, Math.max(0, next - now));
    this.readyTimer = { at: next, timer };
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.isIdle || this.workers.length === 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.isIdle && !this.closed) void this.retire();
    }, this.settings.idleStopMs);
    // Housekeeping only: must not keep a process alive on its own.
    this.idleTimer.unref();
  }
}

/**
 * A merged run's milliseconds split among its calls by the rows each contributed (the run's work
 * grows with rows), equally when rows are unknown: the shares add up to the run, so a batch is
 * never metered twice nor a call for another's rows. All calls of a pool are one tenant's.
 */
function shareOfRun(runMs: number, rows: number, batchRows: number, calls: number): number {
  return batchRows > 0 ? (runMs * rows) / batchRows : runMs / calls;
}
