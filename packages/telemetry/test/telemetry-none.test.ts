import { context, propagation, trace } from '@opentelemetry/api';
import { extractTraceContext, injectTraceHeaders, startTelemetry } from '../src';

/**
 * TRACING_EXPORTER=none starts no SDK: spans are no-ops, nothing is injected into outgoing
 * headers, and no context manager runs (its AsyncLocalStorage promise hooks cost every request).
 * (Jest gives each test file its own globals, so this file's OpenTelemetry state is its own.)
 */
describe('telemetry with exporter none', () => {
  const telemetry = startTelemetry({ serviceName: 'tessera-test', exporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('records nothing, propagates nothing and registers no context manager', async () => {
    expect(telemetry.memoryExporter).toBeUndefined();
    const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const headers = trace.getTracer('t').startActiveSpan('request', {}, extractTraceContext(incoming), (span) => {
      expect(span.isRecording()).toBe(false);
      const injected = injectTraceHeaders({});
      span.end();
      return injected;
    });
    expect(headers).toEqual({});
    // No context manager: a value set in a context is not visible inside `with` (the no-op manager ignores it).
    const key = Symbol('k');
    expect(context.with(context.active().setValue(key, 1), () => context.active().getValue(key))).toBeUndefined();
    expect(propagation.fields()).toEqual([]);
  });

  it('is started once: a later call (e.g. the test harness asking for memory) gets the same no-op telemetry', () => {
    expect(startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' })).toBe(telemetry);
  });
});
