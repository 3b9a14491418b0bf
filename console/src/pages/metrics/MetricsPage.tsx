import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { TimeChart } from '../../ui/charts';
import { ErrorMessage, Loading, formatBytes } from '../../ui/components';
import { InferenceStatsQuery, MetricsModelsQuery, MetricsQuery } from './operations';
import type { AnomalyMetric, MetricGranularity } from '../../generated/graphql';

const windows: Record<MetricGranularity, number> = { MINUTE: 60 * 60_000, HOUR: 24 * 60 * 60_000 };

function label(iso: string, granularity: MetricGranularity): string {
  const date = new Date(iso);
  return granularity === 'MINUTE' ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleString([], { day: '2-digit', hour: '2-digit' });
}

export function MetricsPage() {
  const [granularity, setGranularity] = useState<MetricGranularity>('MINUTE');
  // The window is fixed when the granularity is chosen, so the query is stable between renders.
  const range = useMemo(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - windows[granularity]).toISOString(), to: to.toISOString() };
  }, [granularity]);
  const [{ data, fetching, error }] = useQuery({ query: MetricsQuery, variables: { ...range, granularity } });
  const points = (data?.requestMetrics.points ?? []).map((point) => ({ at: label(point.start, granularity), requests: point.requests, errors: point.errors, p95: point.latencyP95Ms ?? null, p50: point.latencyP50Ms ?? null }));
  const anomaliesOf = (metrics: AnomalyMetric[], key: 'requests' | 'errors' | 'p95') =>
    (data?.anomalies ?? []).filter((anomaly) => metrics.includes(anomaly.metric)).map((anomaly) => {
      const at = label(anomaly.windowStart, granularity);
      const point = points.find((candidate) => candidate.at === at);
      return { x: at, y: Number(point?.[key] ?? anomaly.observed), label: anomaly.summary };
    });
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <div className="toolbar" role="group" aria-label="Granularity">
        <button type="button" aria-pressed={granularity === 'MINUTE'} onClick={() => setGranularity('MINUTE')}>Per minute (last hour)</button>
        <button type="button" aria-pressed={granularity === 'HOUR'} onClick={() => setGranularity('HOUR')}>Per hour (last day)</button>
      </div>
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="metrics" /> : null}
      {data ? (
        <>
          <p>{data.requestMetrics.total.requests} requests, {data.requestMetrics.total.errors} errors ({(data.requestMetrics.total.errorRate * 100).toFixed(1)}%), p95 {data.requestMetrics.total.latencyP95Ms?.toFixed(1) ?? '—'} ms.</p>
          <TimeChart title="Requests" data={points} xKey="at" series={[{ key: 'requests', label: 'requests', color: '#1d4ed8' }]} marks={anomaliesOf(['REQUEST_RATE'], 'requests')} />
          <TimeChart title="Errors" data={points} xKey="at" series={[{ key: 'errors', label: 'errors', color: '#b91c1c' }]} marks={anomaliesOf(['ERROR_RATE'], 'errors')} />
          <TimeChart title="Latency (ms)" data={points} xKey="at" series={[{ key: 'p50', label: 'p50', color: '#047857' }, { key: 'p95', label: 'p95', color: '#7c3aed' }]} marks={anomaliesOf(['LATENCY_P95'], 'p95')} />
          <h2>Training</h2>
          <p>{data.trainingMetrics.jobs} jobs: {data.trainingMetrics.succeeded} succeeded, {data.trainingMetrics.failed} failed, {data.trainingMetrics.cancelled} cancelled, {data.trainingMetrics.active} active. Mean duration {data.trainingMetrics.meanDurationMs ? `${(data.trainingMetrics.meanDurationMs / 1000).toFixed(1)} s` : '—'}.</p>
          <InferenceStats range={range} granularity={granularity} />
          <h2>Usage against quotas</h2>
          <p>{data.tenantUsage.datasets} datasets ({data.tenantUsage.datasetVersions} versions), {data.tenantUsage.models} models, {data.tenantUsage.jobs} jobs, {formatBytes(data.tenantUsage.storedBytes)} stored.</p>
          <table aria-label="Quotas">
            <thead><tr><th scope="col">Quota</th><th scope="col">Used</th><th scope="col">Limit</th><th scope="col">Use</th></tr></thead>
            <tbody>
              {data.tenantUsage.quotas.map((quota) => (
                <tr key={quota.name}>
                  <td>{quota.name}{quota.windowSeconds ? <span className="muted"> (per {quota.windowSeconds} s)</span> : null}</td>
                  <td>{quota.used}{quota.reserved ? ` (+${quota.reserved} reserved)` : ''}</td><td>{quota.limit}</td>
                  <td><meter min={0} max={quota.limit || 1} value={quota.used + quota.reserved} low={(quota.limit || 1) * 0.7} high={(quota.limit || 1) * 0.9} aria-label={`${quota.name} use`} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

// The same granularity as the charts above: a day of a busy model per minute is more than one answer carries.
function InferenceStats({ range, granularity }: { range: { from: string; to: string }; granularity: MetricGranularity }) {
  const [{ data: models }] = useQuery({ query: MetricsModelsQuery });
  const [modelId, setModelId] = useState('');
  const chosen = modelId || models?.models.edges[0]?.node.id || '';
  const [{ data, error }] = useQuery({ query: InferenceStatsQuery, variables: { modelId: chosen, ...range, granularity }, pause: !chosen });
  const minutes = (data?.inferenceStats.minutes ?? []).map((minute) => ({ at: label(minute.minute, granularity), calls: minute.calls, latency: minute.meanLatencyMs }));
  return (
    <>
      <h2>Inference</h2>
      {models && models.models.edges.length === 0 ? <p>No models yet.</p> : (
        <div className="toolbar">
          <label htmlFor="inference-model">Model</label>
          <select id="inference-model" value={chosen} onChange={(event) => setModelId(event.target.value)}>
            {(models?.models.edges ?? []).map(({ node }) => <option key={node.id} value={node.id}>{node.name}</option>)}
          </select>
        </div>
      )}
      <ErrorMessage error={error} />
      {data ? (
        <>
          <p>{data.inferenceStats.calls} calls ({data.inferenceStats.rows} rows), {data.inferenceStats.errors} errors, mean latency {data.inferenceStats.meanLatencyMs.toFixed(1)} ms (max {data.inferenceStats.maxLatencyMs.toFixed(1)}), mean batch {data.inferenceStats.meanBatchSize.toFixed(1)}.</p>
          <TimeChart title={granularity === 'HOUR' ? 'Predictions per hour' : 'Predictions per minute'} data={minutes} xKey="at" series={[{ key: 'calls', label: 'calls', color: '#1d4ed8' }, { key: 'latency', label: 'mean latency (ms)', color: '#7c3aed' }]} />
        </>
      ) : null}
    </>
  );
}
