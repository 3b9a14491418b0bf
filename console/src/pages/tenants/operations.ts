import { graphql } from '../../generated';

export const TenantsQuery = graphql(`
  query ConsoleTenants {
    tenants { id displayName region tier status createdAt overriddenLimits limits { maxDatasets maxModels maxStorageBytes maxConcurrentJobs maxQueuedJobs predictionsPerMinute costPerMinute } }
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
    setTenantLimits(id: $id, limits: $limits) { id overriddenLimits limits { maxDatasets maxModels maxStorageBytes maxConcurrentJobs maxQueuedJobs predictionsPerMinute costPerMinute } }
  }
`);
