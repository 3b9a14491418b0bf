import { EntitySchema } from 'typeorm';

export type ModelStatus = 'ACTIVE' | 'DELETING';

/** How `predict` calls for this model's versions are served (per model, changed by updateModelServing). */
export interface ServingConfig {
  /** Merge concurrent calls for the same version into one session.run. */
  batching: boolean;
  /** Largest merged batch, in rows. */
  maxBatchSize: number;
  /** How long the first call of a batch waits for company. */
  maxDelayMs: number;
  /** A call that has not finished by then fails with a typed error; the pool stays healthy. */
  timeoutMs: number;
}

export interface Model {
  id: string;
  name: string;
  description: string | null;
  status: ModelStatus;
  /** Numbers are never reused, even after the latest version is deleted. */
  lastVersionNumber: number;
  servingBatching: boolean;
  servingMaxBatchSize: number;
  servingMaxDelayMs: number;
  servingTimeoutMs: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

const timestamp = (name: string) => ({ name, type: 'datetime' as const, precision: 3 });

// Tables live in each tenant's own schema; the TenantScope chooses the schema, never these definitions.
export const ModelEntity = new EntitySchema<Model>({
  name: 'Model',
  tableName: 'models',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    name: { type: 'varchar', length: 128 },
    description: { type: 'varchar', length: 1000, nullable: true },
    status: { type: 'varchar', length: 16 },
    lastVersionNumber: { name: 'last_version_number', type: 'int' },
    servingBatching: { name: 'serving_batching', type: 'boolean' },
    servingMaxBatchSize: { name: 'serving_max_batch_size', type: 'int' },
    servingMaxDelayMs: { name: 'serving_max_delay_ms', type: 'int' },
    servingTimeoutMs: { name: 'serving_timeout_ms', type: 'int' },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: timestamp('created_at'),
    updatedAt: timestamp('updated_at'),
  },
});

export function servingConfigOf(model: Model): ServingConfig {
  return { batching: model.servingBatching, maxBatchSize: model.servingMaxBatchSize, maxDelayMs: model.servingMaxDelayMs, timeoutMs: model.servingTimeoutMs };
}
