import { EntitySchema } from 'typeorm';
import { bigintAsNumber } from './model-version.entity';
import type { StoredModelInfo } from './tensor-signature';

export type ModelUploadStatus = 'PENDING' | 'RECEIVING' | 'UPLOADED' | 'COMPLETED' | 'FAILED';

export interface ModelUpload {
  id: string;
  modelId: string;
  filename: string;
  declaredSize: number;
  status: ModelUploadStatus;
  objectKey: string;
  storedSize: number | null;
  sha256: string | null;
  keyVersion: number | null;
  /** The validated ONNX facts, set when the bytes arrived and passed validation. */
  info: StoredModelInfo | null;
  failureCode: string | null;
  versionId: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  updatedAt: Date;
}

const timestamp = (name: string) => ({ name, type: 'datetime' as const, precision: 3 });

export const ModelUploadEntity = new EntitySchema<ModelUpload>({
  name: 'ModelUpload',
  tableName: 'model_uploads',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    modelId: { name: 'model_id', type: 'char', length: 36 },
    filename: { type: 'varchar', length: 255 },
    declaredSize: { name: 'declared_size', type: 'bigint', transformer: bigintAsNumber },
    status: { type: 'varchar', length: 16 },
    objectKey: { name: 'object_key', type: 'varchar', length: 255 },
    storedSize: { name: 'stored_size', type: 'bigint', nullable: true, transformer: bigintAsNumber },
    sha256: { type: 'char', length: 64, nullable: true },
    keyVersion: { name: 'key_version', type: 'int', nullable: true },
    info: { name: 'info_json', type: 'json', nullable: true },
    failureCode: { name: 'failure_code', type: 'varchar', length: 64, nullable: true },
    versionId: { name: 'version_id', type: 'char', length: 36, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: timestamp('created_at'),
    expiresAt: timestamp('expires_at'),
    updatedAt: timestamp('updated_at'),
  },
});
