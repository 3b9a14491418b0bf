import type { ServiceData } from '@tessera/tenancy';
import { jobsMigrations } from './migrations';

/** The jobs service's tables. */
export const jobsData: ServiceData = {
  service: 'jobs',
  owns: [
    { table: 'jobs', plane: 'tenant', access: 'read-write' },
    { table: 'job_submit_guard', plane: 'tenant', access: 'read-write' },
  ],
  // Job inputs are resolved through the datasets and models ports: nothing borrowed.
  borrows: [],
  migrations: jobsMigrations,
};
