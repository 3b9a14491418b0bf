import { or } from 'graphql-shield';
import { allow, can, isPlatformAdmin, isTenantMember, type RuleTree } from '@tessera/auth';

/** Members, service accounts and keys: the tenant's admins, or a platform admin naming the tenant (the providers assert the same). */
const managesAccess = or(can.administer, isPlatformAdmin);
/** Who holds access may also be read by the tenant's auditors: the access review needs it. */
const readsAccess = or(can.audit, isPlatformAdmin);

export const tenantRules: RuleTree = {
  Query: {
    currentTenant: isTenantMember,
    tenants: isPlatformAdmin,
    tenant: isPlatformAdmin,
    platformUsage: isPlatformAdmin,
    members: readsAccess,
    serviceAccounts: readsAccess,
    keyEncryptionKeyStatus: isPlatformAdmin,
    tenantErasure: managesAccess,
    verifyErasureReceipt: isPlatformAdmin,
    tenantDataKeys: managesAccess,
    keyOperation: managesAccess,
  },
  Mutation: {
    provisionTenant: isPlatformAdmin,
    suspendTenant: isPlatformAdmin,
    resumeTenant: isPlatformAdmin,
    setTenantLimits: isPlatformAdmin,
    migrateTenantRegion: isPlatformAdmin,
    inviteMember: managesAccess,
    changeMemberRole: managesAccess,
    removeMember: managesAccess,
    resendInvitation: managesAccess,
    revokeInvitation: managesAccess,
    createServiceAccount: managesAccess,
    deleteServiceAccount: managesAccess,
    createApiKey: managesAccess,
    revokeApiKey: managesAccess,
    rotateKeyEncryptionKey: isPlatformAdmin,
    rewrapDataKeys: isPlatformAdmin,
    retireKeyEncryptionKeyVersion: isPlatformAdmin,
    destroyKeyEncryptionKeyVersion: isPlatformAdmin,
    requestTenantErasure: managesAccess,
    cancelTenantErasure: managesAccess,
    rotateTenantKey: managesAccess,
    reencryptTenantObjects: managesAccess,
    retireTenantKeyVersion: managesAccess,
  },
  Tenant: allow,
  TenantLimits: allow,
  TenantUsageTotals: allow,
  ProvisionTenantPayload: allow,
  Member: allow,
  ServiceAccount: allow,
  ApiKey: allow,
  CreatedApiKey: allow,
  KeyEncryptionKeyStatus: allow,
  KeyEncryptionKeyVersion: allow,
  DataKeyRewrap: allow,
  TenantErasure: allow,
  ErasureReceiptVerification: allow,
  TenantDataKeys: allow,
  TenantDataKeyVersion: allow,
  KeyOperation: allow,
};
