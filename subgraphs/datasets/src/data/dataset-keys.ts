import { FamilyKeys, type FamilyKeyTable } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';

const datasetKeyTable: FamilyKeyTable = { table: 'dataset_keys', idColumn: 'dataset_id' };

/** Each dataset's own key (wrapped by the tenant's data key): its objects are shredded with it. */
export function datasetKeys(scope: TenantScope): FamilyKeys {
  return new FamilyKeys(scope, datasetKeyTable);
}
