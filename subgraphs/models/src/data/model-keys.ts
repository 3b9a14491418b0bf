import { FamilyKeys } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';

/** Each model's own key (wrapped by the tenant's data key): its version files are shredded with it. */
export function modelKeys(scope: TenantScope): FamilyKeys {
  return new FamilyKeys(scope, { table: 'model_keys', idColumn: 'model_id' });
}
