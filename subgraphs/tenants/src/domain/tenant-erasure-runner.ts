import { hkdfSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { destroyBucket, type RegionalObjectStores } from '@tessera/storage';
import { quoteIdentifier, tenantBucketName, tenantSchemaName, withAdvisoryLock, type TenantKeyring, type TenantProvisioner, type TenantStore } from '@tessera/tenancy';
import { ErasureReceiptSigner, tenantPseudonym, type ErasureReceiptPayload } from './erasure-receipt';

export interface ErasureRunnerDeps {
  db: DataSource;
  controlSchema: string;
  store: TenantStore;
  provisioner: TenantProvisioner;
  keyring: TenantKeyring;
  objectStores: RegionalObjectStores;
  bucketPrefix: string;
  /** Signs the receipts: the platform audit key (AUDIT_SIGNING_KEY), whose public keys are published. */
  signer: Promise<ErasureReceiptSigner>;
  /** Keys the HMAC pseudonym the receipt and the security log name the erased tenant by. */
  pseudonymSecret: Buffer;
  logger: Logger;
  /** Removes the tenant's Redis keys (queues, ring entries, counters); returns how many went. */
  eraseRedis: (tenantId: string) => Promise<number>;
}

/** What each finished step recorded, kept in `tenant_erasures.progress` so a resumed run goes on from there. */
interface Progress {
  suspendedBefore?: boolean;
  region?: string;
  inventory?: { bucket: string; objects: number; bytes: number };
  keys?: { keyId: string; destroyedAt: string; dataKeyVersions: number[] };
  redisKeys?: number;
  controlPlaneRows?: Record<string, number>;
  removed?: boolean;
}

const runner: Principal = { kind: 'user', subject: 'system:tenant-erasure', tenantId: undefined, roles: [], clientId: undefined, requestId: 'tenant-erasure', sourceIp: undefined };

/** The security log's pseudonym key, derived from the audit signing key so no further secret must be distributed. */
export function pseudonymSecretFromSigningKey(privateJwk: { d?: unknown }): Buffer {
  if (typeof privateJwk.d !== 'string') throw new Error('AUDIT_SIGNING_KEY must be a private JWK');
  return Buffer.from(hkdfSync('sha256', Buffer.from(privateJwk.d, 'base64url'), Buffer.alloc(0), 'tessera erasure pseudonym', 32));
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
        if (await this.erase(id)) done.push(id);
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
      progress.inventory = { bucket, objects: 0, bytes: 0 };
      if (progress.region) {
        const client = this.deps.objectStores.forBucketLifecycle({ id: tenantId, region: progress.region });
        if (await client.bucketExists(bucket)) {
          for await (const item of client.listObjectsV2(bucket, '', true)) {
            progress.inventory.objects += 1;
            progress.inventory.bytes += item.size ?? 0;
          }
        }
      }
      await save();
    }
    if (!progress.keys) {
      const versions = (await this.deps.keyring.versions(tenantId)).map((key) => key.version);
      const destroyed = await this.deps.keyring.destroyTenantKey(tenantId);
      progress.keys = { keyId: destroyed.keyId, destroyedAt: destroyed.destroyedAt.toISOString(), dataKeyVersions: versions };
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

    const inventory = progress.inventory;
    const pseudonym = tenantPseudonym(this.deps.pseudonymSecret.toString('hex'), tenantId);
    const erasedAt = new Date();
    const payload: ErasureReceiptPayload = {
      type: 'tessera.erasure-receipt',
      version: 1,
      requestId: id,
      tenantPseudonym: pseudonym,
      tenantIdHash: '',
      region: progress.region ?? 'unknown',
      requestedAt: new Date(row.requested_at).toISOString(),
      erasedAt: erasedAt.toISOString(),
      destroyed: {
        schema: { name: tenantSchemaName(tenantId), dropped: true },
        buckets: [{ bucket, region: progress.region ?? 'unknown', objects: inventory.objects, objectVersions: inventory.objects, bytes: inventory.bytes }],
        keys: [progress.keys],
        redisKeys: progress.redisKeys ?? 0,
        controlPlaneRows: progress.controlPlaneRows ?? {},
      },
      kept: [
        {
          what: 'platform security log entries about this tenant (who did what to it, when), unchanged, with this pseudonym in the erasure event',
          why: 'security and legal obligation: the platform must be able to show who administered the tenant; the log is append-only and hash-chained, so entries are not rewritten',
        },
        { what: 'this receipt and its request row (request/erasure times, id hash, pseudonym)', why: 'proof of erasure for the requester and the platform' },
      ],
    };
    const hashRows = (await this.deps.db.query(`SELECT tenant_id_hash FROM ${this.table} WHERE id = ?`, [id])) as Array<{ tenant_id_hash: string }>;
    payload.tenantIdHash = hashRows[0]!.tenant_id_hash;
    const signer = await this.deps.signer;
    const receipt = await signer.sign(payload);
    await this.deps.db.transaction(async (manager) => {
      await manager.query(`UPDATE ${this.table} SET status = 'ERASED', tenant_id = NULL, tenant_pseudonym = ?, erased_at = ?, receipt = ?, updated_at = ? WHERE id = ?`, [pseudonym, erasedAt, receipt, erasedAt, id]);
      await recordSecurityEvent(manager, runner, {
        tenantId: null,
        action: 'tenant.erasure.complete',
        targetType: 'TenantPseudonym',
        targetId: pseudonym,
        outcome: 'SUCCESS',
        details: { requestId: id, receiptKeyId: signer.keyId, objects: inventory.objects, bytes: inventory.bytes },
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
