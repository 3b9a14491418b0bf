import type { ServiceMigrations } from '@tessera/tenancy';
import { DatasetsTables1765000000001 } from './tenant/0001-datasets-tables';
import { DatasetKeys1765000000002 } from './tenant/0002-dataset-keys';
import { SealedDatasetProfiles1765000000003 } from './tenant/0003-sealed-dataset-profiles';

/** The datasets service's migrations: its tenant tables only (it has none in the control plane). */
export const datasetsMigrations: ServiceMigrations = {
  tenant: [DatasetsTables1765000000001, DatasetKeys1765000000002, SealedDatasetProfiles1765000000003],
  control: [],
};
