import type { DataSource } from 'typeorm';
import { recordSecurityEvent, type ErasureAuthorityPort, type UnsignedErasureReceipt } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { bucketInventory, destroyBucket, type RegionalObjectStores } from '@tessera/storage';
import { quoteIdentifier, tenantBucketName, tenantSchemaName, withAdvisoryLock, type TenantKeyring, type TenantProvisioner, type TenantStore } from '@tessera/tenancy';

/** Longer than the gateway's rate-limit exchange interval (250 ms), with room for a slow exchange. */
const defaultRedisSettleMs = 1_000;

export interface ErasureRunnerDeps {
  db: DataSource;
  controlSchema: string;
  store: TenantStore;
  provisioner: TenantProvisioner;
  keyring: TenantKeyring;
  objectStores: RegionalObjectStores;
  bucketPrefix: string;
  /**
   * The audit service's part, through its port (in-process or over mutual TLS): it alone holds the
   * audit signing key, so it signs the receipt, computes the pseudonym and rewrites the security log.
   */
  audit: ErasureAuthorityPort;
  logger: Logger;
  /** Removes the tenant's Redis keys (queues, ring entries, counters); returns how many went. */
  eraseRedis: (tenantId: string) => Promise<number>;
  /** Tells every models replica to drop the tenant's inference pools, cached sessions, model files and keys. */
  announceErased: (tenantId: string) => Promise<unknown>;
  /** Tells every gateway replica to drop the tenant's cached members and API keys. */
  announceAccessChanged: (tenantId: string) => Promise<unknown>;
  /** The wait before the last Redis sweep (default 1 s); it must stay longer than the gateway's rate-limit exchange interval. */
  redisSettleMs?: number | undefined;
}

/** What each finished step recorded, kept in `tenant_erasures.progress` so a resumed run goes on from there. */
interface Progress {
  /** A platform admin's suspension before the request, or while it was pending: a cancel keeps it. */
  suspendedBefore?: boolean;
  suspendedDuring?: boolean;
  region?: string;
  inventory?: { bucket: string; objects: number; objectVersions?: number; bytes: number; incompleteUploads?: number; incompleteUploadBytes?: number };
  keys?: { keyId: string; destroyedAt: string; dataKeyVersions: number[]; singleLayerDataKeyVersions?: number[] };
  announced?: boolean;
  redisKeys?: number;
  /** The second Redis sweep ran (after the control-plane rows are gone). */
  redisSwept?: boolean;
  securityLog?: { pseudonymisedEvents: number; rewriteId: string | null; headSequence: number };
  controlPlaneRows?: Record<string, number>;
  removed?: boolean;
  /** The gateways were told to forget the tenant's members and keys (after its rows went). */
  accessForgotten?: boolean;
}

const runner: Principal = { kind: 'user', subject: 'system:tenant-erasure', tenantId: undefined, roles: [], clientId: undefined, requestId: 'tenant-erasure', sourceIp: undefined };

/** Who the audit port calls act for: the erasure's system actor of the erased tenant (the tenant id travels as the actor's). */
function erasureActor(tenantId: string, requestId: string): Principal {
  return { ...runner, tenantId, requestId: `tenant-erasure:${requestId}` };
}

/**
 * Carries out the erasures whose grace period is over, one replica at a time (a MySQL advisory
 * lock), step by step: each step is idempotent and records its result before the next starts, so
 * a crash resumes where it stopped. The order puts the irreversible-for-the-data step first: the
 * tenant's provider key is destroyed before anything else, so from then on every copy of its data
 * (backups included) is unreadable even if a later step has to be retried.
 */
