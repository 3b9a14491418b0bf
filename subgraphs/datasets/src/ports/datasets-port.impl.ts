import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parseUuid, reencryptTableObjects, resealColumns, FamilyKeyOperations, datasetKeyFamily, type PortMethods, type PublishedPort, type SealedOr } from '@tessera/service-kit';
import { datasetSealedColumns, openVersionColumns } from '../data/dataset-profile-seal';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { datasetsPortCallers, type DatasetsPort, type DatasetColumnForJob } from './datasets-port';

/** The datasets port over this service's own tables, entered through the actor's TenantScope. */
export function createDatasetsPort(scopes: TenantScopeFactory): DatasetsPort {
  const familyKeys = new FamilyKeyOperations(scopes, datasetKeyFamily);
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
        columns: await openVersionColumns(scope, id, row['columns_json'] as SealedOr<DatasetColumnForJob[]>),
      };
    },

    async reencryptObjects(actor, input) {
      const objects = await reencryptTableObjects(scopes, actor, 'dataset_versions', input);
      // The sealed profiles move in the same run, with what is left of the batch.
      const sealed = await resealColumns(await scopes.forPrincipal(actor), datasetSealedColumns, { ...input, batchSize: Math.max(0, input.batchSize - objects.reencrypted) });
      return { reencrypted: objects.reencrypted + sealed.reencrypted, remaining: objects.remaining + sealed.remaining };
    },
      familyKeyStatus: (actor, input) => familyKeys.status(actor, input),
      rotateFamilyKey: (actor, input) => familyKeys.rotate(actor, input),
      reencryptFamilyObjects: (actor, input) => familyKeys.reencrypt(actor, input),
      destroyFamilyKeyVersion: (actor, input) => familyKeys.destroy(actor, input),

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

