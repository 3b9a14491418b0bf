import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, postGraphQL, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearCsv, submitProfile, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/** The parts of an OTLP/HTTP JSON export this test reads. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : String(value.intValue));
};

/**
 * A job's run is part of the trace of the request that submitted it: client → gateway → jobs
 * subgraph (in this process, memory exporter) → Redis queue → worker process, whose spans reach
 * a real OTLP/HTTP endpoint (this test's receiver stands where Jaeger's :4318 would).
 */
describe('jobs: worker runs are traced', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let receiver: Server;
  const exported: Array<{ service: string | undefined; span: OtlpSpan }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
          for (const resource of body.resourceSpans ?? []) {
            const service = resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
            for (const scope of resource.scopeSpans ?? []) for (const span of scope.spans ?? []) exported.push({ service, span });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    stack = await startTestStack({
      workers: 1,
      // Export after 100 ms instead of the default 5 s batching delay.
      workerOptions: { env: { TRACING_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' } },
    });
    acme = await stack.createTenant();
  });
  afterAll(async () => {
    await stack?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('the run span continues the submitting request\'s trace, with tenant, job, kind and outcome', async () => {
    const scientist = await acme.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'traced', linearCsv(40));
    // The client starts the trace (as a browser with OpenTelemetry would): the gateway continues it.
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const submitted = await postGraphQL<{ submitProfileJob: JobView }>(stack.graphqlUrl, scientist, submitProfile, { input: { datasetVersionId: versionId } }, {
      traceparent: `00-${traceId}-${clientSpanId}-01`,
    });
    const job = expectNoErrors(submitted).submitProfileJob;
    await waitForStatus(stack, scientist, job.id, ['SUCCEEDED']);

    const runSpan = () => exported.find((e) => e.span.name === 'job run' && attribute(e.span, 'tessera.job.id') === job.id);
    await waitUntil(async () => runSpan() !== undefined, 'the worker to export its run span', 30_000);
    const { service, span } = runSpan()!;
    expect(service).toBe('tessera-worker');
    expect(span.traceId).toBe(traceId);
    expect(span.kind).toBe(5); // CONSUMER
    expect(attribute(span, 'tessera.tenant_id')).toBe(acme.id);
    expect(attribute(span, 'tessera.job.kind')).toBe('PROFILE');
    expect(attribute(span, 'tessera.job.outcome')).toBe('SUCCEEDED');
    expect(span.status?.code ?? 0).not.toBe(2); // not ERROR

    // Its parent is the jobs subgraph's span for the submitting request, in the same trace.
    // The test stack's services share this process's telemetry (memory exporter).
    const inProcess = startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' }).memoryExporter!.getFinishedSpans();
    const parent = inProcess.find((s) => s.spanContext().spanId === span.parentSpanId);
    expect(parent?.spanContext().traceId).toBe(traceId);
    expect(parent?.attributes['tessera.service']).toBe('jobs');
  });

  it('another tenant\'s run is in its own trace, never in the first tenant\'s', async () => {
    const globex = await stack.createTenant();
    const scientist = await globex.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'untraced', linearCsv(20));
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    await waitForStatus(stack, scientist, job.id, ['SUCCEEDED']);
    await waitUntil(async () => exported.some((e) => attribute(e.span, 'tessera.job.id') === job.id), 'the second run span', 30_000);
    const spans = exported.filter((e) => attribute(e.span, 'tessera.job.id') === job.id).map((e) => e.span);
    expect(spans.map((s) => attribute(s, 'tessera.tenant_id'))).toEqual([globex.id]);
    const acmeTraces = new Set(exported.filter((e) => attribute(e.span, 'tessera.tenant_id') === acme.id).map((e) => e.span.traceId));
    expect(acmeTraces.has(spans[0]!.traceId)).toBe(false);
  });
});
