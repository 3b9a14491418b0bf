import { readFileSync } from 'node:fs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Telemetry, TelemetryOptions } from './telemetry';

/** Starts the OpenTelemetry SDK with the exporter `options` names ('otlp' or 'console'). */
export function startSdk(options: TelemetryOptions, onShutdown: () => void): Telemetry {
  const spanProcessors: SpanProcessor[] = [];
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
  return {
    memoryExporter: undefined,
    shutdown: async () => {
      onShutdown();
      await sdk.shutdown();
    },
  };
}
