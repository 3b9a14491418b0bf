import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import { isKeyProviderError, wrappedKeyVersion, type KeyProvider } from '@tessera/key-provider';
import { dataKeyContext, quoteIdentifier, type KeyEvent } from '@tessera/tenancy';

export type RewrapStatus = 'RUNNING' | 'DONE' | 'FAILED';

/** One rewrap run, as kept in `kek_rewraps`. */
export interface RewrapRun {
  id: number;
  keyName: string;
  targetVersion: number;
  status: RewrapStatus;
  rewrapped: number;
  failed: number;
  lastError: string | null;
  requestedBy: string;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface RewrapperOptions {
  /** Data keys per batch (one SELECT, then one rewrap and one UPDATE each). */
  batchSize: number;
  /** Pause between batches: bounds the load a rewrap puts on the provider and the database. */
  pauseMs: number;
}

export const defaultRewrapperOptions: RewrapperOptions = { batchSize: 100, pauseMs: 0 };

interface RunRow {
  id: number;
  key_name: string;
  target_version: number;
  status: RewrapStatus;
  rewrapped: number;
  failed: number;
  last_error: string | null;
  requested_by: string;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/**
 * Moves every wrapped tenant data key to the key-encryption key's latest version, in the
 * background, with the provider's rewrap (the data key never leaves the provider, and does not
 * change: objects are not re-encrypted). Readers keep working throughout: until a row is updated
 * its old wrap still unwraps, afterwards the new one does, and both give the same key.
 *
 * Batched and resumable: the rows still to do are simply those below the target version, so a run
 * interrupted by a restart goes on from where it stopped (a RUNNING run is picked up at start).
 * One replica drives a run at a time (a MySQL advisory lock); progress is kept in `kek_rewraps`.
 */
export class DataKeyRewrapper {
  private readonly keysTable: string;
  private readonly runsTable: string;
  private readonly lockName: string;
  private driving: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly deps: {
      db: DataSource;
      controlSchema: string;
      provider: KeyProvider;
      logger: Logger;
      /** Records each rewrapped key in the tenant's log and the platform security log. */
      onKeyEvent: ((tenantId: string, event: KeyEvent) => Promise<void>) | undefined;
    },
    private readonly options: RewrapperOptions = defaultRewrapperOptions,
  ) {
    const schema = quoteIdentifier(deps.controlSchema);
    this.keysTable = `${schema}.tenant_keys`;
    this.runsTable = `${schema}.kek_rewraps`;
    this.lockName = `tessera_kek_rewrap:${deps.controlSchema}`;
  }

  /** Starts a run to the latest version (or retargets the one under way) and returns it. */
  async start(requestedBy: string): Promise<RewrapRun> {
    const target = (await this.deps.provider.status()).latestVersion;
    const now = new Date();
    const running = await this.latest('RUNNING');
    let id: number;
    if (running) {
      id = running.id;
      await this.deps.db.query(`UPDATE ${this.runsTable} SET target_version = GREATEST(target_version, ?), updated_at = ? WHERE id = ?`, [target, now, id]);
    } else {
      const result = (await this.deps.db.query(
        `INSERT INTO ${this.runsTable} (key_name, target_version, status, rewrapped, failed, requested_by, started_at, updated_at) VALUES (?, ?, 'RUNNING', 0, 0, ?, ?, ?)`,
        [this.deps.provider.keyName, target, requestedBy.slice(0, 255), now, now],
      )) as { insertId: number };
      id = Number(result.insertId);
    }
    this.kick();
    const run = await this.find(id);
    if (!run) throw new Error(`rewrap run ${id} vanished`);
    return run;
  }

  /** Picks up a run left RUNNING by a stopped or crashed process (called when the service starts). */
  resume(): void {
    void this.latest('RUNNING')
      .then((run) => {
        if (run) this.kick();
      })
      .catch((error: unknown) => this.deps.logger.warn('could not look for an unfinished rewrap run', { error: String(error) }));
  }

