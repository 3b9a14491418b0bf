import type { DatasetsPort, DatasetVersionForJob } from '@tessera/datasets/ports';
import { parseCsvRows } from '@tessera/tabular';
import type { TenantScope } from '@tessera/tenancy';

type CatalogDatasetVersion = DatasetVersionForJob;

/** The dataset version a job reads, from the datasets service (NOT_FOUND if it was deleted after the submit). */
export function datasetVersionOf(datasets: DatasetsPort, scope: TenantScope, id: string): Promise<CatalogDatasetVersion> {
  return datasets.findVersionForJob(scope.principal, { datasetVersionId: id });
}

/**
 * The rows of a dataset version, decrypted and parsed as they stream from the tenant's bucket
 * (same validation as the upload). `onRow` counts rows for progress.
 */
export async function* datasetRows(scope: TenantScope, version: CatalogDatasetVersion): AsyncGenerator<Record<string, string>> {
  const content = await scope.bucket.getDecrypted(version.objectKey, scope.resolveDataKey);
  try {
    yield* parseCsvRows(content, { limits: { maxRows: Math.max(1, version.rowCount), maxBytes: Math.max(1, version.byteSize) } });
  } finally {
    content.destroy();
  }
}
