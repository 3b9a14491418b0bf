import { parseCsvRows } from '@tessera/tabular';
import type { TenantScope } from '@tessera/tenancy';
import { findDatasetVersion, type CatalogDatasetVersion } from '@tessera/jobs';
import { errors } from '@tessera/errors';

/** The dataset version a job reads (NOT_FOUND if it was deleted after the submit). */
export async function datasetVersionOf(scope: TenantScope, id: string): Promise<CatalogDatasetVersion> {
  const version = await scope.db((manager) => findDatasetVersion(manager, id));
  if (!version) throw errors.notFound('DatasetVersion', id);
  return version;
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
