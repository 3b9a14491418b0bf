import type { Principal } from '@tessera/auth';
import type { FamilyKeyInput, FamilyKeyReport, FamilyKeyVersionInput, FamilyReencryptionInput, FamilyReencryptionProgress, ObjectReencryptionInput, ObjectReencryptionProgress } from '@tessera/service-kit';
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
  /** What tenantUsage shows of datasets: ACTIVE datasets, versions, their stored (encrypted) bytes. */
  usageCounts(actor: Principal, input: Record<string, never>): Promise<DatasetUsageCounts>;
  /**
   * Re-encrypts up to `batchSize` of the tenant's dataset versions objects still under a data-key
   * version below `belowVersion` with the current one (0: only counts them); the tenants service
   * drives a tenant's re-encryption with it. The actor is the tenant's admin.
   */
  reencryptObjects(actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress>;
  /** One dataset's own key versions and how many of its objects each encrypts (the tenants service shows them to the tenant's admin). */
  familyKeyStatus(actor: Principal, input: FamilyKeyInput): Promise<FamilyKeyReport>;
  /** Adds the next version of one dataset's key; its new objects use it at once. */
  rotateFamilyKey(actor: Principal, input: FamilyKeyInput): Promise<{ familyId: string; version: number }>;
  /** Moves a batch of one dataset's objects to its latest key version (0: only counts what is left). */
  reencryptFamilyObjects(actor: Principal, input: FamilyReencryptionInput): Promise<FamilyReencryptionProgress>;
  /** Destroys an older key version of one dataset; KEY_VERSION_IN_USE while any of its objects is under it. */
  destroyFamilyKeyVersion(actor: Principal, input: FamilyKeyVersionInput): Promise<{ familyId: string; version: number }>;
}

export interface DatasetUsageCounts {
  datasets: number;
  datasetVersions: number;
  storedBytes: number;
}

export const datasetsPortMethods = ['findVersionForJob', 'usageCounts', 'reencryptObjects', 'familyKeyStatus', 'rotateFamilyKey', 'reencryptFamilyObjects', 'destroyFamilyKeyVersion'] as const satisfies ReadonlyArray<keyof DatasetsPort>;

/**
 * The jobs service validates submits against versions; metrics counts. The workers call nothing
 * here: they act only through their job's grant, on the datasets-job port (dataset-job-port.ts).
 */
export const datasetsPortCallers = {
  findVersionForJob: ['jobs'],
  usageCounts: ['metrics'],
  reencryptObjects: ['tenants'],
  familyKeyStatus: ['tenants'],
  rotateFamilyKey: ['tenants'],
  reencryptFamilyObjects: ['tenants'],
  destroyFamilyKeyVersion: ['tenants'],
} as const satisfies Record<keyof DatasetsPort, readonly string[]>;
