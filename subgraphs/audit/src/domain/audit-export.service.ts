import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
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

/** The most events one export holds (one encrypted object); longer periods are exported in slices. */
export const maxExportEvents = 200_000;

/**
 * Events read, opened and written per step. An export never holds more than a page: the whole
 * period in memory was about 0.6 GB and seconds of blocked event loop for 200 000 events, in the
 * audit process every tenant shares.
 */
export const exportPageEvents = 1_000;

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
      { waitSeconds: 0, busyMessage: 'An export of this audit trail is already running; retry when it is done.', tenantId: this.scope.tenant.id },
      () => this.write(from, to),
    );
  }

  private async write(from: Date, to: Date): Promise<AuditExportResult> {
    await this.relay(this.scope);
    const { count, headSeq } = await this.scope.db((manager) => countAuditEventsInPeriod(manager, from, to));
    if (count > maxExportEvents) {
      throw errors.badInput(`The period holds ${count} events; one export takes at most ${maxExportEvents}. Export shorter periods.`, { field: 'to' });
    }
    // Twice over the same events, a page at a time: first for the size and digest the object and
    // the quota need before the upload starts, then into the upload. The chain only grows and the
    // export stops at the head counted above, so both passes read the same events (checked below).
    const range: ExportRange = { from, to, maxSeq: headSeq };
    const scanned = await this.scan(range);
    const lastRow = scanned.last;
    const checkpoint = lastRow ? await this.scope.db((manager) => findCheckpointCovering(manager, Number(lastRow['seq']))) : null;
    const sha256 = scanned.digest;
    const stamp = `${from.toISOString()}_${to.toISOString()}`.replace(/[:.]/g, '-');
    const objectKey = `audit-exports/${stamp}-${randomUUID()}.ndjson`;
    const proofObjectKey = `${objectKey}.proof.json`;
    const firstRow = scanned.first;
    const proof = {
      tenantId: this.scope.tenant.id,
      from: from.toISOString(),
      to: to.toISOString(),
      eventCount: scanned.events,
      firstSequence: firstRow ? Number(firstRow['seq']) : null,
      lastSequence: lastRow ? Number(lastRow['seq']) : null,
      firstPrevHash: firstRow ? hashOf(firstRow, 'prev_hash') : null,
      firstHash: firstRow ? hashOf(firstRow, 'hash') : null,
      lastHash: lastRow ? hashOf(lastRow, 'hash') : null,
      ndjsonSha256: sha256,
      checkpoint,
    };
    const proofBody = Buffer.from(JSON.stringify(proof, null, 2), 'utf8');
    const storage = await new TenantQuotas(this.scope).reserve('storageBytes', storedSizeOf(scanned.bytes) + storedSizeOf(proofBody.length));
    try {
      const key = await this.scope.currentDataKey();
      const second = createHash('sha256');
      const stored = await this.scope.bucket.putEncrypted(objectKey, Readable.from(this.ndjson(range, second)), scanned.bytes, key);
      if (second.digest('hex') !== sha256) throw errors.conflict('The audit trail changed while it was exported; retry.');
      const storedProof = await this.scope.bucket.putEncryptedBuffer(proofObjectKey, proofBody, key);
      // A long export may outlive its key: rotated, re-encrypted and destroyed while it streamed.
      await this.scope.assertDataKeyHeld(key.keyVersion);
      await this.scope.transaction(async (manager) => {
        await storage.commitWithin(manager, stored.storedSize + storedProof.storedSize);
        await recordAuditEvent(manager, this.scope.principal, {
          action: 'audit.export',
          targetType: 'AuditExport',
          targetId: objectKey,
          details: { events: scanned.events, firstSeq: proof.firstSequence, lastSeq: proof.lastSequence, bytes: stored.storedSize + storedProof.storedSize },
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
      eventCount: scanned.events,
      firstSequence: proof.firstSequence,
      lastSequence: proof.lastSequence,
      firstHash: proof.firstHash,
      lastHash: proof.lastHash,
      sha256,
      checkpoint: checkpoint ? JSON.stringify(checkpoint) : null,
    };
  }

  /** The export's events a page at a time, with the page's NDJSON lines. */
  private async *pages(range: ExportRange): AsyncGenerator<{ rows: ChainRow[]; lines: Buffer }> {
    for (let afterSeq = 0; ; ) {
      const rows = await this.scope.db((manager) => findAuditEventsInPeriod(manager, scopeAuditDetails(this.scope), { ...range, afterSeq }, exportPageEvents));
      if (rows.length === 0) return;
      yield { rows, lines: Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8') };
      afterSeq = Number(rows.at(-1)!['seq']);
    }
  }

  /** The export's NDJSON for the upload, each page also fed to `digest`. */
  private async *ndjson(range: ExportRange, digest: Hash): AsyncGenerator<Buffer> {
    for await (const { lines } of this.pages(range)) {
      digest.update(lines);
      yield lines;
    }
  }

  /** One pass over the export: how many events, the NDJSON's bytes and digest, the first and last event. */
  private async scan(range: ExportRange): Promise<{ events: number; bytes: number; digest: string; first: ChainRow | undefined; last: ChainRow | undefined }> {
    const digest = createHash('sha256');
    let events = 0;
    let bytes = 0;
    let first: ChainRow | undefined;
    let last: ChainRow | undefined;
    for await (const { rows, lines } of this.pages(range)) {
      digest.update(lines);
      bytes += lines.length;
      events += rows.length;
      first ??= rows[0];
      last = rows.at(-1);
    }
    return { events, bytes, digest: digest.digest('hex'), first, last };
  }
}

/** The events an export covers: those of the period, up to the chain's head when it began. */
interface ExportRange {
  from: Date;
  to: Date;
  maxSeq: number;
}

function hashOf(row: ChainRow, column: string): string | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
}
