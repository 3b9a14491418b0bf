import { allow, isPlatformAdmin, isTenantMember, type RuleTree } from '@tessera/auth';

export const tenantRules: RuleTree = {
  Query: { currentTenant: isTenantMember, tenants: isPlatformAdmin, tenant: isPlatformAdmin },
  Mutation: { provisionTenant: isPlatformAdmin, suspendTenant: isPlatformAdmin, resumeTenant: isPlatformAdmin, setTenantLimits: isPlatformAdmin },
  Tenant: allow,
  TenantLimits: allow,
  ProvisionTenantPayload: allow,
};
