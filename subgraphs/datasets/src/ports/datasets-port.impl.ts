import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { TenantQuotas } from '@tessera/quotas';
import { parseUuid, type PortMethods, type PublishedPort } from '@tessera/service-kit';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { ensureDataset, insertDatasetVersion } from '../domain/dataset-version-registration';
import { datasetsPortCallers, type DatasetsPort, type DatasetColumnForJob, type JobOutputContent } from './datasets-port';

/** The datasets port over this service's own tables, entered through the actor's TenantScope. */
export function createDatasetsPort(scopes: TenantScopeFactory): DatasetsPort {
  return {
    async findVersionForJob(actor, input) {
      assertPermission(actor, 'read');
      const id = parseUuid(input.datasetVersionId, 'datasetVersionId');
      const scope = await scopes.forPrincipal(actor);
      const rows = (await scope.db((manager) =>
        manager.query(
          `SELECT v.id, v.dataset_id, d.name AS dataset_name, v.number, v.object_key, v.row_count, v.byte_size, v.columns_json
             FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id AND d.status = 'ACTIVE'
            WHERE v.id = ?`,
          [id],
        ),
      )) as Array<Record<string, unknown>>;
      const row = rows[0];
      if (!row) throw errors.notFound('DatasetVersion', id);
      return {
        id: String(row['id']),
        datasetId: String(row['dataset_id']),
        datasetName: String(row['dataset_name']),
        number: Number(row['number']),
        objectKey: String(row['object_key']),
        rowCount: Number(row['row_count']),
        byteSize: Number(row['byte_size']),
        columns: json<DatasetColumnForJob[]>(row['columns_json']),
      };
    },

    async findJobOutput(actor, input) {
      assertPermission(actor, 'read');
      const sourceJobId = parseUuid(input.sourceJobId, 'sourceJobId');
      const scope = await scopes.forPrincipal(actor);
      const rows = (await scope.db((manager) => manager.query('SELECT id, dataset_id, object_key FROM dataset_versions WHERE source_job_id = ?', [sourceJobId]))) as Array<Record<string, unknown>>;
      const row = rows[0];
      return row ? { datasetId: String(row['dataset_id']), datasetVersionId: String(row['id']), objectKey: String(row['object_key']) } : null;
    },

    async reserveJobOutput(actor, input) {
      assertPermission(actor, 'write');
      const storedBytes = Number(input.storedBytes);
      if (!Number.isSafeInteger(storedBytes) || storedBytes < 0) throw errors.badInput('storedBytes must be a non-negative integer.', { field: 'storedBytes' });
      const scope = await scopes.forPrincipal(actor);
      // Room first: a tenant over quota gets no output dataset either.
      const storage = await new TenantQuotas(scope).reserve('storageBytes', storedBytes);
      try {
        const dataset = await ensureDataset(scope, String(input.outputDatasetName));
        return { datasetId: dataset.id, reservationId: storage.id };
      } catch (error) {
        await storage.release().catch(() => undefined);
        throw error;
      }
    },

    async registerJobOutput(actor, input) {
      assertPermission(actor, 'write');
      const datasetId = parseUuid(input.datasetId, 'datasetId');
      const sourceJobId = parseUuid(input.sourceJobId, 'sourceJobId');
      const reservationId = parseUuid(input.reservationId, 'reservationId');
      const content = parseContent(input.content, datasetId);
      const scope = await scopes.forPrincipal(actor);
      const storage = new TenantQuotas(scope).reservation(reservationId, 'storageBytes');
      const version = await scope.transaction((manager) => insertDatasetVersion(manager, scope, datasetId, { ...content, sourceJobId, storage }));
      return { datasetId: version.datasetId, datasetVersionId: version.id, objectKey: version.objectKey };
    },

    async releaseJobOutput(actor, input) {
      const reservationId = parseUuid(input.reservationId, 'reservationId');
      const scope = await scopes.forPrincipal(actor);
      await new TenantQuotas(scope).reservation(reservationId, 'storageBytes').release();
    },

    async usageCounts(actor) {
      assertPermission(actor, 'read');
      const scope = await scopes.forPrincipal(actor);
      const rows = (await scope.db((manager) =>
        manager.query(`
          SELECT (SELECT COUNT(*) FROM datasets WHERE status = 'ACTIVE') AS datasets,
                 (SELECT COUNT(*) FROM dataset_versions) AS dataset_versions,
                 (SELECT COALESCE(SUM(stored_size), 0) FROM dataset_versions) AS stored_bytes`),
      )) as Array<Record<string, string | number>>;
      const row = rows[0] ?? {};
      return { datasets: Number(row['datasets'] ?? 0), datasetVersions: Number(row['dataset_versions'] ?? 0), storedBytes: Number(row['stored_bytes'] ?? 0) };
    },
  };
}

/** The datasets port as this service publishes it to other processes. */
export function publishedDatasetsPort(port: DatasetsPort): PublishedPort<DatasetsPort> {
  return { name: 'datasets', implementation: port as PortMethods<DatasetsPort>, callers: datasetsPortCallers };
}

/** Output objects live under their dataset's prefix: a version never points into another dataset's objects. */
function parseContent(content: JobOutputContent | undefined, datasetId: string): JobOutputContent {
  const size = (value: unknown, field: string) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw errors.badInput(`${field} must be a non-negative integer.`, { field });
    return value;
  };
  if (!content || typeof content !== 'object') throw errors.badInput('content is required.', { field: 'content' });
  if (typeof content.objectKey !== 'string' || !content.objectKey.startsWith(`datasets/${datasetId}/`)) throw errors.badInput('objectKey must lie under the output dataset.', { field: 'content.objectKey' });
  if (typeof content.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(content.sha256)) throw errors.badInput('sha256 must be a hex digest.', { field: 'content.sha256' });
  const profile = content.profile;
  if (!profile || !Array.isArray(profile.columns)) throw errors.badInput('profile is required.', { field: 'content.profile' });
  return {
    objectKey: content.objectKey,
    byteSize: size(content.byteSize, 'content.byteSize'),
    storedSize: size(content.storedSize, 'content.storedSize'),
    sha256: content.sha256,
    keyVersion: size(content.keyVersion, 'content.keyVersion'),
    profile: { columns: profile.columns, rowCount: size(profile.rowCount, 'content.profile.rowCount'), byteSize: size(profile.byteSize, 'content.profile.byteSize') },
  };
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));
