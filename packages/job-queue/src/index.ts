export { JobQueues, type QueueCounts } from './job-queues';
export { TenantRing } from './tenant-ring';
export { TenantLeases, countLiveLeases, type LeaseOutcome, type PoolHeadroom } from './tenant-leases';
export { PoolSlots, keepsHeadroom } from './pool-slots';
export { openRedis } from './redis-connection';
export { defaultRetryPolicy, type JobMessage, type RetryPolicy } from './job-message';
export { JobQueueKeys, poolOf, poolName, queueJobId, sharedPool, tenantQueueName, type WorkerPool } from './queue-keys';
export { readRingSignals, type RingSignals } from './ring-signals';
export { releaseRunsOfDeadWorker, type ReleasedRuns } from './dead-worker-runs';
