import { availableParallelism } from 'node:os';
import type { InferencePools, TenantInferenceLimits } from '@tessera/inference';
import type { TenantRecord } from '@tessera/tenancy';

/**
 * The inference pools' view of a tenant's limits (the names differ: the pools know nothing of
 * tenants' records). Processes and threads the tenant has no override for follow its tier's pool
 * settings (INFERENCE_SHARED_PROCESSES / INFERENCE_DEDICATED_PROCESSES, all cores per run for a
 * dedicated pool), so a dedicated tenant keeps the capacity its tier pays for by default.
 */
export function inferenceLimitsOf(tenant: Pick<TenantRecord, 'tier' | 'limits' | 'limitOverrides'>, pools: Pick<InferencePools, 'options'>): TenantInferenceLimits {
  const tier = pools.options[tenant.tier];
  return {
    maxInFlight: tenant.limits.maxPredictionsInFlight,
    maxQueued: tenant.limits.maxQueuedPredictions,
    processes: tenant.limitOverrides.inferenceProcesses ?? tier.processes,
    intraOpNumThreads: tenant.limitOverrides.inferenceThreads ?? (tier.intraOpNumThreads || availableParallelism()),
    processMemoryMb: tenant.limits.inferenceProcessMemoryMb,
  };
}
