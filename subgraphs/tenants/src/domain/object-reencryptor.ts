import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { isFamilyHeaderVersion, type ObjectReencryptionInput, type ObjectReencryptionProgress } from '@tessera/service-kit';
import { advisoryLockName, quoteIdentifier, raiseDataKeyFloor, withAdvisoryLock, type TenantKeyring, type TenantScopeFactory } from '@tessera/tenancy';
import { KeyOperationDrives } from './key-operation-drives';

export type KeyOperationStatus = 'RUNNING' | 'DONE' | 'FAILED';

/** A tenant-wide re-encryption, or the rotation of one dataset's or model's own key with the re-encryption of its objects. */
export type KeyOperationKind = 'REENCRYPT' | 'ROTATE_DATASET_KEY' | 'ROTATE_MODEL_KEY';

/** One re-encryption run of a tenant, as kept in `key_operations`. */
export interface KeyOperation {
  id: string;
  tenantId: string;
  kind: KeyOperationKind;
  /** The dataset or model a family-key operation works on (null for a tenant-wide run). */
  targetId: string | null;
  targetVersion: number;
  status: KeyOperationStatus;
  reencrypted: number;
  remaining: number | null;
  lastError: string | null;
  requestedBy: string;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** An owner of encrypted objects: re-encrypts a batch of a tenant's objects in its own process, through its port. */
export interface ReencryptionOwner {
  name: string;
  reencryptObjects(actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress>;
}

export interface ObjectReencryptorDeps {
  db: DataSource;
  controlSchema: string;
  keyring: TenantKeyring;
  owners: readonly ReencryptionOwner[];
  logger: Logger;
  /** The tenant's scopes in this process: a last look at every object's header before a version is destroyed. */
  scopes: TenantScopeFactory;
}

export interface ReencryptorOptions {
  /** Objects per owner call. */
  batchSize: number;
  /** Pause between batches: bounds the load on the owners, the store and the database. */
  pauseMs: number;
}

export const defaultReencryptorOptions: ReencryptorOptions = { batchSize: 20, pauseMs: 0 };

export interface OperationRow {
  id: string;
  tenant_id: string;
  kind: KeyOperationKind;
  target_id: string | null;
  target_version: number;
  status: KeyOperationStatus;
  reencrypted: number;
  remaining: number | null;
  last_error: string | null;
  requested_by: string;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/**
 * Moves every object of a tenant to its current data key, in the background: the objects' owners
 * (datasets, models) re-encrypt them in batches through their ports, in their own processes (the
 * tenants service never reads their tables or objects). The run is resumable: the objects still
 * to do are simply those under an older key version, so a restarted service goes on from where
 * it stopped (RUNNING runs are picked up at start); one replica drives a run (advisory lock).
 */
export class ObjectReencryptor {
  private readonly table: string;
  private readonly drives: KeyOperationDrives;

  constructor(
    private readonly deps: ObjectReencryptorDeps,
    private readonly options: ReencryptorOptions = defaultReencryptorOptions,
  ) {
    this.table = `${quoteIdentifier(deps.controlSchema)}.key_operations`;
    this.drives = new KeyOperationDrives(deps, ['REENCRYPT'], 're-encryption run', (id) => this.drive(id));
  }

  /** Starts a run to the tenant's current key version, or returns the one already running. */
  async start(tenantId: string, requestedBy: string): Promise<KeyOperation> {
    // The look for a running one and the insert under the tenant's lock: parallel starts each found
    // none and began their own run over the same objects.
    const lock = advisoryLockName('reencrypt', this.deps.controlSchema, tenantId);
    return withAdvisoryLock(this.deps.db, lock, { waitSeconds: 10, busyMessage: `A re-encryption of tenant ${tenantId} is being started; try again.`, tenantId }, () => this.startUnlocked(tenantId, requestedBy));
  }

  private async startUnlocked(tenantId: string, requestedBy: string): Promise<KeyOperation> {
    const running = (await this.deps.db.query(`SELECT * FROM ${this.table} WHERE tenant_id = ? AND kind = 'REENCRYPT' AND status = 'RUNNING' ORDER BY started_at DESC LIMIT 1`, [tenantId])) as OperationRow[];
    if (running[0]) {
      this.drives.kick(running[0].id);
      return toOperation(running[0]);
    }
    const { keyVersion } = await this.deps.keyring.currentKey(tenantId);
    const id = randomUUID();
    const now = new Date();
    await this.deps.db.query(`INSERT INTO ${this.table} (id, tenant_id, kind, target_version, status, reencrypted, requested_by, started_at, updated_at) VALUES (?, ?, 'REENCRYPT', ?, 'RUNNING', 0, ?, ?, ?)`, [
      id,
      tenantId,
      keyVersion,
      requestedBy,
      now,
      now,
    ]);
    this.drives.kick(id);
    return (await this.find(id))!;
  }

