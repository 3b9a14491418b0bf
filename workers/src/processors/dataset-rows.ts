import type { DatasetJobPort, DatasetVersionForJob } from '@tessera/datasets/ports';
import type { GrantPortMethods } from '@tessera/service-kit';
import { readPresignedObject, type ObjectReadAccess } from '@tessera/storage';
import { parseCsvRows } from '@tessera/tabular';
import type { JobContext } from '../job-context';

/** A dataset version a job reads, and the one short-lived way to its bytes the datasets service handed out. */
export interface OpenedDatasetVersion {
  version: DatasetVersionForJob;
  content: ObjectReadAccess;
}

/**
 * The dataset version a job reads, opened by the datasets service under the run's grant (NOT_FOUND
 * if it was deleted after the submit; FORBIDDEN if the grant does not name it).
 */
export function openDatasetVersion(datasets: GrantPortMethods<DatasetJobPort>, ctx: JobContext, id: string): Promise<OpenedDatasetVersion> {
  return datasets.openVersionContent(ctx.grant, { datasetVersionId: id });
}

/** Rows read between two checkpoints while a dataset streams in. */
const rowsPerCheckpoint = 1000;

/**
 * The rows of an opened dataset version, decrypted (with the key of that object alone) and parsed
 * as they stream from the presigned URL, with the same validation as the upload. A checkpoint every
 * thousand rows: loading a million rows for training reports no progress, and the run's bound must
 * still stop it.
 */
export async function* datasetRows(ctx: JobContext, opened: OpenedDatasetVersion): AsyncGenerator<Record<string, string>> {
  const { version } = opened;
  const content = await readPresignedObject(opened.content, ctx.objectFetch);
  try {
    let rows = 0;
    for await (const row of parseCsvRows(content, { limits: { maxRows: Math.max(1, version.rowCount), maxBytes: Math.max(1, version.byteSize) } })) {
      if (++rows % rowsPerCheckpoint === 0) ctx.checkpoint();
      yield row;
    }
  } finally {
    content.destroy();
  }
}
