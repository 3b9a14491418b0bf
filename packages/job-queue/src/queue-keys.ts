/**
 * Every Redis name the job system uses, in one place. All start with the deployment's key prefix
 * (REDIS_KEY_PREFIX; one per test file), so deployments and test runs sharing a Redis never meet.
 */

/**
 * Which workers may run a tenant's jobs: the shared pool of the tenant's region (data residency:
 * a job runs where its tenant's bytes are), or the tenant's own (dedicated tier; a tenant has one
 * region, so its pool is in that region).
 */
export type WorkerPool = { kind: 'shared'; region: string } | { kind: 'dedicated'; tenantId: string };

/** The shared pool of one region. */
export function sharedPool(region: string): WorkerPool {
  return { kind: 'shared', region };
}

export function poolOf(tenant: { id: string; tier: 'shared' | 'dedicated'; region: string }): WorkerPool {
  return tenant.tier === 'dedicated' ? { kind: 'dedicated', tenantId: tenant.id } : sharedPool(tenant.region);
}

export function poolName(pool: WorkerPool): string {
  return pool.kind === 'shared' ? `shared-${pool.region}` : `dedicated-${pool.tenantId}`;
}

/** One BullMQ queue per tenant (BullMQ forbids ':' in queue names). */
export function tenantQueueName(tenantId: string): string {
  return `jobs-${tenantId}`;
}

/** BullMQ job id of one submission of a job: retryJob re-enqueues the same job under a new id. */
export function queueJobId(jobId: string, submission: number): string {
  return `${jobId}.${submission}`;
}

export class JobQueueKeys {
  constructor(readonly prefix: string) {}

  /** Round-robin list of tenants with unfinished queue entries in a pool (+ its membership set). */
  ring(pool: WorkerPool): string {
    return `${this.prefix}:jobs:ring:${poolName(pool)}`;
  }

  ringMembers(pool: WorkerPool): string {
    return `${this.prefix}:jobs:ring-members:${poolName(pool)}`;
  }

  /** Running-slot leases of a tenant (concurrency limit), a sorted set scored by expiry. */
  leases(tenantId: string): string {
    return `${this.prefix}:jobs:leases:${tenantId}`;
  }

  /**
   * The slots each live worker of a pool announced (a hash: instance id → `<slots>:<expiresAtMs>`),
   * refreshed while the worker runs, so a pool's size is known without asking the workers.
   */
  poolSlots(pool: WorkerPool): string {
    return `${this.prefix}:jobs:pool-slots:${poolName(pool)}`;
  }

  /**
   * The pool's slots in use: every tenant lease taken in the pool, by the same holder and expiry,
   * so `poolSlots` minus this is the pool's free slots. Holders only: no tenant id.
   */
  poolBusy(pool: WorkerPool): string {
    return `${this.prefix}:jobs:pool-busy:${poolName(pool)}`;
  }

  /** Pub/sub channel that wakes idle workers of a pool when a job is enqueued. */
  wakeChannel(pool: WorkerPool): string {
    return `${this.prefix}:jobs:wake:${poolName(pool)}`;
  }

  /**
   * A key of a tenant's BullMQ queue (`wait`, `active`, `stalled`, `stalled-check`, or a job id for
   * its hash; `<id>:lock` for its lock), as BullMQ names them under the same prefix.
   */
  tenantQueue(tenantId: string, part: string): string {
    return `${this.prefix}:${tenantQueueName(tenantId)}:${part}`;
  }

  /**
   * A pool's start counter: the order its jobs started in, without trusting clocks. The shared
   * pools count on one key (its name predates dedicated pools); a dedicated tenant's workers on
   * their own, so their Redis user reaches no counter of other tenants' starts (reading it would
   * tell how many jobs they start, writing a value INCR refuses would stop every shared claim).
   */
  startSequence(pool: WorkerPool): string {
    return pool.kind === 'shared' ? `${this.prefix}:jobs:start-seq` : `${this.prefix}:jobs:start-seq:${poolName(pool)}`;
  }
}
