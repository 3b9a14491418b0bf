export { startTelemetry, type Telemetry, type TelemetryOptions, type TracingExporterKind } from './telemetry';
export * from './spans';
