import { randomUUID } from 'node:crypto';
import { recordAuditEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { AnomalyDetectionConfig } from '@tessera/monitoring';
import type { TenantScope } from '@tessera/tenancy';
import type { EntityManager } from 'typeorm';
import type { BucketValue } from '../data/anomaly-source.repository';
import { insertAnomaly, lockSeriesStates, saveSeriesState, type Anomaly, type SeriesState } from '../data/anomaly.repository';
import { judge, type SeriesModelParameters } from './anomaly-model';
import { anomalyMetrics, bucketMsOf, firstDataOf, readSource, seriesDefinitions, type AnomalySourcePorts, type SeriesDefinition, type SeriesSource } from './anomaly-series';

const emptyBucket: BucketValue = { count: 0, errors: 0, p95Ms: null, meanLatencyMs: 0 };
const sources: readonly SeriesSource[] = ['requests', 'dataReads', 'inference'];

/**
 * Which buckets to judge now: from where the series stopped (or its first data) up to the last
 * bucket that ended `settleMs` ago, at most `maxCatchUpBuckets` of them. Null: nothing to do.
 */
export function evaluationWindow(
  evaluatedUntil: Date | null,
  firstData: Date | null,
  now: Date,
  bucketMs: number,
  config: Pick<AnomalyDetectionConfig, 'settleMs' | 'maxCatchUpBuckets'>,
): { from: number; to: number } | null {
  const to = Math.floor((now.getTime() - config.settleMs) / bucketMs) * bucketMs;
  const start = evaluatedUntil?.getTime() ?? (firstData ? Math.floor(firstData.getTime() / bucketMs) * bucketMs : null);
  if (start === null || start >= to) return null;
  return { from: Math.max(start, to - config.maxCatchUpBuckets * bucketMs), to };
}

export function parametersOf(definition: SeriesDefinition, config: AnomalyDetectionConfig): SeriesModelParameters {
  return { alpha: config.alpha, warmup: config.warmupBuckets, threshold: config.threshold, anomalyWeight: config.anomalyWeight, ...definition.guards };
}

const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3));

/** Keeps the audit details small: six significant digits say all an alert reader needs. */
const rounded = (value: number) => Number(value.toPrecision(6));

/**
 * The detector as an actor: for its sweep's scopes and in the tenant's audit trail. It acts on its
 * own (sweep) or inside a reader's request (`anomalies` judges what settled first); either way the
 * flagging is the detector's doing, not the reader's, so the event never names the reader. The
 * request id is kept: it ties an on-demand pass to the request that ran it. No roles, like the
 * other system actors (`system:keyring`): it holds none of the tenant's, so `accessReport` never
 * lists it as a role holder.
 */
export function detectorPrincipal(tenantId: string, requestId: string = randomUUID()): Principal {
  return { kind: 'user', subject: 'system:anomaly-detection', tenantId, roles: [], clientId: undefined, requestId, sourceIp: undefined };
}

/**
 * A flagged bucket as an `anomaly.detected` audit event, in the transaction that stores it: the
 * anomaly and its event commit together or not at all. Audit alerting (rule ANOMALY) turns the
 * event into an alert — stored, webhooked, published — so anomalies take the one alert path.
 */
function recordAnomalyEvent(manager: EntityManager, actor: Principal, anomaly: Anomaly): Promise<void> {
  return recordAuditEvent(manager, actor, {
    action: 'anomaly.detected',
    targetType: 'Metric',
    targetId: anomaly.metric,
    details: {
      anomalyId: anomaly.id,
      metric: anomaly.metric,
      observed: rounded(anomaly.observed),
      expected: rounded(anomaly.expected),
      score: rounded(anomaly.score),
      threshold: anomaly.threshold,
      windowStart: anomaly.windowStart.toISOString(),
      windowEnd: anomaly.windowEnd.toISOString(),
    },
  });
}

/**
 * One detection pass over one tenant, in one transaction on its own schema: lock the series'
 * states, read every closed bucket since they stopped, judge each with the series' model, store
 * the new states and whatever was flagged, each flagged bucket with its audit event. Returns the
 * anomalies it created. Data reads and inference numbers come through the audit and models ports,
 * asked as the detector for this tenant: a port that fails fails the pass (logged by the engine),
 * and the next pass catches up from the same position.
 */
export async function detectTenantAnomalies(scope: TenantScope, config: AnomalyDetectionConfig, ports: AnomalySourcePorts, now = new Date()): Promise<Anomaly[]> {
  const actor = detectorPrincipal(scope.tenant.id, scope.principal.requestId);
  return scope.transaction(async (manager) => {
    const reader = { manager, actor, ports };
    const states = await lockSeriesStates(manager, anomalyMetrics, now);
    const created: Anomaly[] = [];
    for (const source of sources) {
      const definitions = seriesDefinitions.filter((d) => d.source === source);
      const bucketMs = bucketMsOf(source, config);
      // Series of one source are always advanced together; the first one's position stands for all.
      const position = states.get(definitions[0]!.metric)?.evaluatedUntil ?? null;
      const window = evaluationWindow(position, position ? null : await firstDataOf(reader, source), now, bucketMs, config);
      if (!window) continue;
      const buckets = await readSource(reader, source, new Date(window.from), new Date(window.to), bucketMs);
      if (!buckets) continue; // the request metrics table does not exist in this schema
      for (const definition of definitions) {
        const state: SeriesState = states.get(definition.metric) ?? { metric: definition.metric, mean: 0, variance: 0, observations: 0, evaluatedUntil: null };
        const parameters = parametersOf(definition, config);
        for (let start = window.from; start < window.to; start += bucketMs) {
          const observed = definition.valueOf(buckets.get(start) ?? emptyBucket, config, bucketMs);
          if (observed === null) continue;
          const verdict = judge(state, observed, parameters);
          Object.assign(state, verdict.next);
          if (!verdict.anomalous) continue;
          const anomaly: Anomaly = {
            id: randomUUID(),
            metric: definition.metric,
            windowStart: new Date(start),
            windowEnd: new Date(start + bucketMs),
            observed,
            expected: verdict.expected,
            deviation: verdict.deviation,
            score: verdict.score,
            threshold: config.threshold,
            summary: `${definition.metric}: ${format(observed)} ${definition.unit} between ${new Date(start).toISOString()} and ${new Date(start + bucketMs).toISOString()}, expected ${format(verdict.expected)} ± ${format(verdict.deviation)} (score ${verdict.score.toFixed(1)}, threshold ${config.threshold}).`.slice(0, 500),
            detectedAt: now,
          };
          if (!(await insertAnomaly(manager, anomaly))) continue;
          await recordAnomalyEvent(manager, actor, anomaly);
          created.push(anomaly);
        }
        state.evaluatedUntil = new Date(window.to);
        await saveSeriesState(manager, state, now);
      }
    }
    return created;
  });
}
