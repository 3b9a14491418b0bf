import { createHash, randomUUID } from 'node:crypto';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas } from '@tessera/quotas';
import { storedSizeOf } from '@tessera/storage';
import type { DataSource } from 'typeorm';
import { advisoryLockName, withAdvisoryLock, type TenantScope } from '@tessera/tenancy';
import { countAuditEventsInPeriod, findAuditEventsInPeriod, findCheckpointCovering, type ChainRow } from '../data/audit-export.repository';
import { parsePeriod } from './audit-event-filter';
import type { AuditRelay } from './audit-event-relay';
import { scopeAuditDetails } from './audit-details';

/** One export is built in memory and written as one encrypted object; longer periods are exported in slices. */
export const maxExportEvents = 200_000;

/** The lock one export of a tenant's trail holds while it runs (across replicas). */
export function auditExportLockName(controlSchema: string, tenantId: string): string {
  return advisoryLockName('audit_export', controlSchema, tenantId);
}

export interface AuditExportResult {
  objectKey: string;
  proofObjectKey: string;
  eventCount: number;
  firstSequence: number | null;
  lastSequence: number | null;
  firstHash: string | null;
  lastHash: string | null;
  sha256: string;
  checkpoint: string | null;
}

/**
 * Exports a period of the tenant's chain as NDJSON (one event per line, every column, the chain's
 * hashes included) into the tenant's own bucket, encrypted with its data key like every object,
 * beside a proof object: the first and last sequence numbers and hashes, the digest of the NDJSON,
 * and the latest signed checkpoint at or after the last event, so an auditor can check the slice
 * links into the chain the platform signed. Both objects count in the storage quota: reserved
 * before they are written, committed with the export's audit event; over quota, nothing is written.
 */
export class AuditExportService {
  constructor(
    private readonly scope: TenantScope,
    private readonly relay: AuditRelay,
    private readonly locks: { db: DataSource; controlSchema: string },
  ) {}

  /**
   * One export per tenant at a time: a large one holds hundreds of MB and seconds of CPU in the
   * audit process every tenant shares, so a tenant running several at once (one per operation
   * slot, per gateway replica) would stall the others' audit reads and relays, or exhaust memory.
   * A second one while the first runs is a CONFLICT (retry when it is done).
   */
  async export(fromValue: string, toValue: string): Promise<AuditExportResult> {
    assertPermission(this.scope.principal, 'audit');
    const { from, to } = parsePeriod(fromValue, toValue);
    if (!from || !to) throw errors.badInput('from and to are required.', { field: from ? 'to' : 'from' });
    return withAdvisoryLock(
      this.locks.db,
      auditExportLockName(this.locks.controlSchema, this.scope.tenant.id),
      { waitSeconds: 0, busyMessage: 'An export of this audit trail is already running; retry when it is done.' },
      () => this.write(from, to),
    );
  }

  private async write(from: Date, to: Date): Promise<AuditExportResult> {
    await this.relay(this.scope);
    const count = await this.scope.db((manager) => countAuditEventsInPeriod(manager, from, to));
    if (count > maxExportEvents) {
      throw errors.badInput(`The period holds ${count} events; one export takes at most ${maxExportEvents}. Export shorter periods.`, { field: 'to' });
    }
    const { rows, checkpoint } = await this.scope.db(async (manager) => {
      const events = await findAuditEventsInPeriod(manager, scopeAuditDetails(this.scope), from, to, maxExportEvents);
      const last = events.at(-1);
      return { rows: events, checkpoint: last ? await findCheckpointCovering(manager, Number(last['seq'])) : null };
    });
    const ndjson = Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8');
    const sha256 = createHash('sha256').update(ndjson).digest('hex');
    const stamp = `${from.toISOString()}_${to.toISOString()}`.replace(/[:.]/g, '-');
    const objectKey = `audit-exports/${stamp}-${randomUUID()}.ndjson`;
    const proofObjectKey = `${objectKey}.proof.json`;
    const first = rows[0];
    const last = rows.at(-1);
    const proof = {
      tenantId: this.scope.tenant.id,
      from: from.toISOString(),
      to: to.toISOString(),
      eventCount: rows.length,
      firstSequence: first ? Number(first['seq']) : null,
      lastSequence: last ? Number(last['seq']) : null,
      firstPrevHash: first ? hashOf(first, 'prev_hash') : null,
      firstHash: first ? hashOf(first, 'hash') : null,
      lastHash: last ? hashOf(last, 'hash') : null,
      ndjsonSha256: sha256,
      checkpoint,
    };
    const proofBody = Buffer.from(JSON.stringify(proof, null, 2), 'utf8');
    const storage = await new TenantQuotas(this.scope).reserve('storageBytes', storedSizeOf(ndjson.length) + storedSizeOf(proofBody.length));
    try {
      const key = await this.scope.currentDataKey();
      const stored = await this.scope.bucket.putEncryptedBuffer(objectKey, ndjson, key);
      const storedProof = await this.scope.bucket.putEncryptedBuffer(proofObjectKey, proofBody, key);
      await this.scope.transaction(async (manager) => {
        await storage.commitWithin(manager, stored.storedSize + storedProof.storedSize);
        await recordAuditEvent(manager, this.scope.principal, {
          action: 'audit.export',
          targetType: 'AuditExport',
          targetId: objectKey,
          details: { events: rows.length, firstSeq: proof.firstSequence, lastSeq: proof.lastSequence, bytes: stored.storedSize + storedProof.storedSize },
        });
      });
    } catch (error) {
      await this.scope.bucket.remove(objectKey).catch(() => undefined);
      await this.scope.bucket.remove(proofObjectKey).catch(() => undefined);
      await storage.release().catch(() => undefined);
      throw error;
    }
    return {
      objectKey,
      proofObjectKey,
      eventCount: rows.length,
      firstSequence: proof.firstSequence,
      lastSequence: proof.lastSequence,
      firstHash: proof.firstHash,
      lastHash: proof.lastHash,
      sha256,
      checkpoint: checkpoint ? JSON.stringify(checkpoint) : null,
    };
  }
}

function hashOf(row: ChainRow, column: string): string | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
}
