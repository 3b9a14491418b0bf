import type { ServiceData } from '@tessera/tenancy';
import { datasetsMigrations } from './migrations';

/** The datasets service's tables: it alone creates, changes and removes datasets and their versions. */
export const datasetsData: ServiceData = {
  service: 'datasets',
  owns: [
    { table: 'datasets', plane: 'tenant', access: 'read-write' },
    { table: 'dataset_versions', plane: 'tenant', access: 'read-write' },
    { table: 'dataset_uploads', plane: 'tenant', access: 'read-write' },
    { table: 'dataset_keys', plane: 'tenant', access: 'read-write' },
  ],
  borrows: [],
  migrations: datasetsMigrations,
};
