import type { TenantInferenceLimits } from '@tessera/inference';
import type { TenantLimits } from '@tessera/tenancy';

/** The inference pools' view of a tenant's limits (the names differ: the pools know nothing of tenants' records). */
export function inferenceLimitsOf(limits: TenantLimits): TenantInferenceLimits {
  return {
    maxInFlight: limits.maxPredictionsInFlight,
    maxQueued: limits.maxQueuedPredictions,
    processes: limits.inferenceProcesses,
    intraOpNumThreads: limits.inferenceThreads,
    processMemoryMb: limits.inferenceProcessMemoryMb,
  };
}
