/**
 * One tenant's inference pool: its own child processes (never shared with another tenant), its
 * own queue and batcher. A timeout or crash here kills and replaces only this pool's process.
 */
import type { TesseraError } from '@tessera/errors';
import { BatchQueue, type CallResult, type PendingCall } from './batch-queue';
import { inferenceErrors } from './inference-errors';
import type { TenantTier } from './inference-types';
import { mergeInputs, splitOutputs, toPlainOutputs } from './tensor-codec';
import { WorkerProcess } from './worker-process';
import type { WireTensor, WorkerSettings } from './worker/ipc-protocol';

export interface TenantPoolSettings {
  processes: number;
  idleStopMs: number;
  maxQueued: number;
  startTimeoutMs: number;
  worker: WorkerSettings;
  /** Told when a process ends that the pool did not retire (crash, timeout kill): for the operator's logs. */
  onUnexpectedExit?: (poolId: string, pid: number, description: string) => void;
  /** Told when a process could not start (with its stderr): for the operator's logs. */
  onStartFailure?: (poolId: string, detail: string) => void;
}

export interface PoolCall {
  modelKey: string;
  inputs: Record<string, WireTensor>;
  /** Rows and signature when the call may be merged; null → runs alone. */
  batchable: { signature: string; rows: number } | null;
  batching: { maxBatchSize: number; maxDelayMs: number } | false;
  timeoutMs: number;
  modelBytes: () => Promise<Uint8Array>;
}

export interface WorkerStats {
  pid: number;
  busy: boolean;
  loadedModels: string[];
  sessionLoads: number;
}

export interface PoolStats {
  id: string;
  tenantId: string;
  tier: TenantTier;
  queued: number;
  starting: number;
  workers: WorkerStats[];
}

/** Consecutive failed process starts after which waiting calls are failed instead of retried. */
const maxStartAttempts = 3;

let soloSequence = 0;

export class TenantPool {
  private readonly queue = new BatchQueue();
  private workers: WorkerProcess[] = [];
  private readonly startups = new Set<Promise<unknown>>();
  private readonly unbatchable = new Set<string>();
  private startFailures = 0;
  private readyTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set while idle-stopping so those exits do not trigger replacements. */
  private readonly retiring = new WeakSet<WorkerProcess>();
  lastUsedAt = Date.now();

  constructor(
    readonly id: string,
    readonly tenantId: string,
    readonly tier: TenantTier,
    private readonly settings: TenantPoolSettings,
  ) {}

  /** Has processes (running or starting). */
  get isLive(): boolean {
    return this.workers.length > 0 || this.startups.size > 0;
  }

  /** Nothing queued, nothing running. */
  get isIdle(): boolean {
    return this.queue.count === 0 && !this.workers.some((worker) => worker.busy);
  }

