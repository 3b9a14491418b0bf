import type { AddressInfo } from 'node:net';
import type { Logger } from '@tessera/config';
import { InferencePools } from '@tessera/inference';
import { openRedis, poolName, readRingSignals, sharedPool, type WorkerPool } from '@tessera/job-queue';
import { createTenantChangeListener } from '@tessera/service-kit';
import { FairScheduler } from './fair-scheduler';
import { startHealthServer } from './health-server';
import { JobRunner } from './job-runner';
import { createProcessors } from './processors';
import { TenantConsumers } from './tenant-consumers';
import type { WorkerConfig } from './worker-environment';
import { createWorkerRuntime } from './worker-runtime';

export interface RunningWorker {
  pool: WorkerPool;
  /** The health port, when one was asked for. */
  healthPort: number | undefined;
  /** Stops taking jobs, lets running ones finish for up to `graceMs`, closes every connection. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A worker process's job loop: the fair scheduler over its pool's tenant queues, running jobs with
 * the processors of each kind. Scale out by starting more of these anywhere that reaches the same
 * Redis, MySQL and object store; a dedicated-tier tenant's jobs run only on workers started for it,
 * and every tenant's jobs only on workers of its region.
 */
export async function startWorker(config: WorkerConfig, logger: Logger): Promise<RunningWorker> {
  const runtime = await createWorkerRuntime(config, logger);
  const pool: WorkerPool = config.dedicatedTenant ? { kind: 'dedicated', tenantId: config.dedicatedTenant } : sharedPool(config.region!);
  const redis = openRedis(config.redis, `worker:${poolName(pool)}`, 'blocking');
  const subscriber = openRedis(config.redis, `worker-wake:${poolName(pool)}`, 'subscriber');
  let runner: JobRunner | undefined;
  const consumers = new TenantConsumers(redis, {
    prefix: config.redis.keyPrefix,
    lockMs: config.lockMs,
    stalledIntervalMs: config.stalledIntervalMs,
    onStalledOut: (tenantId, job) => {
      void runner?.endLost(tenantId, job).catch((error: unknown) => logger.warn('could not end a job whose workers kept dying', { tenantId, error: error instanceof Error ? error.message : String(error) }));
    },
  });
  const inference = new InferencePools(config.inference, logger);
  const processors = createProcessors({ inference, ports: runtime.ports, maxBatchPredictionValues: config.maxBatchPredictionValues });
  const scheduler = new FairScheduler(runtime, pool, config.region, redis, subscriber, consumers, (leases) => (runner = new JobRunner(runtime, redis, leases, processors, pool)));
  // The scheduler decides from the cached tenant record whether a tenant's jobs may start (status,
  // tier, region) and on how many slots (limits): the tenants service's announcements drop it as
  // they do in every service, so a suspension or a tier or limit change bites at the next pick, not
  // after TENANT_CACHE_TTL_MS. The record is all the state that hangs on them: the next pick reads
  // it again. Subscribed before the first pick, so no change made after the worker is ready is missed.
  // A dedicated worker hears its own tenant's channel only (its Redis user has no other).
  const tenantChanges = createTenantChangeListener({ redis: config.redis, directory: runtime.directory, logger, onlyTenant: config.dedicatedTenant });
  await tenantChanges.start();
  await scheduler.start(config.concurrency);
  const health = config.healthPort === undefined ? undefined : await startHealthServer(config.healthPort, config.host, runtime.db, redis, () => readRingSignals(redis, config.redis.keyPrefix, pool));
  logger.info('worker started', { pool: poolName(pool), region: config.region ?? 'the dedicated tenant\'s', concurrency: config.concurrency });
  return {
    pool,
    healthPort: health ? (health.address() as AddressInfo).port : undefined,
    stop: async (graceMs = 10_000) => {
      await scheduler.stop(graceMs);
      await tenantChanges.close();
      await consumers.close();
      await inference.close().catch(() => undefined);
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
      await Promise.all([redis, subscriber].map((c) => c.quit().catch(() => c.disconnect())));
      await runtime.close();
    },
  };
}
