import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants, recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas } from '@tessera/quotas';
import { isDuplicateKey, pageOf, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { datasetKeys } from '../data/dataset-keys';
import { DatasetEntity, DatasetVersionEntity, type Dataset, type DatasetVersion } from '../data/dataset.entity';
import { parseDescription, parseId, parseName } from './dataset-input';
import type { DatasetsServiceConfig } from './datasets-config';

export interface DatasetPreview {
  columns: string[];
  rows: string[][];
}

/**
 * Dataset metadata and content, always inside the caller's TenantScope. Each public method
 * begins with the permission it needs. An id that is not in this tenant's schema is NOT_FOUND,
 * whether it never existed or belongs to another tenant: the schema boundary makes them the same
 * (another tenant's id is also recorded as a cross-tenant attempt, see notFoundAcrossTenants).
 */
export class DatasetService {
  constructor(
    private readonly scope: TenantScope,
    private readonly config: DatasetsServiceConfig,
  ) {}

  async list(args: PageArgs): Promise<Connection<Dataset>> {
    assertPermission(this.scope.principal, 'inspect');
    return this.scope.db((manager) => pageOf(manager.getRepository(DatasetEntity).createQueryBuilder('d').where("d.status = 'ACTIVE'"), 'd', args));
  }

  async get(id: string): Promise<Dataset> {
    assertPermission(this.scope.principal, 'inspect');
    const datasetId = parseId(id, 'id');
    const dataset = await this.scope.db((manager) => manager.getRepository(DatasetEntity).findOneBy({ id: datasetId, status: 'ACTIVE' }));
    if (!dataset) throw await notFoundAcrossTenants(this.scope, 'Dataset', datasetId);
    return dataset;
  }

  async create(input: { name: string; description?: string | null }): Promise<Dataset> {
    assertPermission(this.scope.principal, 'write');
    const now = new Date();
    const dataset: Dataset = {
      id: randomUUID(),
      name: parseName(input.name),
      description: parseDescription(input.description),
      status: 'ACTIVE',
      createdBy: this.scope.principal.subject,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.scope.transaction(async (manager) => {
        await manager.getRepository(DatasetEntity).insert(dataset);
        await recordResourceOwner(manager, this.scope.tenant.id, 'Dataset', dataset.id);
        await new TenantQuotas(this.scope).charge(manager, { datasets: 1 });
        await recordAuditEvent(manager, this.scope.principal, { action: 'dataset.create', targetType: 'Dataset', targetId: dataset.id, details: { name: dataset.name } });
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict(`A dataset named ${JSON.stringify(dataset.name)} already exists.`, { field: 'name' });
      throw error;
    }
    return dataset;
  }

  /**
   * Hides the dataset first (DELETING), then removes its objects, then its rows. If object
   * removal fails half-way, the dataset stays hidden and calling delete again finishes the job.
   * The quotas get back what the rows counted in the transaction that deletes them. Once the rows
   * are gone, the jobs service clears the profile results of the deleted versions (they hold
   * values of the data); that call cannot fail the delete (see profileResultsClearing).
   */
  async delete(id: string): Promise<{ id: string; deletedVersions: number; deletedObjects: number }> {
    assertPermission(this.scope.principal, 'administer');
    const datasetId = parseId(id, 'id');
    const versionCount = await this.scope.transaction(async (manager) => {
      const dataset = await manager.getRepository(DatasetEntity).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :id', { id: datasetId }).getOne();
      if (!dataset) throw await notFoundAcrossTenants(this.scope, 'Dataset', datasetId);
      await manager.getRepository(DatasetEntity).update({ id: datasetId }, { status: 'DELETING', updatedAt: new Date() });
      return manager.getRepository(DatasetVersionEntity).countBy({ datasetId });
    });
    const deletedObjects = await this.scope.bucket.removePrefix(`datasets/${datasetId}/`);
    const versionIds = await this.scope.transaction(async (manager) => {
      // Deletes sent at once all find the row DELETING and go on; the first to get here deletes it.
      // The others are NOT_FOUND, as a delete sent afterwards is: no second event, no second answer
      // claiming the versions.
      const [still] = (await manager.query('SELECT id FROM datasets WHERE id = ? FOR UPDATE', [datasetId])) as unknown[];
      if (!still) throw errors.notFound('Dataset', datasetId);
      // Read under the dataset's lock, just before the rows go: every version this delete removes.
      const versions = (await manager.query('SELECT id FROM dataset_versions WHERE dataset_id = ?', [datasetId])) as Array<{ id: string }>;
      await giveBackDatasetQuota(manager, new TenantQuotas(this.scope), datasetId);
      await manager.getRepository(DatasetEntity).delete({ id: datasetId });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'dataset.delete',
        targetType: 'Dataset',
        targetId: datasetId,
        details: { versions: versionCount, objects: deletedObjects },
      });
      return versions.map((version) => version.id);
    });
    // After the commit: the jobs service checks with this service that each version is gone.
    await this.config.profileResults.afterDelete(this.scope, datasetId, versionIds);
    return { id: datasetId, deletedVersions: versionCount, deletedObjects };
  }

  async getVersion(id: string): Promise<DatasetVersion> {
    assertPermission(this.scope.principal, 'inspect');
    const versionId = parseId(id, 'id');
    const version = await this.scope.db((manager) =>
      manager
        .getRepository(DatasetVersionEntity)
        .createQueryBuilder('v')
        .innerJoin(DatasetEntity.options.name, 'd', "d.id = v.datasetId AND d.status = 'ACTIVE'")
        .where('v.id = :id', { id: versionId })
        .getOne(),
    );
    if (!version) throw await notFoundAcrossTenants(this.scope, 'DatasetVersion', versionId);
    return version;
  }

  async listVersions(datasetId: string, args: PageArgs): Promise<Connection<DatasetVersion>> {
    assertPermission(this.scope.principal, 'inspect');
    return this.scope.db((manager) =>
      pageOf(manager.getRepository(DatasetVersionEntity).createQueryBuilder('v').where('v.datasetId = :datasetId', { datasetId }), 'v', args),
    );
  }

  async versionCount(datasetId: string): Promise<number> {
    return this.scope.db((manager) => manager.getRepository(DatasetVersionEntity).countBy({ datasetId }));
  }

  async latestVersion(datasetId: string): Promise<DatasetVersion | null> {
    return this.scope.db((manager) => manager.getRepository(DatasetVersionEntity).findOne({ where: { datasetId }, order: { number: 'DESC' } }));
  }

  /** Decrypts and parses only as many rows as asked; the read is audited (seed §4: data access). */
  async preview(version: DatasetVersion, limit: number): Promise<DatasetPreview> {
    assertPermission(this.scope.principal, 'read');
    if (!Number.isInteger(limit) || limit < 1 || limit > this.config.maxPreviewRows) {
      throw errors.badInput(`limit must be between 1 and ${this.config.maxPreviewRows}.`, { field: 'limit' });
    }
    // A parse thread first, so a refusal (RATE_LIMITED) opens nothing.
    const thread = await this.config.parsing.acquire(this.scope.tenant.id);
    let content: Readable;
    try {
      content = await this.scope.bucket.getDecrypted(version.objectKey, datasetKeys(this.scope).resolver(version.datasetId));
    } catch (error) {
      thread.release();
      throw error;
    }
    // The upload's own parser and rules (blank lines skipped, CRLF/LF/CR, trimmed header names), so a
    // version reads back as the rows it was accepted with, parsed on a pool thread (a version's first
    // rows can be most of its bytes). Reading stops once they are in, or at maxPreviewReadBytes past
    // the header (see DatasetsConfig); a read or decrypt error throws.
    const limits = { ...this.config.csv, maxBytes: Math.max(1, version.byteSize) };
    let columns: string[];
    let rows: string[][];
    try {
      ({ columns, rows } = await thread.firstRows(content, limits, limit, this.config.maxPreviewBytes, this.config.maxPreviewReadBytes));
    } finally {
      content.destroy();
    }
    await this.scope.db((manager) =>
      recordAuditEvent(manager, this.scope.principal, {
        action: 'dataset.read',
        targetType: 'DatasetVersion',
        targetId: version.id,
        details: { rows: rows.length },
      }),
    );
    return { columns, rows };
  }
}

/**
 * Refunds what a dataset's rows counted, just before they are deleted (same transaction): the
 * dataset, its versions, and the bytes of its versions and of uploads received but never
 * completed (their objects share the dataset's prefix); pending uploads release their
 * reservations. Nothing when a concurrent delete already removed the row.
 */
async function giveBackDatasetQuota(manager: EntityManager, quotas: TenantQuotas, datasetId: string): Promise<void> {
  const [dataset] = (await manager.query('SELECT id FROM datasets WHERE id = ? FOR UPDATE', [datasetId])) as Array<{ id: string }>;
  if (!dataset) return;
  // Upload rows before quota rows, the order a finishing upload takes them in (row, then quota).
  // Locking reads only: they read the latest committed rows. A plain read answers from the
  // transaction's snapshot, taken before an upload that was recording its bytes committed (the
  // delete waits on that upload's row here): its bytes, charged by that commit, were left out of
  // the refund and counted against the tenant for good.
  const uploads = (await manager.query(`SELECT id, status, stored_size FROM dataset_uploads WHERE dataset_id = ? FOR UPDATE`, [datasetId])) as Array<{ id: string; status: string; stored_size: string | number | null }>;
  const pending = uploads.filter((upload) => upload.status === 'PENDING' || upload.status === 'RECEIVING');
  const receivedBytes = uploads.filter((upload) => upload.status === 'UPLOADED').reduce((sum, upload) => sum + Number(upload.stored_size ?? 0), 0);
  const [versions] = (await manager.query(`SELECT COUNT(*) AS versions, COALESCE(SUM(stored_size), 0) AS bytes FROM dataset_versions WHERE dataset_id = ? FOR UPDATE`, [datasetId])) as Array<{
    versions: string | number;
    bytes: string | number;
  }>;
  await quotas.refund(manager, { datasets: 1, datasetVersions: Number(versions?.versions ?? 0), storageBytes: Number(versions?.bytes ?? 0) + receivedBytes });
  for (const upload of pending) await quotas.reservation(upload.id, 'storageBytes').release(manager);
}

export type { EntityManager };
