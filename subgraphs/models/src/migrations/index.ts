import type { ServiceMigrations } from '@tessera/tenancy';
import { ModelsTables1765000000001 } from './tenant/0001-models-tables';

/** The models service's migrations: its tenant tables only (it has none in the control plane). */
export const modelsMigrations: ServiceMigrations = {
  tenant: [ModelsTables1765000000001],
  control: [],
};
