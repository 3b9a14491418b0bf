import type { ServiceData } from '@tessera/tenancy';

/** The jobs service's tables, and what it still reads of the catalog directly. */
export const jobsData: ServiceData = {
  service: 'jobs',
  owns: [
    { table: 'jobs', plane: 'tenant', access: 'read-write' },
    { table: 'job_submit_guard', plane: 'tenant', access: 'read-write' },
  ],
  // Submitting a job resolves its inputs (catalog-lookup.ts, job-input-resolver.ts) by reading the
  // catalog tables; these go when the datasets and models services publish a lookup port.
  borrows: [
    { table: 'datasets', plane: 'tenant', privileges: ['SELECT'], why: 'resolves a job input dataset (must be ACTIVE)' },
    { table: 'dataset_versions', plane: 'tenant', privileges: ['SELECT'], why: 'resolves a job input dataset version' },
    { table: 'models', plane: 'tenant', privileges: ['SELECT'], why: 'resolves a job input model (must be ACTIVE)' },
    { table: 'model_versions', plane: 'tenant', privileges: ['SELECT'], why: 'resolves a job input model version' },
    { table: 'model_aliases', plane: 'tenant', privileges: ['SELECT'], why: 'resolves a model alias to its version' },
  ],
};
