/**
 * The waiting room of one pool, grouped for dynamic batching (Triton-style): calls with the same
 * batch key (model + input signature + limits) may share one `session.run`.
 *
 * When a group may run (adaptive, never longer than its `maxDelayMs`):
 * - at once when nothing of the pool is running: waiting would leave every process idle, so a
 *   call that finds the pool idle never waits for company;
 * - at once when it holds `maxBatchSize` rows, or its oldest call has waited `maxDelayMs`;
 * - otherwise (another run of the pool is in progress, a process is free) only as long as the
 *   arrival rate says the rows missing to the next preferred size (powers of two up to the
 *   maximum) will arrive within what is left of `maxDelayMs`; a trickle does not wait.
 * While every process is busy, groups keep growing, so batches get bigger exactly when load is high.
 * All times are `performance.now()` milliseconds.
 */
import type { TesseraError } from '@tessera/errors';
import type { Context } from '@opentelemetry/api';
import type { TensorOutputOf } from './inference-types';
import type { WireTensor } from './worker/ipc-protocol';

/** What the pool hands back to `predict` for one call (typed output data; `predict` converts when asked). */
export interface CallResult {
  outputs: Record<string, TensorOutputOf<'typed'>>;
  batchSize: number;
  batchRows: number;
  pid: number;
  sessionLoaded: boolean;
  /** This call's share of the batch's `session.run` milliseconds (split by rows; see TenantPool.runBatch). */
  computeMs: number;
  /** Its share of the CPU milliseconds the child used during that run, split the same way. */
  computeCpuMs: number;
}

export interface PendingCall {
  modelKey: string;
  inputs: Record<string, WireTensor>;
  /** Rows this call contributes (its first dimension); 0 when it cannot be merged. */
  rows: number;
  /** Calls with the same key may be merged; unmergeable calls get a unique key. */
  batchKey: string;
  maxBatchSize: number;
  /** The latest the call's group waits for company: enqueuedAt + maxDelayMs. */
  readyAt: number;
  /** Latest moment the call may still be waiting in the queue. */
  deadline: number;
  timeoutMs: number;
  enqueuedAt: number;
  modelBytes: () => Promise<Uint8Array>;
  resolve: (result: CallResult) => void;
  reject: (error: TesseraError) => void;
  queueTimer?: NodeJS.Timeout;
  /** The caller's trace context when a recording span was active (spans are made only then). */
  trace?: Context | undefined;
}

/** Arrivals per batch key: the last one and a moving average of the gaps between them. */
interface ArrivalRate {
  last: number;
  gapMs: number | undefined;
}

/** Weight of the newest gap in the moving average (recent load matters more than old load). */
const gapWeight = 0.2;
/** Gaps longer than this say "idle", not "slow stream": they are capped so one pause does not dominate. */
const maxGapMs = 1_000;
/** Arrival rates of this many batch keys are kept; the least recently seen are forgotten past it. */
const maxTrackedKeys = 1_000;

/** The smallest preferred batch size (a power of two, or the maximum) above `rows`. */
export function nextPreferredSize(rows: number, maxBatchSize: number): number {
  let size = 1;
  while (size <= rows) size *= 2;
  return Math.min(size, maxBatchSize);
}

export class BatchQueue {
  private readonly groups = new Map<string, PendingCall[]>();
  private readonly arrivals = new Map<string, ArrivalRate>();
  private waiting = 0;

  get count(): number {
    return this.waiting;
  }

  add(call: PendingCall, atFront = false): void {
    const group = this.groups.get(call.batchKey);
    if (!group) this.groups.set(call.batchKey, [call]);
    else if (atFront) group.unshift(call);
    else group.push(call);
    this.waiting += 1;
    if (!atFront && call.rows > 0) this.noteArrival(call.batchKey, call.enqueuedAt);
  }

  remove(call: PendingCall): boolean {
    const group = this.groups.get(call.batchKey);
    const index = group?.indexOf(call) ?? -1;
    if (!group || index < 0) return false;
    group.splice(index, 1);
    if (group.length === 0) this.groups.delete(call.batchKey);
    this.waiting -= 1;
    return true;
  }

  /** Earliest time a not-yet-ready group becomes ready (for the pool's timer). */
  nextReadyAt(now: number, poolBusy: boolean): number | undefined {
    let next: number | undefined;
    for (const [key, group] of this.groups) {
      const at = this.readyAt(key, group, now, poolBusy);
      if (at <= now) return now;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Removes and returns the next batch to run: the ready group whose oldest call waited longest. */
  takeReady(now: number, poolBusy: boolean): PendingCall[] | undefined {
    let chosen: string | undefined;
    let oldest = Infinity;
    for (const [key, group] of this.groups) {
      if (group[0]!.enqueuedAt < oldest && this.readyAt(key, group, now, poolBusy) <= now) {
        oldest = group[0]!.enqueuedAt;
        chosen = key;
      }
    }
    if (chosen === undefined) return undefined;
    const group = this.groups.get(chosen)!;
    const max = group[0]!.maxBatchSize;
    const batch: PendingCall[] = [];
    let rows = 0;
    // FIFO: stop at the first call that would overflow the batch, it leads the next one.
    while (group.length > 0 && (batch.length === 0 || rows + group[0]!.rows <= max)) {
      const call = group.shift()!;
      batch.push(call);
      rows += call.rows;
    }
    if (group.length === 0) this.groups.delete(chosen);
    this.waiting -= batch.length;
    return batch;
  }

  drain(): PendingCall[] {
    const all = [...this.groups.values()].flat();
    this.groups.clear();
    this.waiting = 0;
    return all;
  }

  /** When the group may run (≤ now: at once); see the file comment for the rules. */
  private readyAt(key: string, group: PendingCall[], now: number, poolBusy: boolean): number {
    const first = group[0]!;
    if (!poolBusy || first.readyAt <= now) return now;
    let rows = 0;
    for (const call of group) rows += call.rows;
    if (rows >= first.maxBatchSize || rows === 0) return now;
    const rate = this.arrivals.get(key);
    if (rate?.gapMs === undefined) return now;
    const expected = rate.last + (nextPreferredSize(rows, first.maxBatchSize) - rows) * rate.gapMs;
    // Company that would come after the group's last moment is not worth waiting for at all.
    return expected > first.readyAt ? now : Math.max(now, expected);
  }

  private noteArrival(key: string, at: number): void {
    const rate = this.arrivals.get(key);
    if (!rate) {
      if (this.arrivals.size >= maxTrackedKeys) this.arrivals.delete(this.arrivals.keys().next().value!);
      this.arrivals.set(key, { last: at, gapMs: undefined });
      return;
    }
    const gap = Math.min(maxGapMs, Math.max(0, at - rate.last));
    rate.gapMs = rate.gapMs === undefined ? gap : rate.gapMs + gapWeight * (gap - rate.gapMs);
    rate.last = at;
    // Most recently seen last, so the first key is the one to forget.
    this.arrivals.delete(key);
    this.arrivals.set(key, rate);
  }
}
