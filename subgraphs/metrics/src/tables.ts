import { requestServingServices, type ServiceData, type ServiceName } from '@tessera/tenancy';
import { metricsMigrations } from './migrations';

/**
 * Services that change what a tenant stores, through the quota ledger (reserve → write → commit/release).
 * Not the workers: a job's output is reserved and registered by its owner (datasets, models) through
 * the job ports, so a worker never writes a tenant's ledger.
 */
const quotaWriters: ServiceName[] = ['datasets', 'models', 'audit'];

/**
 * The metrics service's tables: request metrics, anomalies, and the tenant's usage ledger (usage
 * meters, budgets, quota usage). The ledger is written by the services that consume: those rights
 * are published here, each with the statements the writers run.
 */
export const metricsData: ServiceData = {
  service: 'metrics',
  owns: [
    {
      table: 'request_metrics',
      plane: 'tenant',
      access: 'read-write',
      // INSERT … ON DUPLICATE KEY UPDATE requests = requests + …: the update reads the row.
      publishedTo: [{ to: ['gateway'], privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'the gateway flushes per-minute request counters' }],
    },
    {
      table: 'request_metric_errors',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: ['gateway'], privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'the gateway flushes per-minute error counters' }],
    },
    { table: 'anomalies', plane: 'tenant', access: 'read-write' },
    { table: 'anomaly_detector_state', plane: 'tenant', access: 'read-write' },
    {
      table: 'usage_meters',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: requestServingServices, privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'each service meters what it serves (hourly counters, added to) and checks budgets' }],
    },
    {
      table: 'usage_budgets',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: requestServingServices, privileges: ['SELECT'], why: 'budget checks before metered work' }],
    },
    {
      table: 'usage_budget_alerts',
      plane: 'tenant',
      access: 'read-write',
      // INSERT IGNORE: the writer whose insert created the row raises the alert; it never reads or changes one.
      publishedTo: [{ to: requestServingServices, privileges: ['INSERT'], why: 'the first writer past a soft budget raises its alert once' }],
    },
    {
      table: 'usage_samples',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: quotaWriters, privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'the stored-bytes clock starts when a tenant first stores bytes' }],
    },
    {
      table: 'quota_usage',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: quotaWriters, privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'the quota ledger: commit what a write used' }],
    },
    {
      table: 'quota_reservations',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: quotaWriters, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], why: 'the quota ledger: reserve before a write, release after' }],
    },
  ],
  // What metrics shows of other services' data (counts, sums, series) comes through their ports.
  borrows: [],
  migrations: metricsMigrations,
};
