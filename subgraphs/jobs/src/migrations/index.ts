import type { ServiceMigrations } from '@tessera/tenancy';
import { JobsTables1765000000001 } from './tenant/0001-jobs-tables';
import { SealedJobResults1766300000002 } from './tenant/0002-sealed-job-results';
import { JobsByDatasetVersion1767000000003 } from './tenant/0003-jobs-by-dataset-version';

/** The jobs service's migrations: its tenant tables only (it has none in the control plane). */
export const jobsMigrations: ServiceMigrations = {
  tenant: [JobsTables1765000000001, SealedJobResults1766300000002, JobsByDatasetVersion1767000000003],
  control: [],
};
