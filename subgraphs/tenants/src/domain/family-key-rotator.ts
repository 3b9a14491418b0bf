import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { errors, isTesseraError } from '@tessera/errors';
import type { FamilyKeyInput, FamilyKeyReport, FamilyKeyVersionInput, FamilyReencryptionInput, FamilyReencryptionProgress, ObjectReencryptionProgress } from '@tessera/service-kit';
import { advisoryLockName, quoteIdentifier, withAdvisoryLockIfFree } from '@tessera/tenancy';
import { ownerActor, toOperation, type KeyOperation, type KeyOperationKind, type OperationRow } from './object-reencryptor';
import { KeyOperationDrives } from './key-operation-drives';

/** How long a run waits before asking again when the owner's scan turns of its tenant are taken. */
const scanTurnRetryMs = 250;

/** Which owner's family: a dataset (datasets service) or a model (models service). */
export type KeyFamilyKind = 'dataset' | 'model';

/** The family-key methods of an owner's port (datasets, models). */
export interface FamilyKeyOwner {
  familyKeyStatus(actor: Principal, input: FamilyKeyInput): Promise<FamilyKeyReport>;
  rotateFamilyKey(actor: Principal, input: FamilyKeyInput): Promise<{ familyId: string; version: number }>;
  reencryptFamilyObjects(actor: Principal, input: FamilyReencryptionInput): Promise<FamilyReencryptionProgress>;
  destroyFamilyKeyVersion(actor: Principal, input: FamilyKeyVersionInput): Promise<{ familyId: string; version: number }>;
}

export interface FamilyKeyRotatorDeps {
  db: DataSource;
  controlSchema: string;
  owners: Record<KeyFamilyKind, FamilyKeyOwner>;
  logger: Logger;
}

export interface FamilyKeyRotatorOptions {
  /** Objects per owner call. */
  batchSize: number;
  /** Pause between batches. */
  pauseMs: number;
  /** How long a rotation that finds another replica starting one looks for that run to join before answering CONFLICT. */
  joinWaitMs?: number | undefined;
}

export const defaultFamilyKeyRotatorOptions: FamilyKeyRotatorOptions = { batchSize: 20, pauseMs: 0 };

/** A replica records its run a few milliseconds after it claims the start. */
const defaultJoinWaitMs = 500;

/** Between looks for the run another replica is recording. */
const joinPollMs = 50;

const kindOf: Record<KeyFamilyKind, KeyOperationKind> = { dataset: 'ROTATE_DATASET_KEY', model: 'ROTATE_MODEL_KEY' };
const familyOf: Partial<Record<KeyOperationKind, KeyFamilyKind>> = { ROTATE_DATASET_KEY: 'dataset', ROTATE_MODEL_KEY: 'model' };
const targetTypeOf: Record<KeyFamilyKind, string> = { dataset: 'Dataset', model: 'Model' };

/**
 * Rotation of one dataset's or one model's own key: the owner adds a key version (new objects of
 * that family use it at once), then a background run in the tenants service, kept in
 * `key_operations` beside tenant-wide re-encryptions, has the owner re-encrypt the family's
 * objects in batches in its own process, and destroys the older versions once no object of the
 * family is under them. Resumable (what is left is what is not under the latest version; RUNNING
 * runs are picked up at start); one replica drives a run (advisory lock); a rotation requested
 * while one of the same family runs joins it.
 */
export class FamilyKeyRotator {
  private readonly table: string;
  private readonly drives: KeyOperationDrives;
  /** Starts under way in this process, by tenant, family and id: callers asking at once share one. */
  private readonly starting = new Map<string, Promise<{ operation: KeyOperation; key: FamilyKeyReport }>>();

  constructor(
    private readonly deps: FamilyKeyRotatorDeps,
    private readonly options: FamilyKeyRotatorOptions = defaultFamilyKeyRotatorOptions,
  ) {
    this.table = `${quoteIdentifier(deps.controlSchema)}.key_operations`;
    this.drives = new KeyOperationDrives(deps, ['ROTATE_DATASET_KEY', 'ROTATE_MODEL_KEY'], 'key rotation run', (id) => this.drive(id));
  }

  /** The family's key versions, through its owner (NOT_FOUND for an id the tenant does not hold). */
  async status(tenantId: string, family: KeyFamilyKind, familyId: string, subject: string): Promise<FamilyKeyReport> {
    return this.deps.owners[family].familyKeyStatus(actingFor(tenantId, subject), { familyId });
  }

