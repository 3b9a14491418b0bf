import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { drainAuditOutbox, drainSecurityOutbox } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas, type QuotaScope } from '@tessera/quotas';
import type { ObjectStoreClient } from '@tessera/storage';
import { quoteIdentifier, tenantBucketName, tenantDatabase, tenantSchemaName, withAdvisoryLock, type TenantRecord } from '@tessera/tenancy';
import type { CheckpointSigner } from './checkpoint-signer';
import { auditDetailsOf, type DetailsKeyring } from './audit-details';

export interface CheckpointRecord {
  seq: number;
  headHash: string;
  signedAt: Date;
  keyId: string;
  jws: string;
  /** Where the write-once copy lives in the tenant's bucket (null for the platform security log). */
  objectKey: string | null;
}

export interface CheckpointServiceDeps {
  db: DataSource;
  objectStore: ObjectStoreClient;
  /** The client acting for one tenant (credentials scoped to its bucket); `objectStore` when absent. */
  objectStoreFor?: ((tenantId: string) => Promise<ObjectStoreClient>) | undefined;
  bucketPrefix: string;
  signer: CheckpointSigner;
  /** > 0: also put the object under S3 Object Lock (COMPLIANCE) for that many days (MinIO/S3 buckets with object locking). */
  retentionDays: number;
  /** Seals the details of what the drain before a checkpoint chains. */
  keyring: DetailsKeyring;
}

const checkpointPrefix = 'audit/checkpoints/';

/** One object per checkpointed sequence number: the key itself says which head it signs. */
export function checkpointObjectKey(seq: number): string {
  return `${checkpointPrefix}${String(seq).padStart(20, '0')}.jws`;
}

interface CheckpointRow {
  seq: number | string;
  head_hash: string;
  signed_at: Date;
  key_id: string;
  jws: string;
  object_key?: string | null;
}

function toRecord(row: CheckpointRow): CheckpointRecord {
  return { seq: Number(row.seq), headHash: row.head_hash, signedAt: new Date(row.signed_at), keyId: row.key_id, jws: row.jws, objectKey: row.object_key ?? null };
}

/**
 * Signed checkpoints of the hash chains, like CloudTrail's digest files: the head (sequence
 * number, hash) signed with the platform's audit key, stored in the append-only checkpoint table
 * and, for tenants, as a write-once object in the tenant's bucket — a copy outside the database,
 * so deleting the tail of the chain together with its checkpoint rows is still detected.
 */
/** The audit action recording that a tenant admin had the chain's head signed. */
export const checkpointCreatedAction = 'audit.checkpoint.create';

export class AuditCheckpointService {
  constructor(private readonly deps: CheckpointServiceDeps) {}

