import { allow, isPlatformAdmin, isTenantMember, type RuleTree } from '@tessera/auth';

export const tenantRules: RuleTree = {
  Query: { currentTenant: isTenantMember, tenants: isPlatformAdmin, tenant: isPlatformAdmin, platformUsage: isPlatformAdmin },
  Mutation: { provisionTenant: isPlatformAdmin, suspendTenant: isPlatformAdmin, resumeTenant: isPlatformAdmin, setTenantLimits: isPlatformAdmin },
  Tenant: allow,
  TenantLimits: allow,
  TenantUsageTotals: allow,
  ProvisionTenantPayload: allow,
};
