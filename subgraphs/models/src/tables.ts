import type { ServiceData } from '@tessera/tenancy';
import { modelsMigrations } from './migrations';

/** The models service's tables: the registry (models, versions, aliases), staged uploads, serving stats and the prediction log's marks. */
export const modelsData: ServiceData = {
  service: 'models',
  owns: [
    { table: 'models', plane: 'tenant', access: 'read-write' },
    { table: 'model_versions', plane: 'tenant', access: 'read-write' },
    { table: 'model_keys', plane: 'tenant', access: 'read-write' },
    { table: 'model_aliases', plane: 'tenant', access: 'read-write' },
    { table: 'model_uploads', plane: 'tenant', access: 'read-write' },
    { table: 'inference_stats', plane: 'tenant', access: 'read-write' },
    { table: 'prediction_log_marks', plane: 'tenant', access: 'read-write' },
  ],
  borrows: [],
  migrations: modelsMigrations,
};
