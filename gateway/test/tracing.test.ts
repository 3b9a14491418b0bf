import { SpanKind } from '@opentelemetry/api';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { sleep } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

type FinishedSpan = ReturnType<NonNullable<ReturnType<typeof startTelemetry>['memoryExporter']>['getFinishedSpans']>[number];

const serviceOf = (span: FinishedSpan) => span.attributes['tessera.service'];
const isServerSpanOf = (service: string) => (span: FinishedSpan) => span.kind === SpanKind.SERVER && serviceOf(span) === service;

describe('tracing gateway → subgraph', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('one query gives one trace: gateway server span → … → datasets server span, both tagged with the tenant', async () => {
    // The harness started telemetry with the in-memory exporter; asking again returns that same instance.
    const exporter = startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' }).memoryExporter;
    if (!exporter) throw new Error('the test harness did not install the in-memory span exporter');
    const token = await acme.token('viewer');
    exporter.reset();

    const res = await stack.query(token, '{ datasets { edges { node { id } } } }');
    expect(expectNoErrors(res)).toEqual({ datasets: { edges: [] } });

    // Server spans end on the response's 'finish' event, which may come just after the client has the body.
    let spans: FinishedSpan[] = [];
    for (let attempt = 0; attempt < 250; attempt++) {
      spans = exporter.getFinishedSpans();
      if (spans.some(isServerSpanOf('gateway')) && spans.some(isServerSpanOf('datasets'))) break;
      await sleep(20);
    }
    const gatewaySpans = spans.filter(isServerSpanOf('gateway'));
    const datasetsSpans = spans.filter(isServerSpanOf('datasets'));
    expect(gatewaySpans).toHaveLength(1);
    expect(datasetsSpans).toHaveLength(1);
    const gatewaySpan = gatewaySpans[0]!;
    const datasetsSpan = datasetsSpans[0]!;

    expect(datasetsSpan.spanContext().traceId).toBe(gatewaySpan.spanContext().traceId);

    // Walk the subgraph span's parents; the chain must reach the gateway's server span.
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const chain: string[] = [];
    let current: FinishedSpan | undefined = datasetsSpan;
    while (current && current !== gatewaySpan) {
      chain.push(current.name);
      const parentId: string | undefined = current.parentSpanContext?.spanId;
      current = parentId ? byId.get(parentId) : undefined;
    }
    expect(current === gatewaySpan ? 'reached the gateway server span' : `chain broken after: ${chain.join(' <- ')}`).toBe('reached the gateway server span');
    expect(gatewaySpan.parentSpanContext).toBeUndefined();

    expect(gatewaySpan.attributes['tessera.tenant_id']).toBe(acme.id);
    expect(datasetsSpan.attributes['tessera.tenant_id']).toBe(acme.id);
  });
});