  /**
   * Chains what is pending, then signs the head. Idempotent: when the head is already
   * checkpointed (nothing happened since), returns that checkpoint; an empty chain has none.
   * The object counts in the tenant's storage quota like any other: reserved before it is
   * written, committed with the row. A tenant over quota gets QUOTA_EXCEEDED and no checkpoint
   * (no row, no object) until it frees space; the chain itself keeps growing meanwhile.
   * `created` tells a new checkpoint from the one that already stood for the head.
   */
  async checkpointTenant(tenant: Pick<TenantRecord, 'id' | 'limits'>): Promise<{ checkpoint: CheckpointRecord; created: boolean } | undefined> {
    const tenantId = tenant.id;
    await drainAuditOutbox(this.deps.db, tenantId, auditDetailsOf(this.deps.keyring, tenantId));
    const schema = quoteIdentifier(tenantSchemaName(tenantId));
    // The chain and its checkpoint rows are in the tenant's schema, on its region's server.
    const db = await tenantDatabase(this.deps.db, tenantId);
    return this.withLock(`tenant:${tenantId}`, async () => {
      const head = await this.head(db, `${schema}.audit_events`);
      if (!head) return undefined;
      const existing = (await db.query(`SELECT * FROM ${schema}.audit_checkpoints WHERE seq = ?`, [head.seq])) as CheckpointRow[];
      if (existing[0]) return { checkpoint: toRecord(existing[0]), created: false };
      // When the only event after the last checkpoint is the record of that checkpoint being made
      // (an admin's createAuditCheckpoint), it still stands: nothing else happened since.
      const recorded = (await db.query(
        `SELECT c.* FROM ${schema}.audit_checkpoints c JOIN ${schema}.audit_events e ON e.seq = c.seq + 1 WHERE e.seq = ? AND e.action = ?`,
        [head.seq, checkpointCreatedAction],
      )) as CheckpointRow[];
      if (recorded[0]) return { checkpoint: toRecord(recorded[0]), created: false };
      const bucket = tenantBucketName(this.deps.bucketPrefix, tenantId);
      const objectKey = checkpointObjectKey(head.seq);
      const payload = { chain: `tenant:${tenantId}`, tenantId, seq: head.seq, headHash: head.hash, time: new Date().toISOString() };
      // A previous attempt may have written the object and died before the row: adopt it if it signs this very head.
      const stored = await this.readObject(await this.clientFor(tenantId), bucket, objectKey);
      let jws: string;
      if (stored !== undefined) {
        const claimed = await this.deps.signer.verify(stored);
        if (!claimed || claimed.chain !== payload.chain || claimed.seq !== head.seq || claimed.headHash !== head.hash) {
          throw errors.conflict(`A different checkpoint object already exists for sequence ${head.seq}; the chain does not match it.`);
        }
        jws = stored;
      } else {
        jws = await this.deps.signer.sign(payload);
      }
      const quotaScope: QuotaScope = { tenant, transaction: (fn) => db.transaction(fn) };
      const storage = await new TenantQuotas(quotaScope).reserve('storageBytes', Buffer.byteLength(jws));
      const signedAt = new Date((await this.deps.signer.verify(jws))?.time ?? payload.time);
      try {
        if (stored === undefined) await this.writeOnce(await this.clientFor(tenantId), bucket, objectKey, jws);
        await quotaScope.transaction(async (manager) => {
          await manager.query(`INSERT INTO ${schema}.audit_checkpoints (seq, head_hash, signed_at, key_id, jws, object_key) VALUES (?, ?, ?, ?, ?, ?)`, [
            head.seq,
            head.hash,
            signedAt,
            this.deps.signer.keyId,
            jws,
            objectKey,
          ]);
          await storage.commitWithin(manager);
        });
      } catch (error) {
        // The object stays (write-once); the next attempt adopts it and counts it then.
        await storage.release().catch(() => undefined);
        throw error;
      }
      return { checkpoint: { seq: head.seq, headHash: head.hash, signedAt, keyId: this.deps.signer.keyId, jws, objectKey }, created: true };
    });
  }

  /** The platform security log's checkpoint (database only: the platform has no tenant bucket). */
  async checkpointPlatform(controlSchema: string): Promise<CheckpointRecord | undefined> {
    await drainSecurityOutbox(this.deps.db, controlSchema);
    const schema = quoteIdentifier(controlSchema);
    return this.withLock(`platform:${controlSchema}`, async () => {
      const head = await this.head(this.deps.db, `${schema}.security_events`);
      if (!head) return undefined;
      const existing = (await this.deps.db.query(`SELECT * FROM ${schema}.security_checkpoints WHERE seq = ?`, [head.seq])) as CheckpointRow[];
      if (existing[0]) return toRecord(existing[0]);
      const time = new Date();
      const jws = await this.deps.signer.sign({ chain: 'platform', tenantId: null, seq: head.seq, headHash: head.hash, time: time.toISOString() });
      await this.deps.db.query(`INSERT INTO ${schema}.security_checkpoints (seq, head_hash, signed_at, key_id, jws) VALUES (?, ?, ?, ?, ?)`, [
        head.seq,
        head.hash,
        time,
        this.deps.signer.keyId,
        jws,
      ]);
      return { seq: head.seq, headHash: head.hash, signedAt: time, keyId: this.deps.signer.keyId, jws, objectKey: null };
    });
  }

