import type { Principal } from '@tessera/auth';
import type { CsvProfile } from '@tessera/tabular';

/**
 * What other services may do with datasets: look up a version a job reads, and register the
 * dataset version a batch-inference job writes. Scoped by the actor's tenant; another tenant's
 * id is NOT_FOUND, exactly like an id that never existed.
 */
export type DatasetColumnType = 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'DATETIME' | 'STRING';

export interface DatasetColumnForJob {
  name: string;
  type: DatasetColumnType;
  nullable: boolean;
  nullCount: number;
}

/** A dataset version as a job needs it: where its bytes are, how many rows, which columns. */
export interface DatasetVersionForJob {
  id: string;
  datasetId: string;
  datasetName: string;
  number: number;
  objectKey: string;
  rowCount: number;
  byteSize: number;
  columns: DatasetColumnForJob[];
}

/** The version a job already registered, if its output outlived the run that wrote it. */
export interface JobOutputVersion {
  datasetId: string;
  datasetVersionId: string;
  objectKey: string;
}

/** Room reserved for a job's output, in the (created when missing) output dataset. */
export interface JobOutputReservation {
  datasetId: string;
  reservationId: string;
}

/** The encrypted object a job stored, to become the next version of the output dataset. */
export interface JobOutputContent {
  objectKey: string;
  byteSize: number;
  storedSize: number;
  sha256: string;
  keyVersion: number;
  profile: CsvProfile;
}

export interface DatasetsPort {
  /** An ACTIVE dataset's version, or NOT_FOUND. */
  findVersionForJob(actor: Principal, input: { datasetVersionId: string }): Promise<DatasetVersionForJob>;
  findJobOutput(actor: Principal, input: { sourceJobId: string }): Promise<JobOutputVersion | null>;
  /** Reserves `storedBytes` of the storage quota (QUOTA_EXCEEDED before anything is written), then ensures the output dataset. */
  reserveJobOutput(actor: Principal, input: { outputDatasetName: string; storedBytes: number }): Promise<JobOutputReservation>;
  /** At most one version per job: a second call returns the first one's version and releases its own reservation. */
  registerJobOutput(actor: Principal, input: { datasetId: string; reservationId: string; sourceJobId: string; content: JobOutputContent }): Promise<JobOutputVersion>;
  releaseJobOutput(actor: Principal, input: { reservationId: string }): Promise<void>;
  /** What tenantUsage shows of datasets: ACTIVE datasets, versions, their stored (encrypted) bytes. */
  usageCounts(actor: Principal, input: Record<string, never>): Promise<DatasetUsageCounts>;
}

export interface DatasetUsageCounts {
  datasets: number;
  datasetVersions: number;
  storedBytes: number;
}

export const datasetsPortMethods = ['findVersionForJob', 'findJobOutput', 'reserveJobOutput', 'registerJobOutput', 'releaseJobOutput', 'usageCounts'] as const satisfies ReadonlyArray<keyof DatasetsPort>;

/** The jobs service validates submits against versions; the workers read inputs and write outputs; metrics counts. */
export const datasetsPortCallers = {
  findVersionForJob: ['jobs', 'workers'],
  findJobOutput: ['workers'],
  reserveJobOutput: ['workers'],
  registerJobOutput: ['workers'],
  releaseJobOutput: ['workers'],
  usageCounts: ['metrics'],
} as const satisfies Record<keyof DatasetsPort, readonly string[]>;
