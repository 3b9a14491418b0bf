import type { Logger } from '@tessera/config';
import { inferenceOptionsFromEnvironment, InferencePools, type InferencePoolsOptionsInput } from '@tessera/inference';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { InferenceStatsRecorder, type InferenceStatsOptions } from './inference-stats.recorder';

/**
 * What a process hosting the models subgraph holds for inference: ONE set of tenant inference
 * pools (child processes per tenant; dedicated-tier tenants alone in theirs) and the stats
 * recorder. Created by whoever starts the process, handed to the subgraph, closed on stop.
 */
export interface ModelServing {
  pools: InferencePools;
  stats: InferenceStatsRecorder;
  close(): Promise<void>;
}

export interface ModelServingOptions {
  pools?: InferencePoolsOptionsInput;
  stats?: Partial<InferenceStatsOptions>;
}

export function createModelServing(deps: { scopes: TenantScopeFactory; logger: Logger }, options: ModelServingOptions = {}): ModelServing {
  const pools = new InferencePools(options.pools ?? {}, deps.logger.child({ component: 'inference' }));
  const stats = new InferenceStatsRecorder(deps.scopes, deps.logger.child({ component: 'inference-stats' }), {
    flushIntervalMs: options.stats?.flushIntervalMs ?? 5_000,
    maxRetryAgeMs: options.stats?.maxRetryAgeMs ?? 10 * 60_000,
  });
  return {
    pools,
    stats,
    close: async () => {
      // Stats first: the pools' in-flight calls have been answered by the time servers stop.
      await stats.close();
      await pools.close();
    },
  };
}

/** For `tessera models`: the INFERENCE_* variables (see the inference package's README table). */
export function modelServingOptionsFromEnvironment(env: NodeJS.ProcessEnv): ModelServingOptions {
  return { pools: inferenceOptionsFromEnvironment(env) };
}
