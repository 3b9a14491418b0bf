import { allow, can, type RuleTree } from '@tessera/auth';

export const metricsRules: RuleTree = {
  Query: { tenantUsage: can.read, inferenceStats: can.read, requestMetrics: can.read, trainingMetrics: can.read, anomalies: can.read },
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
};
