import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Telemetry, TelemetryOptions } from './telemetry';

/**
 * Tracing into memory, for the test harness: the same global registrations NodeSDK makes for traces
 * (a tracer provider, the AsyncLocalStorage context manager, the W3C trace-context and baggage
 * propagators), without the SDK's entry module, which loads every OTLP, Prometheus and Zipkin
 * exporter for traces, metrics and logs: about a second of CPU in each test file for modules a
 * memory exporter never uses. Off-process exporters go through NodeSDK (`./sdk`).
 */
export function startInMemoryTracing(options: TelemetryOptions, onShutdown: () => void): Telemetry {
  const memoryExporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors: [new SimpleSpanProcessor(memoryExporter)],
  });
  provider.register();
  return {
    memoryExporter,
    shutdown: async () => {
      onShutdown();
      await provider.shutdown();
    },
  };
}