  /** The newest run (any status), for the status query. */
  async latest(status?: RewrapStatus): Promise<RewrapRun | undefined> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.runsTable} ${status ? 'WHERE status = ?' : ''} ORDER BY id DESC LIMIT 1`, status ? [status] : [])) as RunRow[];
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Lets the current batch finish; the run stays RUNNING and is resumed on the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.driving;
  }

  /** Until the current drive (if any) ends: for tests and the status of a finished run. */
  async idle(): Promise<void> {
    await this.driving;
  }

  private kick(): void {
    if (this.driving || this.stopping) return;
    this.driving = this.drive()
      .catch((error: unknown) => this.deps.logger.error('key rewrap stopped', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        this.driving = undefined;
      });
  }

  private async find(id: number): Promise<RewrapRun | undefined> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.runsTable} WHERE id = ?`, [id])) as RunRow[];
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  private async drive(): Promise<void> {
    const runner = this.deps.db.createQueryRunner();
    await runner.connect();
    try {
      // Another replica driving the run: it will finish it.
      const [lock] = (await runner.query('SELECT GET_LOCK(?, 0) AS acquired', [this.lockName])) as Array<{ acquired: number | null }>;
      if (lock?.acquired !== 1) return;
      try {
        let run = await this.latest('RUNNING');
        // Rows that failed in this drive are not tried again until the next one.
        const skipped = new Set<string>();
        while (run && !this.stopping) {
          const progress = await this.batch(run, skipped);
          const now = new Date();
          if (progress.done) {
            const status: RewrapStatus = run.failed + progress.failed > 0 ? 'FAILED' : 'DONE';
            await this.deps.db.query(
              `UPDATE ${this.runsTable} SET status = ?, rewrapped = rewrapped + ?, failed = failed + ?, last_error = COALESCE(?, last_error), target_version = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
              [status, progress.rewrapped, progress.failed, progress.lastError, progress.target, now, now, run.id],
            );
            this.deps.logger.info('key rewrap finished', { run: run.id, status, targetVersion: progress.target });
            run = await this.latest('RUNNING'); // a rotation during the last batch
            continue;
          }
          await this.deps.db.query(
            `UPDATE ${this.runsTable} SET rewrapped = rewrapped + ?, failed = failed + ?, last_error = COALESCE(?, last_error), target_version = ?, updated_at = ? WHERE id = ?`,
            [progress.rewrapped, progress.failed, progress.lastError, progress.target, now, run.id],
          );
          run = await this.find(run.id);
          if (this.options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
        }
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [this.lockName]);
      }
    } finally {
      await runner.release();
    }
  }

  private async batch(run: RewrapRun, skipped: Set<string>): Promise<{ done: boolean; target: number; rewrapped: number; failed: number; lastError: string | null }> {
    // The latest version now: a rotation in the middle of a run retargets it.
    const target = Math.max(run.targetVersion, (await this.deps.provider.status()).latestVersion);
    const rows = (await this.deps.db.query(
      `SELECT tenant_id, version, wrapped_key, kek_version FROM ${this.keysTable} WHERE kek_version < ? ORDER BY tenant_id, version LIMIT ?`,
      [target, this.options.batchSize + skipped.size],
    )) as Array<{ tenant_id: string; version: number; wrapped_key: string; kek_version: number }>;
    const todo = rows.filter((row) => !skipped.has(`${row.tenant_id}#${row.version}`)).slice(0, this.options.batchSize);
    let rewrapped = 0;
    let failed = 0;
    let lastError: string | null = null;
    for (const row of todo) {
      const version = Number(row.version);
      try {
        const wrapped = await this.deps.provider.rewrap(row.wrapped_key, dataKeyContext(row.tenant_id, version));
        const kekVersion = wrappedKeyVersion(wrapped);
        const result = (await this.deps.db.query(`UPDATE ${this.keysTable} SET wrapped_key = ?, kek_version = ? WHERE tenant_id = ? AND version = ? AND wrapped_key = ?`, [wrapped, kekVersion ?? null, row.tenant_id, version, row.wrapped_key])) as { affectedRows?: number };
        // Zero rows: the key was erased (or rewrapped by someone else) meanwhile: nothing to record.
        if ((result.affectedRows ?? 0) === 0) continue;
        rewrapped += 1;
        await this.deps.onKeyEvent?.(row.tenant_id, { action: 'key.rewrap', version, kekVersion, fromKekVersion: Number(row.kek_version) });
      } catch (error) {
        // The provider unreachable: stop this batch, the run stays RUNNING and is retried.
        if (isKeyProviderError(error, 'KEY_PROVIDER_UNAVAILABLE')) throw error;
        failed += 1;
        skipped.add(`${row.tenant_id}#${version}`);
        lastError = `${row.tenant_id} v${version}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 512);
      }
    }
    return { done: todo.length === 0, target, rewrapped, failed, lastError };
  }
}

function toRun(row: RunRow): RewrapRun {
  return {
    id: Number(row.id),
    keyName: row.key_name,
    targetVersion: Number(row.target_version),
    status: row.status,
    rewrapped: Number(row.rewrapped),
    failed: Number(row.failed),
    lastError: row.last_error,
    requestedBy: row.requested_by,
    startedAt: new Date(row.started_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  };
}
