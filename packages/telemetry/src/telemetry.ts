import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

export type TracingExporterKind = 'otlp' | 'console' | 'none' | 'memory';

export interface TelemetryOptions {
  serviceName: string;
  exporter: TracingExporterKind;
  /** Base URL of an OTLP/HTTP collector (Jaeger all-in-one listens on :4318). */
  otlpEndpoint?: string | undefined;
  /** CA certificate file the collector's certificate is checked against (an https:// endpoint of a private CA). */
  otlpCaFile?: string | undefined;
}

export interface Telemetry {
  /** Only for `exporter: 'memory'` (tests): the spans finished so far. */
  memoryExporter: InMemorySpanExporter | undefined;
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/**
 * Starts the OpenTelemetry SDK once per process (the dev launcher and the test harness run
 * several services in one process; they share one provider and tell services apart by tracer
 * name and the `tessera.service` attribute). The SDK registers the W3C trace-context propagator
 * and an AsyncLocalStorage context manager, which is what carries a trace gateway → subgraph.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (running) return running;
  if (options.exporter === 'none') {
    // No exporter: nothing would ever read a span, so no SDK at all. @opentelemetry/api stays
    // no-op: no span objects, no W3C headers injected, and no AsyncLocalStorage context manager,
    // whose promise hooks alone cost the gateway tens of µs per request (bench/gateway-profile.ts).
    // Audit events then carry no trace id: there is no trace to look up.
    running = { memoryExporter: undefined, shutdown: async () => void (running = undefined) };
    return running;
  }
  // Loaded only when there is an exporter: the SDK's modules are a large part of a process's start-up
  // (a worker process with TRACING_EXPORTER=none spent about a third of its start loading them).
  if (options.exporter === 'memory') {
    const { startInMemoryTracing } = require('./in-memory-tracing') as typeof import('./in-memory-tracing');
    running = startInMemoryTracing(options, () => void (running = undefined));
    return running;
  }
  const { startSdk } = require('./sdk') as typeof import('./sdk');
  running = startSdk(options, () => void (running = undefined));
  return running;
}
