import { quoteIdentifier, tenantSchemaName } from '@tessera/tenancy';

/** Anything that runs SQL: a DataSource, an EntityManager, a QueryRunner. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * The metering tables of one tenant, schema-qualified: metering processes keep their connections
 * on the control plane and write to many tenants, so names are built only from a validated
 * tenant id (`tenantSchemaName` refuses anything else).
 */
export function usageTables(tenantId: string): { meters: string; budgets: string; alerts: string; samples: string; quotaUsage: string } {
  const schema = quoteIdentifier(tenantSchemaName(tenantId));
  return {
    meters: `${schema}.usage_meters`,
    budgets: `${schema}.usage_budgets`,
    alerts: `${schema}.usage_budget_alerts`,
    samples: `${schema}.usage_samples`,
    quotaUsage: `${schema}.quota_usage`,
  };
}
