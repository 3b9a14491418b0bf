import type { ServiceMigrations } from '@tessera/tenancy';
import { DatasetsTables1765000000001 } from './tenant/0001-datasets-tables';

/** The datasets service's migrations: its tenant tables only (it has none in the control plane). */
export const datasetsMigrations: ServiceMigrations = {
  tenant: [DatasetsTables1765000000001],
  control: [],
};