  /**
   * Rotates the family's key and starts the run, or joins the run of a rotation of the same
   * family still going (no second version: the objects are on their way to a fresh one already).
   *
   * Nobody queues on a lock: callers in this process asking at once share one start (one of them
   * is answered `coalesced: false`, the others `coalesced: true` with the same run). Across
   * replicas, the start is claimed with an advisory lock taken without waiting; a replica that
   * finds it taken looks for the run the other one records (a few milliseconds later) for up to
   * `joinWaitMs`, holding no connection, and joins it; if none shows up by then it answers
   * CONFLICT `KEY_ROTATION_STARTING` with `retryAfterSeconds`. The lock is held only while the
   * owner adds the version and the run is recorded, never during the re-encryption.
   */
  async rotate(tenantId: string, family: KeyFamilyKind, familyId: string, principal: Principal): Promise<{ operation: KeyOperation; coalesced: boolean; key: FamilyKeyReport }> {
    const name = `${tenantId}\u0000${family}\u0000${familyId}`;
    const pending = this.starting.get(name);
    if (pending) return { ...(await pending), coalesced: true };
    let started = false;
    // The key's state is read once for every caller sharing the start (each read scans the dataset's objects).
    const start = this.start(tenantId, family, familyId, principal).then(async (outcome) => {
      started = !outcome.coalesced;
      return { operation: outcome.operation, key: await this.status(tenantId, family, familyId, principal.subject) };
    });
    this.starting.set(name, start);
    try {
      return { ...(await start), coalesced: !started };
    } finally {
      if (this.starting.get(name) === start) this.starting.delete(name);
    }
  }

