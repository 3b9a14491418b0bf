import { EntitySchema, type ValueTransformer } from 'typeorm';
import type { StoredOpset, StoredTensorSignature } from './tensor-signature';

/** BIGINT comes back from the driver as a string when large; our sizes always fit a JS number. */
export const bigintAsNumber: ValueTransformer = { to: (value: number) => value, from: (value: string | number | null) => (value === null ? null : Number(value)) };

/** Immutable once inserted: there is no UPDATE of a model_versions row anywhere. */
export interface ModelVersion {
  id: string;
  modelId: string;
  number: number;
  objectKey: string;
  byteSize: number;
  storedSize: number;
  sha256: string;
  keyVersion: number;
  irVersion: number;
  opsets: StoredOpset[];
  producer: string | null;
  inputs: StoredTensorSignature[];
  outputs: StoredTensorSignature[];
  datasetVersionId: string | null;
  jobId: string | null;
  idempotencyKey: string | null;
  createdBy: string;
  createdAt: Date;
}

export const ModelVersionEntity = new EntitySchema<ModelVersion>({
  name: 'ModelVersion',
  tableName: 'model_versions',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    modelId: { name: 'model_id', type: 'char', length: 36 },
    number: { type: 'int' },
    objectKey: { name: 'object_key', type: 'varchar', length: 255 },
    byteSize: { name: 'byte_size', type: 'bigint', transformer: bigintAsNumber },
    storedSize: { name: 'stored_size', type: 'bigint', transformer: bigintAsNumber },
    sha256: { type: 'char', length: 64 },
    keyVersion: { name: 'key_version', type: 'int' },
    irVersion: { name: 'ir_version', type: 'int' },
    opsets: { name: 'opsets_json', type: 'json' },
    producer: { type: 'varchar', length: 255, nullable: true },
    inputs: { name: 'inputs_json', type: 'json' },
    outputs: { name: 'outputs_json', type: 'json' },
    datasetVersionId: { name: 'dataset_version_id', type: 'char', length: 36, nullable: true },
    jobId: { name: 'job_id', type: 'char', length: 36, nullable: true },
    idempotencyKey: { name: 'idempotency_key', type: 'varchar', length: 128, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});