export class TenantErasureRunner {
  private readonly table: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: ErasureRunnerDeps) {
    this.table = `${quoteIdentifier(deps.controlSchema)}.tenant_erasures`;
  }

  start(intervalMs = 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runDue()
        .catch((error: unknown) => this.deps.logger.warn('tenant erasure run failed; retried on the next pass', { error: String(error) }))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Erases every tenant whose request is due (or was interrupted); returns the request ids finished. */
  async runDue(now = new Date()): Promise<string[]> {
    return withAdvisoryLock(this.deps.db, `tessera_tenant_erasure:${this.deps.controlSchema}`, { waitSeconds: 0, busyMessage: 'another replica is erasing tenants' }, async () => {
      const due = (await this.deps.db.query(`SELECT id FROM ${this.table} WHERE (status = 'PENDING' AND scheduled_for <= ?) OR status = 'RUNNING' ORDER BY scheduled_for`, [now])) as Array<{ id: string }>;
      const done: string[] = [];
      for (const { id } of due) {
        // From PENDING only: a cancel that got there first wins.
        await this.deps.db.query(`UPDATE ${this.table} SET status = 'RUNNING', updated_at = ? WHERE id = ? AND status = 'PENDING'`, [new Date(), id]);
        // One erasure that keeps failing (a bucket under Object Lock, a region not served here) is
        // retried on the next pass; it must not hold up the others, due after it, until then.
        try {
          if (await this.erase(id)) done.push(id);
        } catch (error) {
          this.deps.logger.warn('tenant erasure step failed; retried on the next pass', { requestId: id, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return done;
    });
  }

  private async erase(id: string): Promise<boolean> {
    const rows = (await this.deps.db.query(`SELECT tenant_id, status, requested_at, progress FROM ${this.table} WHERE id = ?`, [id])) as Array<{ tenant_id: string | null; status: string; requested_at: Date; progress: unknown }>;
    const row = rows[0];
    if (!row || row.status !== 'RUNNING' || !row.tenant_id) return false;
    const tenantId = row.tenant_id;
    const progress: Progress = (typeof row.progress === 'string' ? JSON.parse(row.progress) : row.progress ?? {}) as Progress;
    const save = () => this.deps.db.query(`UPDATE ${this.table} SET progress = ?, updated_at = ? WHERE id = ?`, [JSON.stringify(progress), new Date(), id]);
    const bucket = tenantBucketName(this.deps.bucketPrefix, tenantId);

    if (!progress.inventory) {
      const tenant = await this.deps.store.find(tenantId);
      progress.region = tenant?.region ?? progress.region;
      progress.inventory = { bucket, objects: 0, objectVersions: 0, bytes: 0, incompleteUploads: 0, incompleteUploadBytes: 0 };
      if (progress.region) {
        const client = this.deps.objectStores.forBucketLifecycle({ id: tenantId, region: progress.region });
        // Every version and delete marker of a versioned bucket, not only what is current.
        progress.inventory = { bucket, ...(await bucketInventory(client, bucket)) };
      }
      await save();
    }
    if (!progress.keys) {
      const versions = (await this.deps.keyring.versions(tenantId)).map((key) => key.version);
      // Versions not under the tenant's own key (a tenant of the earlier design the adoption has
      // not reached): destroying the key does not shred their copies, and the receipt says so.
      const singleLayer = await this.deps.keyring.singleLayerVersions(tenantId);
      const destroyed = await this.deps.keyring.destroyTenantKey(tenantId);
      progress.keys = { keyId: destroyed.keyId, destroyedAt: destroyed.destroyedAt.toISOString(), dataKeyVersions: versions, ...(singleLayer.length > 0 ? { singleLayerDataKeyVersions: singleLayer } : {}) };
      await save();
    }
    if (!progress.announced) {
      // The keys are gone; the models replicas now drop the processes, sessions and model files that still hold the data in memory.
      await this.deps.announceErased(tenantId);
      progress.announced = true;
      await save();
    }
    if (progress.redisKeys === undefined) {
      progress.redisKeys = await this.deps.eraseRedis(tenantId);
      await save();
    }
    if (!progress.removed) {
      progress.controlPlaneRows = await this.countControlRows(tenantId);
      // The bucket first, checked: the provisioner's removal tolerates a bucket it cannot remove, an erasure must not.
      if (progress.region) {
        const client = this.deps.objectStores.forBucketLifecycle({ id: tenantId, region: progress.region });
        await destroyBucket(client, bucket);
        if (await client.bucketExists(bucket)) throw new Error(`bucket of the erased tenant is still there; retried on the next pass`);
      }
      await this.deps.provisioner.deprovision(tenantId);
      progress.removed = true;
      await save();
    }

    if (!progress.accessForgotten) {
      // The gateways keep a member's role or an API key for their cache lifetime (30 s): without
      // this, a key of the erased tenant still let its holder into a tenant provisioned again under
      // the same id within that time. Its rows are gone, so what a gateway reads from now on is "none".
      await this.deps.announceAccessChanged(tenantId);
      progress.accessForgotten = true;
      await save();
    }

    if (!progress.redisSwept) {
      // A gateway replica adds a tenant's last admitted requests to its shared rate-limit counter at
      // its next exchange (every 250 ms), so a counter can come back after the first sweep. With the
      // tenant's rows gone no request of it is admitted any more: one more sweep, a second later, is the last.
      await new Promise((resolve) => setTimeout(resolve, this.deps.redisSettleMs ?? defaultRedisSettleMs));
      progress.redisKeys = (progress.redisKeys ?? 0) + (await this.deps.eraseRedis(tenantId));
      progress.redisSwept = true;
      await save();
    }

    if (!progress.securityLog) {
      const rewritten = await this.deps.audit.pseudonymiseSecurityLog(erasureActor(tenantId, id), { requestId: id });
      progress.securityLog = { pseudonymisedEvents: rewritten.pseudonymisedEvents, rewriteId: rewritten.rewriteId, headSequence: rewritten.headSequence };
      await save();
    }

    const inventory = progress.inventory;
    const erasedAt = new Date();
    const hashRows = (await this.deps.db.query(`SELECT tenant_id_hash FROM ${this.table} WHERE id = ?`, [id])) as Array<{ tenant_id_hash: string }>;
    const payload: UnsignedErasureReceipt = {
      type: 'tessera.erasure-receipt',
      version: 1,
      requestId: id,
      tenantIdHash: hashRows[0]!.tenant_id_hash,
      region: progress.region ?? 'unknown',
      requestedAt: new Date(row.requested_at).toISOString(),
      erasedAt: erasedAt.toISOString(),
      destroyed: {
        schema: { name: tenantSchemaName(tenantId), dropped: true },
        buckets: [{ bucket, region: progress.region ?? 'unknown', objects: inventory.objects, objectVersions: inventory.objectVersions ?? inventory.objects, bytes: inventory.bytes, incompleteUploads: inventory.incompleteUploads ?? 0, incompleteUploadBytes: inventory.incompleteUploadBytes ?? 0 }],
        keys: [progress.keys],
        redisKeys: progress.redisKeys ?? 0,
        controlPlaneRows: progress.controlPlaneRows ?? {},
      },
      securityLog: progress.securityLog,
      kept: [
        {
          what: 'platform security log entries about this tenant, with the tenant id and its own actors (subjects, clients, addresses) replaced by keyed pseudonyms; platform admins and system actors named as they were',
          why: 'security and legal obligation: the platform must be able to show who did what to the tenant, and the pseudonyms still link its entries to each other; the hash chain was re-signed across the rewrite (securityLog.rewriteId)',
        },
        { what: 'this receipt and its request row (request/erasure times, id hash, pseudonym)', why: 'proof of erasure for the requester and the platform' },
      ],
    };
    const signed = await this.deps.audit.signErasureReceipt(erasureActor(tenantId, id), { payload });
    const pseudonym = signed.tenantPseudonym;
    await this.deps.db.transaction(async (manager) => {
      // The requester's subject goes with the tenant id: a tenant admin's is personal data the
      // security log keeps only as a pseudonym (that entry, not this row, records who asked).
      await manager.query(`UPDATE ${this.table} SET status = 'ERASED', tenant_id = NULL, requested_by = '', tenant_pseudonym = ?, erased_at = ?, receipt = ?, updated_at = ? WHERE id = ?`, [pseudonym, erasedAt, signed.receipt, erasedAt, id]);
      await recordSecurityEvent(manager, runner, {
        tenantId: null,
        action: 'tenant.erasure.complete',
        targetType: 'TenantPseudonym',
        targetId: pseudonym,
        outcome: 'SUCCESS',
        details: { requestId: id, receiptKeyId: signed.keyId, objects: inventory.objects, bytes: inventory.bytes, pseudonymisedEvents: progress.securityLog?.pseudonymisedEvents ?? 0 },
      });
    });
    return true;
  }

  /** Counted before they go, for the receipt: every control-plane table with a `tenant_id` column. */
  private async countControlRows(tenantId: string): Promise<Record<string, number>> {
    const tables = (await this.deps.db.query(
      `SELECT TABLE_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'tenant_id' AND TABLE_NAME NOT IN ('tenant_erasures', 'security_events', 'security_outbox', 'security_checkpoints')`,
      [this.deps.controlSchema],
    )) as Array<{ name: string }>;
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      try {
        const rows = (await this.deps.db.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(this.deps.controlSchema)}.${quoteIdentifier(name)} WHERE tenant_id = ?`, [tenantId])) as Array<{ n: number | string }>;
        const n = Number(rows[0]?.n ?? 0);
        if (n > 0) counts[name] = n;
      } catch {
        // A table this service's account may not read is not counted (and is reported by the scan in the tests).
      }
    }
    const tenantRow = (await this.deps.store.find(tenantId)) ? 1 : 0;
    if (tenantRow) counts['tenants'] = 1;
    return counts;
  }
}
