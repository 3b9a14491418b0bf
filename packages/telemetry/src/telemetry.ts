import { readFileSync } from 'node:fs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

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
  const memoryExporter = options.exporter === 'memory' ? new InMemorySpanExporter() : undefined;
  const spanProcessors: SpanProcessor[] = [];
  if (memoryExporter) spanProcessors.push(new SimpleSpanProcessor(memoryExporter));
  if (options.exporter === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  if (options.exporter === 'otlp') {
    const base = (options.otlpEndpoint ?? 'http://127.0.0.1:4318').replace(/\/$/, '');
    // Spans leave the process over TLS like every other hop; a private CA is named, never trusted globally.
    const httpAgentOptions = options.otlpCaFile ? { ca: readFileSync(options.otlpCaFile, 'utf8') } : undefined;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, ...(httpAgentOptions ? { httpAgentOptions } : {}) })));
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors,
    instrumentations: [],
    // Resource detectors probe cloud metadata endpoints; there are none here and the probes cost start-up time.
    resourceDetectors: [],
  });
  sdk.start();
  running = {
    memoryExporter,
    shutdown: async () => {
      running = undefined;
      await sdk.shutdown();
    },
  };
  return running;
}
