/**
 * A worker process: `tessera worker [--dedicated <tenant>]` (or `tsx workers/src/main.ts`).
 * Configuration from the environment (WORKER_*, DATABASE_URL, REDIS_*, the port URLs, SERVICE_KEY
 * and TLS_*; no object-store key and no master key). Prints one JSON line `{"ready":true,...}` on stdout once it takes jobs
 * (the test harness and `npm start` wait for it); SIGTERM/SIGINT stop it cleanly.
 */
import { ConfigError, createLogger, exitOnUnhandledErrors } from '@tessera/config';
import { poolName } from '@tessera/job-queue';
import { startTelemetry } from '@tessera/telemetry';
import { startWorker } from './start-worker';
import { readWorkerEnvironment } from './worker-environment';

export async function runWorkerMain(argv: readonly string[]): Promise<void> {
  const config = readWorkerEnvironment(process.env, argv);
  const telemetry = startTelemetry({ serviceName: 'tessera-worker', exporter: config.tracing.exporter, otlpEndpoint: config.tracing.otlpEndpoint, otlpCaFile: config.tracing.otlpCaFile });
  const logger = createLogger(config.logLevel, { service: 'worker' });
  const worker = await startWorker(config, logger);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, pool: poolName(worker.pool), healthPort: worker.healthPort ?? null })}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Spans still buffered are exported before the process ends.
    void worker
      .stop()
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  exitOnUnhandledErrors({ service: 'worker' });
  runWorkerMain(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
