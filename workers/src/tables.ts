import type { ServiceData } from '@tessera/tenancy';

/**
 * The workers own no table: a job's state belongs to the jobs service, its inputs and outputs to
 * the datasets and models services. Until those services publish ports for what a worker does
 * (claim/progress/finish a job, read an input version, register an output version), the worker
 * reads and writes their tables directly: each such table is listed here, so this list is what
 * remains to replace.
 */
export const workersData: ServiceData = {
  service: 'workers',
  owns: [],
  borrows: [
    { table: 'jobs', plane: 'tenant', privileges: ['SELECT', 'UPDATE'], why: 'claims a job, records progress and metrics, finishes or requeues it' },
    { table: 'datasets', plane: 'tenant', privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'reads input datasets; batch inference creates its output dataset' },
    { table: 'dataset_versions', plane: 'tenant', privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'reads input versions; batch inference registers its output version' },
    { table: 'models', plane: 'tenant', privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'training creates its output model if new and bumps its version counter' },
    { table: 'model_versions', plane: 'tenant', privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'training registers the trained version; batch inference reads its model version' },
    { table: 'model_aliases', plane: 'tenant', privileges: ['SELECT'], why: 'batch inference resolves a model alias' },
  ],
};