  async listTenant(tenantId: string): Promise<CheckpointRecord[]> {
    const rows = (await (await tenantDatabase(this.deps.db, tenantId)).query(`SELECT * FROM ${quoteIdentifier(tenantSchemaName(tenantId))}.audit_checkpoints ORDER BY seq`)) as CheckpointRow[];
    return rows.map(toRecord);
  }

  async listPlatform(controlSchema: string): Promise<CheckpointRecord[]> {
    const rows = (await this.deps.db.query(`SELECT * FROM ${quoteIdentifier(controlSchema)}.security_checkpoints ORDER BY seq`)) as CheckpointRow[];
    return rows.map(toRecord);
  }

  /** The checkpoint objects in the tenant's bucket (the copies outside the database), key → JWS. */
  async storedTenantObjects(tenantId: string, keep: (objectKey: string) => boolean = () => true): Promise<Array<{ objectKey: string; jws: string }>> {
    const bucket = tenantBucketName(this.deps.bucketPrefix, tenantId);
    const keys: string[] = [];
    for await (const item of (await this.clientFor(tenantId)).listObjectsV2(bucket, checkpointPrefix, true)) if (item.name && keep(item.name)) keys.push(item.name);
    const out: Array<{ objectKey: string; jws: string }> = [];
    for (const objectKey of keys.sort()) {
      const jws = await this.readObject(await this.clientFor(tenantId), bucket, objectKey);
      if (jws !== undefined) out.push({ objectKey, jws });
    }
    return out;
  }

  private async head(db: DataSource, table: string): Promise<{ seq: number; hash: string } | undefined> {
    const rows = (await db.query(`SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`)) as Array<{ seq: number | string; hash: string }>;
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
  }

  private async clientFor(tenantId: string): Promise<ObjectStoreClient> {
    return this.deps.objectStoreFor ? this.deps.objectStoreFor(tenantId) : this.deps.objectStore;
  }

  private async readObject(client: ObjectStoreClient, bucket: string, key: string): Promise<string | undefined> {
    try {
      const stream = await client.getObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchKey' || (error as { code?: string }).code === 'NotFound') return undefined;
      throw error;
    }
  }

  /**
   * Write-once: the key is unique per sequence number and is only ever written after a read found
   * it absent, under the checkpoint lock (so two replicas never race). On MinIO/S3, `If-None-Match: *`
   * makes the store itself refuse an overwrite, and with `retentionDays` the object is also put
   * under Object Lock in COMPLIANCE mode (nobody, root included, can delete or replace it until
   * then; the bucket must have been created with object locking). s3rver (local dev) ignores both
   * headers, so there the guarantee is the check-then-put alone.
   */
  private async writeOnce(client: ObjectStoreClient, bucket: string, key: string, body: string): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/jose', 'If-None-Match': '*' };
    if (this.deps.retentionDays > 0) {
      headers['x-amz-object-lock-mode'] = 'COMPLIANCE';
      headers['x-amz-object-lock-retain-until-date'] = new Date(Date.now() + this.deps.retentionDays * 86_400_000).toISOString();
    }
    await client.putObject(bucket, key, Buffer.from(body, 'utf8'), Buffer.byteLength(body), headers);
  }

  /** One checkpoint writer per chain at a time, across replicas (MySQL advisory lock). */
  private withLock<T>(chain: string, fn: () => Promise<T>): Promise<T> {
    const name = `tessera:ckpt:${createHash('sha256').update(chain).digest('hex').slice(0, 40)}`;
    return withAdvisoryLock(this.deps.db, name, { waitSeconds: 30, busyMessage: 'A checkpoint of this chain is being written; retry.' }, fn);
  }
}
