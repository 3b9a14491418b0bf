import { administersInPerson, allow, can, type RuleTree } from '@tessera/auth';

// Usage and budgets are what the tenant is billed for: an administrator's view and decision.

export const metricsRules: RuleTree = {
  Query: { tenantUsage: can.read, inferenceStats: can.read, requestMetrics: can.read, trainingMetrics: can.read, anomalies: can.read, usageReport: can.administer, usageBudgets: can.administer },
  Mutation: { setUsageBudget: administersInPerson, removeUsageBudget: administersInPerson },
  TenantUsage: allow,
  QuotaUsage: allow,
  InferenceStats: allow,
  InferenceMinute: allow,
  RequestMetrics: allow,
  RequestMetricsPoint: allow,
  ErrorCodeCount: allow,
  OperationMetrics: allow,
  TrainingMetrics: allow,
  Anomaly: allow,
  UsageReport: allow,
  UsagePoint: allow,
  UsageAmounts: allow,
  UsageBudget: allow,
};