  async find(id: string): Promise<KeyOperation | undefined> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.table} WHERE id = ?`, [id])) as OperationRow[];
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  /**
   * Before `version` is counted for its retirement: no new value may be sealed under it or older,
   * and every write that took it has committed (the tenant's data-key floor, in its schema; see
   * @tessera/tenancy data-key-floor.ts). Only for a version that is no longer current: the floor
   * never passes the current version, so writers always have a key to take.
   */
  async closeSealedWrites(tenantId: string, version: number): Promise<void> {
    const scope = await this.deps.scopes.forPrincipal(ownerActor(tenantId, 'retire'));
    await scope.db((manager) => raiseDataKeyFloor(manager, tenantId, version));
  }

  /**
   * What of the tenant is still encrypted under `version` or older: first as each owner counts
   * it, then, when they count nothing, every object of the tenant's bucket by its header (anything
   * no owner's run covers, e.g. an upload still staged, blocks the destruction too).
   */
  async dependents(tenantId: string, version: number): Promise<number> {
    let total = 0;
    for (const owner of this.deps.owners) total += (await owner.reencryptObjects(ownerActor(tenantId, 'count'), { belowVersion: version + 1, batchSize: 0 })).remaining;
    if (total > 0) return total;
    const scope = await this.deps.scopes.forPrincipal(ownerActor(tenantId, 'count'));
    for (const key of await scope.bucket.listKeys('')) {
      const keyVersion = await scope.bucket.headerKeyVersion(key);
      // Under a dataset's or model's own key, whose wraps the owners counted above.
      if (keyVersion !== undefined && !isFamilyHeaderVersion(keyVersion) && keyVersion <= version) total++;
    }
    return total;
  }

  /** Picks up runs left RUNNING by a stopped or crashed process (called when the service starts). */
  resume(): void {
    this.drives.resume();
  }

  /** Lets the current batches finish; the runs stay RUNNING and are resumed on the next start. */
  async stop(): Promise<void> {
    await this.drives.stop();
  }

  /** Until the drives of this process end (tests). */
  async idle(): Promise<void> {
    await this.drives.idle();
  }

  private async drive(id: string): Promise<void> {
    for (;;) {
      if (this.drives.stopping) return;
      const operation = await this.find(id);
      if (!operation || operation.status !== 'RUNNING') return;
      let reencrypted = 0;
      let remaining = 0;
      try {
        for (const owner of this.deps.owners) {
          const progress = await owner.reencryptObjects(ownerActor(operation.tenantId, id), { belowVersion: operation.targetVersion, batchSize: this.options.batchSize });
          reencrypted += progress.reencrypted;
          remaining += progress.remaining;
        }
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        await this.deps.db.query(`UPDATE ${this.table} SET status = 'FAILED', last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`, [message, new Date(), new Date(), id]);
        await this.record(operation, 'key.reencrypt.failed', { error: message }, 'FAILED');
        return;
      }
      if (reencrypted === 0 && remaining > 0) {
        // The owners have objects left but moved none: stop instead of spinning (the current key is older than the target, say).
        const message = `no progress: ${remaining} object(s) left under an older key version`;
        await this.deps.db.query(`UPDATE ${this.table} SET status = 'FAILED', remaining = ?, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`, [remaining, message, new Date(), new Date(), id]);
        await this.record(operation, 'key.reencrypt.failed', { error: message }, 'FAILED');
        return;
      }
      const now = new Date();
      const done = remaining === 0;
      await this.deps.db.query(`UPDATE ${this.table} SET reencrypted = reencrypted + ?, remaining = ?, status = ?, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'RUNNING'`, [
        reencrypted,
        remaining,
        done ? 'DONE' : 'RUNNING',
        now,
        done ? now : null,
        id,
      ]);
      if (done) {
        await this.record(operation, 'key.reencrypt.done', { reencrypted: operation.reencrypted + reencrypted });
        return;
      }
      await this.drives.pause(this.options.pauseMs);
    }
  }

  /** A run that failed is recorded with outcome FAILED: an auditor looking for failures filters on it. */
  private async record(operation: KeyOperation, action: string, details: Record<string, string | number>, outcome: 'SUCCESS' | 'FAILED' = 'SUCCESS'): Promise<void> {
    const actor = ownerActor(operation.tenantId, operation.id);
    const event = { action, targetType: 'KeyOperation', targetId: operation.id, outcome, details: { targetVersion: operation.targetVersion, ...details } };
    try {
      await this.deps.db.transaction((manager) => recordSecurityEvent(manager, actor, { ...event, tenantId: operation.tenantId }));
      await recordInTenantLog(this.deps.db, operation.tenantId, actor, event);
    } catch (error) {
      this.deps.logger.warn('could not record a re-encryption event', { id: operation.id, error: String(error) });
    }
  }
}

/**
 * Who the owners see asking: the platform's key management acting as an admin of that one tenant
 * (their ports scope every call by the actor's tenant, so a run reaches no other tenant's objects).
 */
export function ownerActor(tenantId: string, operation: string): Principal {
  return { kind: 'user', subject: `system:key-operation:${operation}`, tenantId, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

export function toOperation(row: OperationRow): KeyOperation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    targetId: row.target_id ?? null,
    targetVersion: Number(row.target_version),
    status: row.status,
    reencrypted: Number(row.reencrypted),
    remaining: row.remaining === null ? null : Number(row.remaining),
    lastError: row.last_error,
    requestedBy: row.requested_by,
    startedAt: new Date(row.started_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  };
}
