import { graphql } from '../../generated';

/**
 * Every limit in force, for the table and the limits editor (which lists them in limit-fields.ts);
 * console/test/tenant-limit-fields.test.ts checks this selects each field of TenantLimits.
 */
export const TenantLimitsFragment = graphql(`
  fragment ConsoleTenantLimits on TenantLimits {
    maxUploadBytes maxStorageBytes costPerMinute costBurst maxConcurrentOperations maxConcurrentJobs maxQueuedJobs
    maxJobRunSeconds maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationDirectives maxOperationTokens maxOperationCost
    maxOpenSubscriptions predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads
    inferenceProcessMemoryMb maxDatasets maxDatasetVersions maxModels maxModelVersions maxMembers maxServiceAccounts
    maxApiKeysPerServiceAccount keyRotationDays
  }
`);

export const TenantsQuery = graphql(`
  query ConsoleTenants {
    tenants { id displayName region tier status createdAt overriddenLimits limits { ...ConsoleTenantLimits } }
  }
`);

export const ProvisionTenantMutation = graphql(`
  mutation ConsoleProvisionTenant($input: ProvisionTenantInput!) {
    provisionTenant(input: $input) { created tenant { id status } }
  }
`);

export const SuspendTenantMutation = graphql(`
  mutation ConsoleSuspendTenant($id: ID!) {
    suspendTenant(id: $id) { id status }
  }
`);

export const ResumeTenantMutation = graphql(`
  mutation ConsoleResumeTenant($id: ID!) {
    resumeTenant(id: $id) { id status }
  }
`);

export const SetLimitsMutation = graphql(`
  mutation ConsoleSetTenantLimits($id: ID!, $limits: TenantLimitsInput!) {
    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { ...ConsoleTenantLimits } }
  }
`);

/**
 * What a tenant holds of each access row its limits cap (members with invitations, service
 * accounts, keys per account): the API exposes the lists to a platform admin naming the tenant,
 * not counts, and `tenantUsage` does not cover them.
 */
export const TenantAccessUsageQuery = graphql(`
  query ConsoleTenantAccessUsage($tenantId: ID!) {
    members(tenantId: $tenantId) { id }
    serviceAccounts(tenantId: $tenantId) { id apiKeys { id status } }
  }
`);
