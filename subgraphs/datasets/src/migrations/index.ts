import type { ServiceMigrations } from '@tessera/tenancy';
import { DatasetsTables1765000000001 } from './tenant/0001-datasets-tables';
import { DatasetKeys1765000000002 } from './tenant/0002-dataset-keys';
import { DatasetKeyVersions1765100000003 } from './tenant/0003-dataset-key-versions';
import { SealedDatasetProfiles1766300000004 } from './tenant/0004-sealed-dataset-profiles';

/** The datasets service's migrations: its tenant tables only (it has none in the control plane). */
export const datasetsMigrations: ServiceMigrations = {
  tenant: [DatasetsTables1765000000001, DatasetKeys1765000000002, DatasetKeyVersions1765100000003, SealedDatasetProfiles1766300000004],
  control: [],
};
