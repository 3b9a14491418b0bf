import type { ServiceMigrations } from '@tessera/tenancy';
import { TenantsTables1765000000001 } from './control/0001-tenants-tables';
import { TenantMembers1765000000002 } from './control/0002-tenant-members';
import { ServiceAccounts1765000000003 } from './control/0003-service-accounts';
import { KeyEncryptionKeyVersions1765000000004 } from './control/0004-key-encryption-key-versions';
import { TenantErasures1765000000005 } from './control/0005-tenant-erasures';
import { KeyOperations1765000000006 } from './control/0006-key-operations';
import { KeyOperationTargets1765100000007 } from './control/0007-key-operation-targets';
import { InvitationExpiry1766200000008 } from './control/0008-invitation-expiry';
import { ExactIdentityMatch1766300000009 } from './control/0009-exact-identity-match';
import { DataKeyFloor1766400000001 } from './tenant/0001-data-key-floor';

/** The tenants service's migrations: its control-plane tables, and the data-key floor of each tenant schema. */
export const tenantsMigrations: ServiceMigrations = {
  tenant: [DataKeyFloor1766400000001],
  control: [TenantsTables1765000000001, TenantMembers1765000000002, ServiceAccounts1765000000003, KeyEncryptionKeyVersions1765000000004, TenantErasures1765000000005, KeyOperations1765000000006, KeyOperationTargets1765100000007, InvitationExpiry1766200000008, ExactIdentityMatch1766300000009],
};
