import { allow, can, type RuleTree } from '@tessera/auth';

export const metricsRules: RuleTree = {
  Query: { tenantUsage: can.read, inferenceStats: can.read },
  TenantUsage: allow,
  InferenceStats: allow,
  InferenceMinute: allow,
};
