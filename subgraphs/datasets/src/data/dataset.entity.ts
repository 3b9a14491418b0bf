import { EntitySchema, type ValueTransformer } from 'typeorm';
import type { ColumnProfile, CsvProfile } from '@tessera/tabular';
import type { SealedOr } from '@tessera/service-kit';

/** BIGINT comes back from the driver as a string when large; our sizes always fit a JS number. */
const bigintAsNumber: ValueTransformer = { to: (value: number) => value, from: (value: string | number | null) => (value === null ? null : Number(value)) };

export type DatasetStatus = 'ACTIVE' | 'DELETING';

export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  status: DatasetStatus;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DatasetVersion {
  id: string;
  datasetId: string;
  number: number;
  objectKey: string;
  byteSize: number;
  storedSize: number;
  sha256: string;
  keyVersion: number;
  rowCount: number;
  /** Sealed with the tenant's data key (clear on rows from before sealing): read it with openVersionColumns. */
  columns: SealedOr<ColumnProfile[]>;
  /** The data-key version that sealed `columns` (0: clear, awaiting the backfill). */
  columnsKeyVersion: number;
  createdBy: string;
  createdAt: Date;
}

export type UploadStatus = 'PENDING' | 'RECEIVING' | 'UPLOADED' | 'COMPLETED' | 'FAILED';

export interface DatasetUpload {
  id: string;
  datasetId: string;
  filename: string;
  contentType: string;
  declaredSize: number;
  status: UploadStatus;
  objectKey: string;
  storedSize: number | null;
  sha256: string | null;
  keyVersion: number | null;
  /** Sealed like a version's columns: read it with openUploadProfile. */
  profile: SealedOr<CsvProfile> | null;
  profileKeyVersion: number | null;
  failureCode: string | null;
  versionId: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  updatedAt: Date;
}

const timestamp = (name: string) => ({ name, type: 'datetime' as const, precision: 3 });

// Tables live in each tenant's own schema (no tenant_id column): the connection's schema is
// chosen by the TenantScope, never by these definitions.
export const DatasetEntity = new EntitySchema<Dataset>({
  name: 'Dataset',
  tableName: 'datasets',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    name: { type: 'varchar', length: 128 },
    description: { type: 'varchar', length: 1000, nullable: true },
    status: { type: 'varchar', length: 16 },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: timestamp('created_at'),
    updatedAt: timestamp('updated_at'),
  },
});

export const DatasetVersionEntity = new EntitySchema<DatasetVersion>({
  name: 'DatasetVersion',
  tableName: 'dataset_versions',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    datasetId: { name: 'dataset_id', type: 'char', length: 36 },
    number: { type: 'int' },
    objectKey: { name: 'object_key', type: 'varchar', length: 255 },
    byteSize: { name: 'byte_size', type: 'bigint', transformer: bigintAsNumber },
    storedSize: { name: 'stored_size', type: 'bigint', transformer: bigintAsNumber },
    sha256: { type: 'char', length: 64 },
    keyVersion: { name: 'key_version', type: 'int' },
    rowCount: { name: 'row_count', type: 'bigint', transformer: bigintAsNumber },
    columns: { name: 'columns_json', type: 'json' },
    columnsKeyVersion: { name: 'columns_key_version', type: 'int' },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: timestamp('created_at'),
  },
});

export const DatasetUploadEntity = new EntitySchema<DatasetUpload>({
  name: 'DatasetUpload',
  tableName: 'dataset_uploads',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    datasetId: { name: 'dataset_id', type: 'char', length: 36 },
    filename: { type: 'varchar', length: 255 },
    contentType: { name: 'content_type', type: 'varchar', length: 100 },
    declaredSize: { name: 'declared_size', type: 'bigint', transformer: bigintAsNumber },
    status: { type: 'varchar', length: 16 },
    objectKey: { name: 'object_key', type: 'varchar', length: 255 },
    storedSize: { name: 'stored_size', type: 'bigint', nullable: true, transformer: bigintAsNumber },
    sha256: { type: 'char', length: 64, nullable: true },
    keyVersion: { name: 'key_version', type: 'int', nullable: true },
    profile: { name: 'profile_json', type: 'json', nullable: true },
    profileKeyVersion: { name: 'profile_key_version', type: 'int', nullable: true },
    failureCode: { name: 'failure_code', type: 'varchar', length: 64, nullable: true },
    versionId: { name: 'version_id', type: 'char', length: 36, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: timestamp('created_at'),
    expiresAt: timestamp('expires_at'),
    updatedAt: timestamp('updated_at'),
  },
});

export const datasetEntities = [DatasetEntity, DatasetVersionEntity, DatasetUploadEntity];
