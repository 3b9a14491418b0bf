import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { addCall, addToTally, mergeDelta, mergeTally, minuteOf, readMark, writeAggregate, type AuditTally, type StatsDelta } from './prediction-aggregate';
import { PredictionBacklog } from './prediction-backlog';
import { orphanedLogs, otherLogsBytes, PredictionLog, readLog, removeFile, type LoggedCall } from './prediction-log';
import { isTenantRefusal } from './tenant-write-refusal';

/** One predict call that reached an inference pool, as the models subgraph saw it. */
export interface InferenceCall {
  principal: Principal;
  tenantId: string;
  modelId: string;
  versionId: string;
  rows: number;
  /** Calls merged into the run that served this one (1 = ran alone); 0 when it failed before running. */
  batchSize: number;
  latencyMs: number;
  ok: boolean;
  errorCode?: string | undefined;
}

export interface InferenceStatsOptions {
  /** How often pending stats are upserted (and finished minutes audited). */
  flushIntervalMs: number;
  /**
   * Pending data older than this is given up when its TENANT refuses the write (suspended, erased,
   * schema gone: see isTenantRefusal). A database that cannot be reached or is busy is retried,
   * with backoff, however long it lasts: the log's bound (`maxBacklogBytes`) holds the disk then.
   */
  maxRetryAgeMs: number;
  /**
   * Bytes of the log directory not yet in MySQL (this process's log and those other processes
   * left there) before predicts are refused (default 1 GiB).
   */
  maxBacklogBytes?: number;
  /** Of which one tenant's may take at most this many (default a quarter of `maxBacklogBytes`). */
  maxBacklogBytesPerTenant?: number;
  /**
   * The prediction log's directory (see prediction-log.ts), or false for none: then a killed
   * process loses what it had not flushed (only for processes whose stats do not matter).
   */
  logDirectory: string | false;
  /** Another process's log untouched for this long is replayed even if a process with its pid runs (default 2 min). */
  staleLogAfterMs?: number;
  /** How often logs left by dead processes are looked for (default 60 s; also once at start). */
  recoverIntervalMs?: number;
}

/**
 * Aggregates predict calls in memory and writes them in batches, so the hot path never waits for
 * MySQL, with outbox semantics: every call is first appended to the prediction log (one write(2),
 * see prediction-log.ts), and each flush moves the log's mark in the tenant's
 * `prediction_log_marks` in the same transaction as the rows it writes:
 * - stats: one row per model version per minute in the tenant's `inference_stats`, upserted every
 *   `flushIntervalMs` with the deltas since the last flush (calls, rows, errors, batch sizes,
 *   latency sum/max and ≤5/25/100/500 ms buckets);
 * - audit: ONE `model.predict` event per model version, minute and principal, written in the
 *   same transaction as the stats once the minute is over (or at shutdown / `flush({ closeAll })`),
 *   carrying that principal's call, row and error counts for the minute.
 * A process killed between flushes loses nothing it answered: `recover()` (at start, then every
 * `recoverIntervalMs`) replays the logs of dead processes, skipping lines their marks say are
 * written, so each call is counted and audited exactly once.
 * A database outage loses nothing either: what could not be written is kept and retried (a
 * tenant's attempts back off up to a minute apart) until it is; only a tenant that refuses the
 * write itself is given up, after `maxRetryAgeMs`. Meanwhile the bytes of unwritten log lines are
 * counted (`backlog`: this process's and the logs dead processes left in the directory), and
 * predicts are refused before they run once they reach the bound.
 */
