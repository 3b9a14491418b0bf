/**
 * The waiting room of one pool, grouped for dynamic batching (Triton-style): calls with the same
 * batch key (model + input signature + limits) may share one `session.run`. A group is ready when
 * its oldest call has waited `maxDelayMs` or when it already holds `maxBatchSize` rows; while every
 * process is busy, ready groups keep growing, so batches get bigger exactly when load is high.
 */
import type { TesseraError } from '@tessera/errors';
import type { TensorOutput } from './inference-types';
import type { WireTensor } from './worker/ipc-protocol';

/** What the pool hands back to `predict` for one call. */
export interface CallResult {
  outputs: Record<string, TensorOutput>;
  batchSize: number;
  batchRows: number;
  pid: number;
  sessionLoaded: boolean;
  /** This call's share of the batch's `session.run` milliseconds (split by rows; see TenantPool.runBatch). */
  computeMs: number;
}

export interface PendingCall {
  modelKey: string;
  inputs: Record<string, WireTensor>;
  /** Rows this call contributes (its first dimension); 0 when it cannot be merged. */
  rows: number;
  /** Calls with the same key may be merged; unmergeable calls get a unique key. */
  batchKey: string;
  maxBatchSize: number;
  /** When the call's group may run even if it is not full. */
  readyAt: number;
  /** Latest moment the call may still be waiting in the queue. */
  deadline: number;
  timeoutMs: number;
  enqueuedAt: number;
  modelBytes: () => Promise<Uint8Array>;
  resolve: (result: CallResult) => void;
  reject: (error: TesseraError) => void;
  queueTimer?: NodeJS.Timeout;
}

export class BatchQueue {
  private readonly groups = new Map<string, PendingCall[]>();
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
  nextReadyAt(now: number): number | undefined {
    let next: number | undefined;
    for (const group of this.groups.values()) {
      if (this.isReady(group, now)) return now;
      const at = group[0]!.readyAt;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Removes and returns the next batch to run: the ready group whose oldest call waited longest. */
  takeReady(now: number): PendingCall[] | undefined {
    let chosen: string | undefined;
    let oldest = Infinity;
    for (const [key, group] of this.groups) {
      if (this.isReady(group, now) && group[0]!.enqueuedAt < oldest) {
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

  private isReady(group: PendingCall[], now: number): boolean {
    const first = group[0]!;
    if (first.readyAt <= now) return true;
    let rows = 0;
    for (const call of group) rows += call.rows;
    return rows >= first.maxBatchSize;
  }
}
