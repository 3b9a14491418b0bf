import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import { apartFromLockHolder, quoteIdentifier, withAdvisoryLock } from '@tessera/tenancy';
import type { KeyOperationKind } from './object-reencryptor';

export interface KeyOperationDrivesDeps {
  db: DataSource;
  controlSchema: string;
  logger: Logger;
}

/**
 * The background half of a resumable run kept in `key_operations`: one drive per run in this
 * process, each under an advisory lock so exactly one replica drives it, picked up again at start
 * when a stopped or crashed process left it RUNNING. What one step of the run does is the caller's.
 */
export class KeyOperationDrives {
  private readonly driving = new Map<string, Promise<void>>();
  /** Per tenant, the last drive queued in this process: its next one starts when it ends. */
  private readonly tenantTurns = new Map<string, Promise<void>>();
  private stopped = false;
  /** The pauses under way between batches: `stop` ends them at once. */
  private readonly pauses = new Set<() => void>();

  constructor(
    private readonly deps: KeyOperationDrivesDeps,
    private readonly kinds: readonly KeyOperationKind[],
    /** Names the runs in log lines ("re-encryption run", "key rotation run"). */
    private readonly label: string,
    private readonly drive: (id: string) => Promise<void>,
  ) {}

  /** True once `stop` was called: a drive checks it between batches and leaves the run RUNNING. */
  get stopping(): boolean {
    return this.stopped;
  }

  /**
   * Drives the run unless this process already does (or is stopping). A tenant's runs of these
   * kinds go one after another: each batch reads objects whole in the owner's process and takes a
   * port connection, so a tenant rotating all its datasets' keys at once must neither hold that
   * many batches in memory nor take every connection from other tenants' runs.
   */
  kick(id: string): void {
    if (this.driving.has(id) || this.stopped) return;
    const lock = `tessera_key_op:${this.deps.controlSchema}:${id}`;
    // Kicked by a start that runs under its own lock and returns before the run ends: the drive's
    // lock takes a turn of its own (see withAdvisoryLock), not the start's.
    const drive = apartFromLockHolder(() => this.inTenantTurn(id, () => withAdvisoryLock(this.deps.db, lock, { waitSeconds: 0, busyMessage: 'driven elsewhere' }, () => this.drive(id))))
      .catch((error: unknown) => this.deps.logger.warn(`${this.label} stopped`, { id, error: String(error) }))
      .finally(() => this.driving.delete(id));
    this.driving.set(id, drive);
  }

  private async inTenantTurn(id: string, run: () => Promise<void>): Promise<void> {
    const rows = (await this.deps.db.query(`SELECT tenant_id FROM ${quoteIdentifier(this.deps.controlSchema)}.key_operations WHERE id = ?`, [id])) as Array<{ tenant_id: string }>;
    const tenantId = rows[0]?.tenant_id;
    if (tenantId === undefined) return;
    const previous = this.tenantTurns.get(tenantId) ?? Promise.resolve();
    const mine = previous.then(() => (this.stopped ? undefined : run()));
    const turn = mine.catch(() => undefined);
    this.tenantTurns.set(tenantId, turn);
    try {
      await mine;
    } finally {
      if (this.tenantTurns.get(tenantId) === turn) this.tenantTurns.delete(tenantId);
    }
  }

  /** Picks up runs of these kinds left RUNNING by a stopped or crashed process (called when the service starts). */
  resume(): void {
    const kinds = this.kinds.map(() => '?').join(', ');
    void (this.deps.db.query(`SELECT id FROM ${quoteIdentifier(this.deps.controlSchema)}.key_operations WHERE kind IN (${kinds}) AND status = 'RUNNING'`, [...this.kinds]) as Promise<Array<{ id: string }>>)
      .then((rows) => rows.forEach((row) => this.kick(row.id)))
      .catch((error: unknown) => this.deps.logger.warn(`could not look for unfinished ${this.label}s`, { error: String(error) }));
  }

  /** Lets the current batches finish; the runs stay RUNNING and are resumed on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const end of [...this.pauses]) end();
    await Promise.all(this.driving.values());
  }

  /**
   * Waits `ms` between two batches of a run, or until `stop`: a stop never waits out a pause (the
   * run stays RUNNING and is resumed where it was).
   */
  pause(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.pauses.add(end);
    });
  }

  /** Until the drives of this process end (tests). */
  async idle(): Promise<void> {
    await Promise.all(this.driving.values());
  }
}
