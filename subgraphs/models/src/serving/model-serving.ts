import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, RedisConfig } from '@tessera/config';
import { InferencePools, type InferencePoolsOptionsInput } from '@tessera/inference';
import type { BudgetGuard, UsageRecorder } from '@tessera/metering';
import type { TenantKeyring, TenantScopeFactory, TenantStore } from '@tessera/tenancy';
import type { ServingTarget } from '../domain/serving-target';
import { TenantErasureListener } from './tenant-erasure-listener';
import { InferenceStatsRecorder, type InferenceStatsOptions } from './inference-stats.recorder';
import { ModelResolutionCache, type ModelResolutionCacheOptions } from './model-resolution-cache';
import { PredictionsInFlightSync } from './predictions-in-flight-sync';
import { PredictionsPerMinute } from './predictions-per-minute';
import { ServingGenerations } from './serving-generations';

/**
 * What a process hosting the models subgraph holds for inference: ONE set of tenant inference
 * pools (child processes per tenant; dedicated-tier tenants alone in theirs) and the stats
 * recorder. Created by whoever starts the process, handed to the subgraph, closed on stop.
 */
export interface ModelServing {
  pools: InferencePools;
  stats: InferenceStatsRecorder;
  /** The tenants' `predictionsPerMinute`, counted in Redis across replicas. */
  predictionsPerMinute: PredictionsPerMinute;
  /** Exchanges the tenants' predictions in flight with the other replicas, for `maxPredictionsInFlight`. */
  predictionsInFlight: PredictionsInFlightSync;
  /** The tenants' month-to-date usage against their budgets (predict checks `inferenceMs`). */
  budgets: BudgetGuard;
  /** What predict handles resolved to, per tenant, checked against the serving generation on every use. */
  resolutions: ModelResolutionCache<ServingTarget>;
  /** Moves a tenant's serving generation after a change that predict must see (alias, version, model, serving settings). */
  generations: ServingGenerations;
  close(): Promise<void>;
}

export interface ModelServingOptions {
  pools?: InferencePoolsOptionsInput;
  stats?: Partial<InferenceStatsOptions>;
  /** The clock of the per-minute prediction counters (tests pin it so no minute boundary falls inside a test). */
  quotaClock?: () => number;
  /** How often replicas exchange their predictions in flight (default 250 ms). */
  inFlightSyncIntervalMs?: number;
  /** Bounds of the resolution cache (defaults: 1 000 tenants, 256 handles each, 60 s). */
  resolutionCache?: Partial<ModelResolutionCacheOptions>;
  /**
   * The database time one read of the inference numbers may take (default `maxInferenceReadSeconds`,
   * 10 s); read by the models port, not by serving. Tests that must reach the limit shorten it.
   */
  inferenceReadSeconds?: number;
}

export function createModelServing(
  deps: {
    scopes: TenantScopeFactory;
    logger: Logger;
    config: { redis: RedisConfig };
    usage: UsageRecorder;
    budgets: BudgetGuard;
    /** The process's unwrapped data keys and the control plane's tenants: an erased tenant is dropped from both views. */
    keyring: Pick<TenantKeyring, 'forget'>;
    tenants: Pick<TenantStore, 'find'>;
  },
  options: ModelServingOptions = {},
): ModelServing {
  const pools = new InferencePools(options.pools ?? {}, deps.logger.child({ component: 'inference' }));
  const resolutions = new ModelResolutionCache<ServingTarget>({ maxTenants: 1_000, maxEntriesPerTenant: 256, maxAgeMs: 60_000, ...options.resolutionCache });
  // An erased tenant's processes, sessions, model files and keys go from every replica when the tenants service announces it.
  const erasures = new TenantErasureListener(
    {
      tenantIds: () => pools.tenantIds(),
      forgetTenant: async (tenantId) => {
        deps.keyring.forget(tenantId);
        resolutions.forgetTenant(tenantId);
        await pools.forgetTenant(tenantId);
      },
      exists: async (tenantId) => (await deps.tenants.find(tenantId)) !== undefined,
    },
    deps.config.redis,
    deps.logger.child({ component: 'tenant-erasure' }),
  );
  const listening = erasures.start();
  // Every answered call adds its share of the run to its tenant's inferenceMs (pools are per tenant).
  const stopMetering = pools.onRecord((record) => deps.usage.add(record.tenantId, 'inferenceMs', record.computeMs));
  const stats = new InferenceStatsRecorder(deps.scopes, deps.logger.child({ component: 'inference-stats' }), {
    ...options.stats,
    flushIntervalMs: options.stats?.flushIntervalMs ?? 5_000,
    maxRetryAgeMs: options.stats?.maxRetryAgeMs ?? 10 * 60_000,
    // One directory per deployment (key prefix) under the base: a process replays only its own platform's logs.
    logDirectory: options.stats?.logDirectory === false ? false : join(options.stats?.logDirectory ?? join(tmpdir(), 'tessera-prediction-log'), deps.config.redis.keyPrefix),
  });
  const predictionsPerMinute = new PredictionsPerMinute({
    redis: deps.config.redis,
    logger: deps.logger.child({ component: 'prediction-quotas' }),
    ...(options.quotaClock ? { now: options.quotaClock } : {}),
  });
  const predictionsInFlight = new PredictionsInFlightSync(pools, {
    redis: deps.config.redis,
    logger: deps.logger.child({ component: 'prediction-quotas' }),
    ...(options.inFlightSyncIntervalMs ? { intervalMs: options.inFlightSyncIntervalMs } : {}),
  });
  predictionsInFlight.start();
  const generations = new ServingGenerations({ redis: deps.config.redis, logger: deps.logger.child({ component: 'serving-generations' }) });
  return {
    pools,
    stats,
    predictionsPerMinute,
    predictionsInFlight,
    budgets: deps.budgets,
    resolutions,
    generations,
    close: async () => {
      await listening;
      await erasures.close();
      // Stats first: the pools' in-flight calls have been answered by the time servers stop.
      await stats.close();
      await pools.close();
      stopMetering(); // after the pools: the last answered calls are metered too
      // After the pools: every call is answered, so this replica's last report is zero.
      await predictionsInFlight.close();
      await predictionsPerMinute.close();
      await generations.close();
    },
  };
}