export class InferenceStatsRecorder {
  private deltas = new Map<string, StatsDelta>();
  private tallies = new Map<string, AuditTally>();
  private flushing: Promise<void> = Promise.resolve();
  private recovering: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly recoverTimer: NodeJS.Timeout | undefined;
  private readonly log: PredictionLog | undefined;
  /** Tenants whose old marks were cleaned up lately (once an hour each). */
  private readonly marksCleaned = new Map<string, number>();
  /** Tenants whose last writes failed: how many times in a row, and when the next try is due. */
  private readonly failing = new Map<string, { failures: number; retryAt: number }>();
  /** Bytes of the log directory whose calls are not in MySQL yet (predict admission checks it). */
  readonly backlog: PredictionBacklog;
  /** Per dead process's log still on disk: the bytes of each tenant's lines in it that a replay could not write. */
  private readonly leftoverByLog = new Map<string, Map<string, number>>();

  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly logger: Logger,
    private readonly options: InferenceStatsOptions,
  ) {
    this.log = options.logDirectory === false ? undefined : new PredictionLog(options.logDirectory);
    const maxBytes = options.maxBacklogBytes ?? 1024 * 1024 ** 2;
    this.backlog = new PredictionBacklog({
      maxBytes,
      maxBytesPerTenant: Math.min(maxBytes, options.maxBacklogBytesPerTenant ?? Math.floor(maxBytes / 4)),
      ownLogBytes: () => this.log?.bytes ?? 0,
    });
    // Before the first predict: the logs left here count from the start, read or not (the replay at start is asynchronous).
    this.measureLeftover();
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.flushIntervalMs);
    this.timer.unref();
    if (this.log) {
      // Replay failures are logged per tenant inside; this catches what nothing else could.
      const recoverLogged = () => void this.recover().catch((error: unknown) => this.logger.error('prediction log replay failed', { error: error instanceof Error ? error.message : String(error) }));
      recoverLogged();
      this.recoverTimer = setInterval(recoverLogged, options.recoverIntervalMs ?? 60_000);
      this.recoverTimer.unref();
    }
  }

  record(call: InferenceCall): void {
    const at = Date.now();
    const minute = minuteOf(at).getTime();
    // The principal goes into the log once per audit tally (the first call of it), not on every line.
    const tallyKey = `${call.tenantId}|${call.versionId}|${minute}|${call.principal.subject}`;
    const tallyKnown = this.tallies.has(tallyKey);
    const { seq, bytes } =
      this.log?.append({
        at,
        tenantId: call.tenantId,
        modelId: call.modelId,
        versionId: call.versionId,
        rows: call.rows,
        batchSize: call.batchSize,
        latencyMs: call.latencyMs,
        ok: call.ok,
        subject: call.principal.subject,
        principal: tallyKnown ? undefined : call.principal,
      }) ?? { seq: 0, bytes: 0 };
    addCall(this.deltas, this.tallies, { ...call, seq, at });
    // The line's bytes ride on its audit tally: written in the same transaction as (or after) its
    // stats, the tally is the last part of the line to reach MySQL.
    const tally = this.tallies.get(tallyKey)!;
    tally.bytes = (tally.bytes ?? 0) + bytes;
    this.backlog.add(call.tenantId, bytes);
  }

  /** Refuses a predict before it runs while the log's unwritten backlog is at its bound (see PredictionBacklog). */
  assertRoom(tenantId: string): void {
    if (this.log) this.backlog.assertRoom(tenantId);
  }

  /** Writes pending stats; audits finished minutes, or every minute with `closeAll` (shutdown, tests). */
  flush(options: { closeAll?: boolean } = {}): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(options.closeAll ?? false));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * Replays the prediction logs of processes that are gone (killed, crashed) into MySQL, exactly
   * once (their marks say what is written), and removes them. Safe to run from several processes
   * at once: each tenant's mark row is locked while it is moved.
   */
  recover(): Promise<void> {
    this.recovering ??= this.recoverNow().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.recoverTimer);
    await this.recovering;
    await this.flush({ closeAll: true });
    // Anything that could not be written stays in the log for the next process to replay.
    this.log?.close(this.deltas.size === 0 && this.tallies.size === 0);
  }

  private async flushNow(closeAll: boolean): Promise<void> {
    const deltas = [...this.deltas.values()];
    this.deltas = new Map();
    const currentMinute = minuteOf(Date.now()).getTime();
    const closing: AuditTally[] = [];
    for (const [key, tally] of this.tallies) {
      if (closeAll || tally.minute.getTime() < currentMinute) {
        closing.push(tally);
        this.tallies.delete(key);
      }
    }
    const tenants = new Set([...deltas.map((d) => d.tenantId), ...closing.map((t) => t.tenantId)]);
    for (const tenantId of tenants) {
      const tenantDeltas = deltas.filter((d) => d.tenantId === tenantId);
      const tenantTallies = closing.filter((t) => t.tenantId === tenantId);
      const failing = this.failing.get(tenantId);
      if (!closeAll && failing && failing.retryAt > Date.now()) {
        // Backing off: kept as they are for a later flush.
        this.restore(tenantDeltas, tenantTallies, false);
        continue;
      }
      try {
        await this.writeTenant(tenantId, tenantDeltas, tenantTallies);
        this.failing.delete(tenantId);
        for (const tally of tenantTallies) this.backlog.release(tenantId, tally.bytes ?? 0);
      } catch (error) {
        const refused = isTenantRefusal(error);
        const failures = (failing?.failures ?? 0) + 1;
        this.failing.set(tenantId, { failures, retryAt: Date.now() + Math.min(60_000, this.options.flushIntervalMs * 2 ** Math.min(failures - 1, 16)) });
        this.logger.warn('inference stats flush failed; will retry', { tenantId, failures, tenantRefused: refused, error: error instanceof Error ? error.message : String(error) });
        const lost = this.restore(tenantDeltas, tenantTallies, refused);
        // Audit events of answered calls are gone for good (their log lines are released below): an operator must hear of it.
        if (lost.calls > 0 || lost.auditedCalls > 0) this.logger.error('inference stats and predict audit given up: the tenant refused the write for longer than the retry age', { tenantId, ...lost, maxRetryAgeMs: this.options.maxRetryAgeMs });
      }
    }
    this.log?.release(this.lowestPendingSeq());
    this.measureLeftover();
  }

  /**
   * Gives the backlog what the other logs in the directory hold: their bytes on disk (whoever
   * wrote them, whether a replay read them yet or not), and per tenant the lines that replays read
   * and could not write. Between replays this also follows another live process's log growing.
   */
  private measureLeftover(): void {
    if (!this.log) return;
    const byTenant = new Map<string, number>();
    for (const tenants of this.leftoverByLog.values()) {
      for (const [tenantId, bytes] of tenants) byTenant.set(tenantId, (byTenant.get(tenantId) ?? 0) + bytes);
    }
    this.backlog.setLeftover({ bytes: otherLogsBytes(this.log.directory, this.log.logId), byTenant });
  }

  private async writeTenant(tenantId: string, deltas: StatsDelta[], tallies: AuditTally[]): Promise<void> {
    const principal = tallies[0]?.principal ?? this.principalFor(deltas[0]!);
    const scope = await this.scopes.forPrincipal(principal);
    // Lines of this log now in the stats / audited: the highest of what this transaction writes
    // (the mark only ever moves forward; lower lines are all in earlier flushes or in this one).
    const mark = { statsSeq: highest(deltas, (d) => d.maxSeq), auditSeq: highest(tallies, (t) => t.maxSeq) };
    const cleanUp = (this.marksCleaned.get(tenantId) ?? 0) < Date.now() - 3_600_000;
    await scope.transaction(async (manager) => {
      await writeAggregate(manager, this.log?.logId, deltas, tallies, mark);
      // Marks of logs replayed or finished long ago are of no use any more.
      if (cleanUp) await manager.query('DELETE FROM prediction_log_marks WHERE updated_at < ?', [new Date(Date.now() - 30 * 24 * 3_600_000)]);
    });
    if (cleanUp) this.marksCleaned.set(tenantId, Date.now());
  }

  private lowestPendingSeq(): number {
    let lowest = (this.log?.lastSeq ?? 0) + 1;
    for (const d of this.deltas.values()) lowest = Math.min(lowest, d.minSeq);
    for (const t of this.tallies.values()) lowest = Math.min(lowest, t.minSeq);
    return lowest;
  }

  private async recoverNow(): Promise<void> {
    if (!this.log) return;
    const orphans = orphanedLogs(this.log.directory, this.log.logId, this.options.staleLogAfterMs ?? 120_000);
    // A log no longer there was replayed and removed (by another process): none of its lines is owed here.
    for (const logId of this.leftoverByLog.keys()) if (!orphans.some((orphan) => orphan.logId === logId)) this.leftoverByLog.delete(logId);
    this.measureLeftover();
    for (const orphan of orphans) {
      const { calls, damaged, bytesByTenant } = await readLog(orphan.files);
      if (damaged > 0) this.logger.warn('prediction log lines damaged; skipped', { logId: orphan.logId, damaged });
      const byTenant = new Map<string, LoggedCall[]>();
      for (const call of calls) {
        const tenantCalls = byTenant.get(call.tenantId);
        if (tenantCalls) tenantCalls.push(call);
        else byTenant.set(call.tenantId, [call]);
      }
      let complete = true;
      const givenUp: Array<{ tenantId: string; lines: number }> = [];
      // What each tenant still owes in this log: a tenant whose lines are written (or given up) owes nothing more.
      const owed = new Map(bytesByTenant);
      for (const [tenantId, tenantCalls] of byTenant) {
        try {
          await this.replayTenant(orphan.logId, tenantId, tenantCalls);
          owed.delete(tenantId);
        } catch (error) {
          const newest = highest(tenantCalls, (call) => call.at);
          // Only a tenant that refuses the write itself (suspended, erased) for longer than the retry
          // age is given up, like live data; an unreachable database keeps the log for the next pass.
          const refused = isTenantRefusal(error);
          if (refused && newest < Date.now() - this.options.maxRetryAgeMs) {
            givenUp.push({ tenantId, lines: tenantCalls.length });
            owed.delete(tenantId);
          } else complete = false;
          this.logger.warn('prediction log replay failed for a tenant', { tenantId, logId: orphan.logId, tenantRefused: refused, error: error instanceof Error ? error.message : String(error) });
        }
      }
      if (!complete) {
        this.leftoverByLog.set(orphan.logId, owed);
        this.measureLeftover();
        continue;
      }
      for (const file of orphan.files) removeFile(file);
      this.leftoverByLog.delete(orphan.logId);
      this.measureLeftover();
      // Lines past the marks of these tenants were never counted nor audited, and their files are gone now.
      for (const lost of givenUp) this.logger.error('prediction log lines given up: the tenant refused the write for longer than the retry age', { ...lost, logId: orphan.logId, maxRetryAgeMs: this.options.maxRetryAgeMs });
    }
  }

  private async replayTenant(logId: string, tenantId: string, calls: LoggedCall[]): Promise<void> {
    // The principal of each subject, from whichever line carried it (once per tally in a log).
    const principals = new Map<string, Principal>();
    for (const call of calls) if (call.principal) principals.set(call.principal.subject, call.principal);
    const principalOf = (subject: string): Principal =>
      principals.get(subject) ?? { kind: 'user', subject, tenantId, roles: [], clientId: undefined, requestId: 'prediction-log-replay', sourceIp: undefined };
    const scope = await this.scopes.forPrincipal(principalOf(calls[0]!.subject));
    await scope.transaction(async (manager) => {
      const mark = await readMark(manager, logId);
      const deltas = new Map<string, StatsDelta>();
      const tallies = new Map<string, AuditTally>();
      let last = 0;
      for (let index = 0; index < calls.length; index++) {
        const call = calls[index]!;
        const aggregated = { ...call, principal: principalOf(call.subject) };
        if (call.seq > mark.statsSeq) addCall(deltas, undefined, aggregated);
        if (call.seq > mark.auditSeq) addToTally(tallies, `${tenantId}|${call.versionId}|${minuteOf(call.at).getTime()}`, minuteOf(call.at), aggregated);
        last = Math.max(last, call.seq);
        // A long log is aggregated in slices: requests keep being answered meanwhile.
        if ((index + 1) % replaySlice === 0) await nextTurn();
      }
      await writeAggregate(manager, logId, [...deltas.values()], [...tallies.values()], { statsSeq: last, auditSeq: last });
    });
  }

  /** Stats of a tenant with no audit tally to flush carry the principal of the delta's first call. */
  private principalFor(delta: StatsDelta): Principal {
    const tally = [...this.tallies.values()].find((t) => t.tenantId === delta.tenantId);
    if (tally) return tally.principal;
    return { kind: 'user', subject: 'inference-stats', tenantId: delta.tenantId, roles: ['viewer'], clientId: undefined, requestId: 'inference-stats', sourceIp: undefined };
  }

  /**
   * Puts back what a flush took and did not write. When the tenant refused the write, what is past
   * the retry age is given up, and returned (calls in the stats, calls in audit tallies); else
   * everything is kept, whatever its age.
   */
  private restore(deltas: StatsDelta[], tallies: AuditTally[], tenantRefused: boolean): { calls: number; auditedCalls: number } {
    const oldest = tenantRefused ? Date.now() - this.options.maxRetryAgeMs : -Infinity;
    const lost = { calls: 0, auditedCalls: 0 };
    for (const d of deltas) {
      if (d.minute.getTime() < oldest) {
        lost.calls += d.calls;
        continue;
      }
      const key = `${d.tenantId}|${d.versionId}|${d.minute.getTime()}|retry`;
      const existing = this.deltas.get(key);
      if (!existing) this.deltas.set(key, d);
      else mergeDelta(existing, d);
    }
    for (const t of tallies) {
      if (t.minute.getTime() < oldest) {
        lost.auditedCalls += t.calls;
        this.backlog.release(t.tenantId, t.bytes ?? 0);
        continue;
      }
      const key = `${t.tenantId}|${t.versionId}|${t.minute.getTime()}|${t.principal.subject}`;
      const existing = this.tallies.get(key);
      if (!existing) this.tallies.set(key, t);
      else mergeTally(existing, t);
    }
    return lost;
  }
}

/** Calls aggregated between two yields to the event loop while a log is replayed. */
const replaySlice = 5_000;

/** The highest value of `of` over `items` (0 for none), without spreading them as arguments (a log can hold more than the stack takes). */
function highest<T>(items: readonly T[], of: (item: T) => number): number {
  let max = 0;
  for (const item of items) max = Math.max(max, of(item));
  return max;
}
