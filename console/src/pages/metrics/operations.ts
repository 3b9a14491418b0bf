import { graphql } from '../../generated';

export const MetricsQuery = graphql(`
  query ConsoleMetrics($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {
    requestMetrics(from: $from, to: $to, granularity: $granularity) {
      points { start requests errors errorRate latencyP50Ms latencyP95Ms }
      total { requests errors errorRate latencyP95Ms }
    }
    anomalies(from: $from, to: $to, first: 50) { id metric windowStart observed expected summary }
    trainingMetrics(from: $from, to: $to) { jobs succeeded failed cancelled active successRate meanDurationMs durationP95Ms }
    tenantUsage { datasets datasetVersions models jobs storedBytes quotas { name used reserved limit windowSeconds } }
  }
`);

export const MetricsModelsQuery = graphql(`
  query ConsoleMetricsModels {
    models(first: 50) { edges { node { id name } } }
  }
`);

export const InferenceStatsQuery = graphql(`
  query ConsoleInferenceStats($modelId: ID!, $from: DateTime!, $to: DateTime!, $granularity: MetricGranularity!) {
    inferenceStats(modelId: $modelId, from: $from, to: $to, granularity: $granularity) {
      calls errors rows meanLatencyMs maxLatencyMs meanBatchSize
      minutes { minute calls errors meanLatencyMs versionNumber }
    }
  }
`);