  private async start(tenantId: string, family: KeyFamilyKind, familyId: string, principal: Principal): Promise<{ operation: KeyOperation; coalesced: boolean }> {
    const kind = kindOf[family];
    // Lock names are at most 64 characters: a digest of the family's full name.
    const lock = advisoryLockName('family_key', this.deps.controlSchema, tenantId, familyId);
    const deadline = Date.now() + (this.options.joinWaitMs ?? defaultJoinWaitMs);
    for (;;) {
      const claimed = await withAdvisoryLockIfFree(this.deps.db, lock, async () => {
        const running = await this.runningOf(tenantId, kind, familyId);
        if (running) return { operation: running, coalesced: true };
        const { version } = await this.deps.owners[family].rotateFamilyKey(actingFor(tenantId, principal.subject), { familyId });
        const id = randomUUID();
        const now = new Date();
        await this.deps.db.query(
          `INSERT INTO ${this.table} (id, tenant_id, kind, target_id, target_version, status, reencrypted, requested_by, started_at, updated_at) VALUES (?, ?, ?, ?, ?, 'RUNNING', 0, ?, ?, ?)`,
          [id, tenantId, kind, familyId, version, principal.subject, now, now],
        );
        return { operation: (await this.find(id))!, coalesced: false };
      }, tenantId);
      if (claimed.ran) {
        const { operation, coalesced } = claimed.value;
        if (!coalesced) await this.record(tenantId, principal, { action: 'key.rotate', targetType: targetTypeOf[family], targetId: familyId, details: { version: operation.targetVersion, reason: 'requested', operation: operation.id } });
        this.drives.kick(operation.id);
        return claimed.value;
      }
      // Another replica is starting a rotation of this family: join its run once it is recorded.
      const running = await this.runningOf(tenantId, kind, familyId);
      if (running) {
        this.drives.kick(running.id);
        return { operation: running, coalesced: true };
      }
      if (Date.now() >= deadline) {
        throw errors.conflict(`Another rotation of this ${targetTypeOf[family].toLowerCase()}'s key is being started right now; ask again in a second to join its run.`, {
          reason: 'KEY_ROTATION_STARTING',
          retryAfterSeconds: 1,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, joinPollMs));
    }
  }

  private async runningOf(tenantId: string, kind: KeyOperationKind, familyId: string): Promise<KeyOperation | undefined> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.table} WHERE tenant_id = ? AND kind = ? AND target_id = ? AND status = 'RUNNING' ORDER BY started_at DESC LIMIT 1`, [
      tenantId,
      kind,
      familyId,
    ])) as OperationRow[];
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  /** Destroys an older key version of the family on request (KEY_VERSION_IN_USE while objects are under it; the owner decides). */
  async retire(tenantId: string, family: KeyFamilyKind, familyId: string, version: number, principal: Principal): Promise<FamilyKeyReport> {
    await this.deps.owners[family].destroyFamilyKeyVersion(actingFor(tenantId, principal.subject), { familyId, version });
    await this.record(tenantId, principal, { action: 'key.destroy', targetType: targetTypeOf[family], targetId: familyId, details: { version, reason: 'requested' } });
    // The version is gone: the answer must not say RATE_LIMITED (asking again would be refused,
    // the version being unknown) because the tenant's scan turns are busy: it waits for one.
    for (let tries = 1; ; tries++) {
      try {
        return await this.status(tenantId, family, familyId, principal.subject);
      } catch (error) {
        if (!(isTesseraError(error) && error.code === 'RATE_LIMITED') || tries >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, scanTurnRetryMs));
      }
    }
  }

  async find(id: string): Promise<KeyOperation | undefined> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${this.table} WHERE id = ?`, [id])) as OperationRow[];
    return rows[0] ? toOperation(rows[0]) : undefined;
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
    // Where the owner's scan of the family goes on (its `next`): each batch reads about one batch of
    // headers. Back to the start when the destruction finds something written meanwhile.
    let after: string | undefined;
    for (;;) {
      if (this.drives.stopping) return;
      const operation = await this.find(id);
      const family = operation ? familyOf[operation.kind] : undefined;
      if (!operation || !family || !operation.targetId || operation.status !== 'RUNNING') return;
      const owner = this.deps.owners[family];
      const actor = ownerActor(operation.tenantId, id);
      const familyId = operation.targetId;
      try {
        const progress = await owner.reencryptFamilyObjects(actor, { familyId, targetVersion: operation.targetVersion, batchSize: this.options.batchSize, after });
        const advanced = progress.next !== undefined && progress.next !== after;
        after = progress.next ?? after;
        if (progress.remaining > 0 && progress.reencrypted === 0 && !advanced) {
          await this.fail(operation, `no progress: ${progress.remaining} object(s) left under an older key`);
          return;
        }
        await this.deps.db.query(`UPDATE ${this.table} SET reencrypted = reencrypted + ?, remaining = ?, updated_at = ? WHERE id = ? AND status = 'RUNNING'`, [
          progress.reencrypted,
          progress.remaining,
          new Date(),
          id,
        ]);
        if (progress.remaining > 0) {
          await this.pause();
          continue;
        }
        // Nothing of the family is under an older version any more: those versions go.
        if (await this.destroyOlderVersions(operation, owner, familyId, family)) {
          const now = new Date();
          await this.deps.db.query(`UPDATE ${this.table} SET status = 'DONE', remaining = 0, last_error = NULL, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'RUNNING'`, [now, now, id]);
          const done = await this.find(id);
          await this.record(operation.tenantId, actor, {
            action: 'key.reencrypt.done',
            targetType: 'KeyOperation',
            targetId: id,
            details: { family: targetTypeOf[family], familyId, targetVersion: operation.targetVersion, reencrypted: done?.reencrypted ?? 0 },
          });
          return;
        }
        // Something was written under an older version between the count and the destruction: the next batch moves it.
        after = undefined;
      } catch (error) {
        // The owner's scan turns of the tenant (FamilyKeyOperations) were taken by its admins' key
        // statuses and retirements: the run waits for one rather than failing for it.
        if (isTesseraError(error) && error.code === 'RATE_LIMITED') {
          await this.drives.pause(Math.max(this.options.pauseMs, scanTurnRetryMs));
          continue;
        }
        await this.fail(operation, (error instanceof Error ? error.message : String(error)).slice(0, 500));
        return;
      }
    }
  }

  /** True when every version older than the target is gone; false when one still had objects (written meanwhile). */
  private async destroyOlderVersions(operation: KeyOperation, owner: FamilyKeyOwner, familyId: string, family: KeyFamilyKind): Promise<boolean> {
    const actor = ownerActor(operation.tenantId, operation.id);
    const status = await owner.familyKeyStatus(actor, { familyId });
    let allGone = true;
    for (const entry of status.versions.filter((candidate) => candidate.version < operation.targetVersion)) {
      try {
        await owner.destroyFamilyKeyVersion(actor, { familyId, version: entry.version });
      } catch (error) {
        if (isTesseraError(error) && error.code === 'KEY_VERSION_IN_USE') {
          allGone = false;
          continue;
        }
        throw error;
      }
      await this.record(operation.tenantId, actor, { action: 'key.destroy', targetType: targetTypeOf[family], targetId: familyId, details: { version: entry.version, reason: 'rotated', operation: operation.id } });
    }
    return allGone;
  }

  private async fail(operation: KeyOperation, message: string): Promise<void> {
    const now = new Date();
    await this.deps.db.query(`UPDATE ${this.table} SET status = 'FAILED', last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`, [message, now, now, operation.id]);
    const family = familyOf[operation.kind] ?? 'dataset';
    await this.record(operation.tenantId, ownerActor(operation.tenantId, operation.id), {
      outcome: 'FAILED',
      action: 'key.reencrypt.failed',
      targetType: 'KeyOperation',
      targetId: operation.id,
      details: { family: targetTypeOf[family], familyId: operation.targetId ?? '', targetVersion: operation.targetVersion, error: message },
    });
  }

  private async pause(): Promise<void> {
    await this.drives.pause(this.options.pauseMs);
  }

  /** One key event in the tenant's chain and the platform security log; a failed run's with outcome FAILED. */
  private async record(tenantId: string, actor: Principal, event: { action: string; targetType: string; targetId: string; details: Record<string, string | number>; outcome?: 'SUCCESS' | 'FAILED' }): Promise<void> {
    const audit = { ...event, outcome: event.outcome ?? ('SUCCESS' as const) };
    try {
      await this.deps.db.transaction((manager) => recordSecurityEvent(manager, actor, { ...audit, tenantId }));
      await recordInTenantLog(this.deps.db, tenantId, actor, audit);
    } catch (error) {
      this.deps.logger.warn('could not record a key event', { tenantId, action: event.action, error: String(error) });
    }
  }
}

/**
 * Who the owner sees asking: the requesting admin (or a platform admin) acting as an admin of that
 * one tenant; the owner's port scopes every call by this tenant, so nothing of another is reached.
 */
function actingFor(tenantId: string, subject: string): Principal {
  return { kind: 'user', subject, tenantId, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}
