import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas, type Reservation } from '@tessera/quotas';
import { isDuplicateKey } from '@tessera/service-kit';
import type { CsvProfile } from '@tessera/tabular';
import type { TenantScope } from '@tessera/tenancy';
import { DatasetEntity, DatasetVersionEntity, type Dataset, type DatasetVersion } from '../data/dataset.entity';
import { sealVersionColumns } from '../data/dataset-profile-seal';
import { parseName } from './dataset-input';

/**
 * Versions made by the platform itself (a batch-inference job's predictions) rather than by an
 * upload: the bytes are already encrypted in the tenant's bucket; this makes them a version.
 */

/** The ACTIVE dataset with this name, created (and audited) when there is none. */
export async function ensureDataset(scope: TenantScope, name: string): Promise<Dataset> {
  assertPermission(scope.principal, 'write');
  const datasetName = parseName(name, 'outputDatasetName');
  const existing = await scope.db((manager) => manager.getRepository(DatasetEntity).findOneBy({ name: datasetName }));
  if (existing) {
    if (existing.status !== 'ACTIVE') throw errors.conflict(`The dataset ${JSON.stringify(datasetName)} is being deleted.`, { field: 'outputDatasetName' });
    return existing;
  }
  const now = new Date();
  const dataset: Dataset = { id: randomUUID(), name: datasetName, description: null, status: 'ACTIVE', createdBy: scope.principal.subject, createdAt: now, updatedAt: now };
  try {
    await scope.transaction(async (manager) => {
      await manager.getRepository(DatasetEntity).insert(dataset);
      await recordResourceOwner(manager, scope.tenant.id, 'Dataset', dataset.id);
      await new TenantQuotas(scope).charge(manager, { datasets: 1 });
      await recordAuditEvent(manager, scope.principal, { action: 'dataset.create', targetType: 'Dataset', targetId: dataset.id, details: { name: dataset.name } });
    });
    return dataset;
  } catch (error) {
    // Two jobs creating the same output dataset at once: the loser uses the winner's.
    if (!isDuplicateKey(error)) throw error;
    const winner = await scope.db((manager) => manager.getRepository(DatasetEntity).findOneBy({ name: datasetName, status: 'ACTIVE' }));
    if (!winner) throw error;
    return winner;
  }
}

export interface StoredVersionContent {
  objectKey: string;
  byteSize: number;
  storedSize: number;
  sha256: string;
  keyVersion: number;
  profile: CsvProfile;
  /** The job that wrote it: at most one version per job (a re-run after a crash finds it). */
  sourceJobId: string;
  /** The storage reserved before the object was written: committed with the version, released if the job already has one. */
  storage: Reservation;
}

/**
 * Inserts the next version of a dataset inside the caller's transaction (so the caller can commit
 * it together with its own state change), locking the dataset row for the number. Returns the
 * existing version when this job already registered one.
 */
export async function insertDatasetVersion(manager: EntityManager, scope: TenantScope, datasetId: string, content: StoredVersionContent): Promise<DatasetVersion> {
  const dataset = await manager.getRepository(DatasetEntity).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :id', { id: datasetId }).getOne();
  if (!dataset || dataset.status !== 'ACTIVE') throw errors.notFound('Dataset', datasetId);
  const already = (await manager.query('SELECT id FROM dataset_versions WHERE source_job_id = ?', [content.sourceJobId])) as Array<{ id: string }>;
  if (already[0]) {
    await content.storage.release(manager);
    return (await manager.getRepository(DatasetVersionEntity).findOneBy({ id: already[0].id }))!;
  }
  const latest = await manager.getRepository(DatasetVersionEntity).maximum('number', { datasetId });
  const versionId = randomUUID();
  const version: DatasetVersion = {
    id: versionId,
    datasetId,
    number: (latest ?? 0) + 1,
    objectKey: content.objectKey,
    byteSize: content.byteSize,
    storedSize: content.storedSize,
    sha256: content.sha256,
    keyVersion: content.keyVersion,
    rowCount: content.profile.rowCount,
    ...(await sealVersionColumns(scope, manager, versionId, content.profile.columns)),
    createdBy: scope.principal.subject,
    createdAt: new Date(),
  };
  await manager.getRepository(DatasetVersionEntity).insert(version);
  await manager.query('UPDATE dataset_versions SET source_job_id = ? WHERE id = ?', [content.sourceJobId, version.id]);
  await content.storage.commitWithin(manager, content.storedSize, { datasetVersions: 1 });
  await recordResourceOwner(manager, scope.tenant.id, 'DatasetVersion', version.id);
  await recordAuditEvent(manager, scope.principal, {
    action: 'dataset.version.create',
    targetType: 'DatasetVersion',
    targetId: version.id,
    details: { datasetId, number: version.number, bytes: version.byteSize, rows: version.rowCount, sourceJobId: content.sourceJobId },
  });
  return version;
}
