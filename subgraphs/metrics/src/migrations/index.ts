import type { ServiceMigrations } from '@tessera/tenancy';
import { MetricsTables1765000000001 } from './tenant/0001-metrics-tables';

/** The metrics service's migrations: its tenant tables only (it has none in the control plane). */
export const metricsMigrations: ServiceMigrations = {
  tenant: [MetricsTables1765000000001],
  control: [],
};