  submit(call: PoolCall): Promise<CallResult> {
    if (this.closed) return Promise.reject(inferenceErrors.closed());
    if (this.queue.count >= this.settings.maxQueued) return Promise.reject(inferenceErrors.queueFull(this.id, this.settings.maxQueued));
    this.lastUsedAt = Date.now();
    return new Promise<CallResult>((resolve, reject) => {
      const now = Date.now();
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
      };
      this.enqueue(pending);
      this.schedule();
    });
  }

  stats(): PoolStats {
    return {
      id: this.id,
      tenantId: this.tenantId,
      tier: this.tier,
      queued: this.queue.count,
      starting: this.startups.size,
      workers: this.workers.map((worker) => ({
        pid: worker.pid,
        busy: worker.busy,
        loadedModels: worker.loadedModels(),
        sessionLoads: worker.sessionLoads,
      })),
    };
  }

  /** Stops the processes of an idle pool (they restart lazily on the next call). */
  async retire(error?: TesseraError): Promise<void> {
    clearTimeout(this.idleTimer);
    const workers = this.workers;
    this.workers = [];
    for (const worker of workers) this.retiring.add(worker);
    await Promise.all(workers.map((worker) => worker.stop(error)));
  }

  /** Fails everything waiting, kills every process (including ones still starting), and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.readyTimer?.timer);
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
      Math.max(0, call.deadline - Date.now()),
    );
    this.queue.add(call, atFront);
  }

  private fail(call: PendingCall, error: TesseraError): void {
    clearTimeout(call.queueTimer);
    call.reject(error);
  }

  /** Hands ready batches to idle processes, starts processes when needed, arms the timers. */
  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    for (;;) {
      const idle = this.workers.filter((worker) => worker.isIdle);
      if (idle.length === 0) break;
      const batch = this.queue.takeReady(now);
      if (!batch) break;
      // Prefer a process that already holds the session: no reload, no bytes on the wire.
      const worker = idle.find((candidate) => candidate.hasSession(batch[0]!.modelKey)) ?? idle[0]!;
      this.runBatch(worker, batch);
    }
    this.startWorkersIfNeeded();
    this.armReadyTimer(now);
    this.armIdleTimer();
  }

  private startWorkersIfNeeded(): void {
    if (this.queue.count === 0 || this.workers.some((worker) => worker.isIdle)) return;
    // One new process per waiting call not already covered by a process that is starting.
    const missing = Math.min(this.settings.processes - this.workers.length - this.startups.size, this.queue.count - this.startups.size);
    for (let i = 0; i < missing; i++) this.startWorker();
  }

  private startWorker(): void {
    const startup = WorkerProcess.start(this.settings.worker, this.settings.startTimeoutMs, (detail) => this.settings.onStartFailure?.(this.id, detail)).then(
      (worker) => {
        this.startups.delete(startup);
        if (this.closed) return worker.stop();
        this.startFailures = 0;
        this.workers.push(worker);
        worker.onExitOnce(() => this.onWorkerExit(worker));
        this.schedule();
        return undefined;
      },
      (error: TesseraError) => {
        this.startups.delete(startup);
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
  }

  private onWorkerExit(worker: WorkerProcess): void {
    this.workers = this.workers.filter((candidate) => candidate !== worker);
    if (this.closed || this.retiring.has(worker)) return;
    this.settings.onUnexpectedExit?.(this.id, worker.pid, worker.describeExit());
    // A crash or a timeout kill: bring the pool back to strength right away, so the next call
    // does not pay the process start.
    if (this.workers.length + this.startups.size < this.settings.processes) this.startWorker();
    this.schedule();
  }

  private runBatch(worker: WorkerProcess, calls: PendingCall[]): void {
    for (const call of calls) clearTimeout(call.queueTimer);
    const first = calls[0]!;
    const rows = calls.map((call) => call.rows);
    const batchRows = rows.reduce((sum, value) => sum + value, 0);
    worker
      .run({ modelKey: first.modelKey, inputs: mergeInputs(calls.map((call) => call.inputs)), timeoutMs: first.timeoutMs, modelBytes: first.modelBytes })
      .then(
        (result) => {
          const base = { batchSize: calls.length, pid: result.pid, sessionLoaded: result.sessionLoaded };
          if (calls.length === 1) {
            const outputs = toPlainOutputs(result.outputs);
            const firstOutput = Object.values(outputs)[0];
            first.resolve({ ...base, outputs, batchRows: first.rows || (firstOutput?.dims[0] ?? 1) });
            return;
          }
          const split = splitOutputs(result.outputs, rows);
          // The model mixes rows (an output is not batched along dim 0): run these calls alone.
          if (!split) this.runAloneFromNowOn(calls);
          else calls.forEach((call, index) => call.resolve({ ...base, outputs: split[index]!, batchRows }));
        },
        (error: TesseraError) => {
          // A merged run the runtime rejects (e.g. a model with a fixed batch dimension of 1) must not
          // fail callers whose own call would have worked: rerun them alone, so each gets its own answer.
          if (calls.length > 1 && error.code === 'INFERENCE_FAILED' && error.extensions['reason'] === 'RUNTIME_ERROR') {
            this.runAloneFromNowOn(calls);
            return;
          }
          for (const call of calls) call.reject(error);
        },
      )
      .finally(() => this.schedule());
  }

  /** Never merges this model again in this pool, and puts the calls back first in line, one run each. */
  private runAloneFromNowOn(calls: PendingCall[]): void {
    if (this.closed) {
      for (const call of calls) call.reject(inferenceErrors.closed());
      return;
    }
    this.unbatchable.add(calls[0]!.modelKey);
    for (const call of [...calls].reverse()) {
      this.enqueue({ ...call, rows: 0, maxBatchSize: 1, readyAt: 0, batchKey: `solo\u0000${++soloSequence}` }, true);
    }
  }

  private armReadyTimer(now: number): void {
    if (!this.workers.some((worker) => worker.isIdle)) return;
    const next = this.queue.nextReadyAt(now);
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
