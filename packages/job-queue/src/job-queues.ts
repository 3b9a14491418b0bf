import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisConfig } from '@tessera/config';
import { defaultRetryPolicy, type JobMessage, type RetryPolicy } from './job-message';
import { JobQueueKeys, poolOf, queueJobId, tenantQueueName, type WorkerPool } from './queue-keys';
import { openRedis } from './redis-connection';
import { TenantRing } from './tenant-ring';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/**
 * The producer side, used by the jobs subgraph: one BullMQ queue per tenant, all over one Redis
 * connection (a Queue object costs no socket of its own when given a connection instance).
 */
export class JobQueues {
  private connection: Redis | undefined;
  private readonly queues = new Map<string, Queue<JobMessage>>();
  private readonly keys: JobQueueKeys;

  constructor(
    private readonly config: RedisConfig,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {
    this.keys = new JobQueueKeys(config.keyPrefix);
  }

  private redis(): Redis {
    this.connection ??= openRedis(this.config, 'job-producer', 'request');
    return this.connection;
  }

  queueFor(tenantId: string): Queue<JobMessage> {
    let queue = this.queues.get(tenantId);
    if (!queue) {
      queue = new Queue<JobMessage>(tenantQueueName(tenantId), { connection: this.redis(), prefix: this.config.keyPrefix });
      queue.on('error', () => undefined);
      this.queues.set(tenantId, queue);
    }
    return queue;
  }

  /**
   * Adds one submission of a job to its tenant's queue, then makes sure the tenant is in its
   * pool's ring (in that order: see TenantRing), then wakes idle workers. The pool is of the
   * tenant's region: only that region's workers read its ring. Idempotent per
   * (job, submission): BullMQ ignores a second add with the same job id.
   */
  async enqueue(tenant: { id: string; tier: 'shared' | 'dedicated'; region: string }, message: JobMessage): Promise<void> {
    const options: JobsOptions = {
      jobId: queueJobId(message.jobId, message.submission),
      attempts: this.retry.attempts,
      backoff: { type: 'exponential', delay: this.retry.backoffMs },
      // Job state lives in MySQL; Redis keeps only a short tail of finished entries.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 1000 },
    };
    await this.queueFor(tenant.id).add('job', message, options);
    const pool = poolOf(tenant);
    await new TenantRing(this.redis(), this.config.keyPrefix).add(pool, tenant.id);
    await this.wake(pool);
  }

  /**
   * Puts the tenant in the ring of the pool its current tier and region name, when its queue has
   * anything unfinished (waiting, delayed, or held by a worker that may give it back), wakes that
   * pool, and takes it out of the other tier's ring. Run when a tenant's tier changed (its queued
   * jobs then wait for the new pool without a new submit) and by the reconciliation (a change whose
   * process died before this ran). In that order: a tenant with work is never in neither ring. The
   * pool it left skips it meanwhile anyway (each worker checks the tenant's tier), and the owners'
   * ports refuse that pool for it.
   */
  async place(tenant: { id: string; tier: 'shared' | 'dedicated'; region: string }): Promise<{ pool: WorkerPool; queued: boolean }> {
    const pool = poolOf(tenant);
    const left = poolOf({ ...tenant, tier: tenant.tier === 'dedicated' ? 'shared' : 'dedicated' });
    const ring = new TenantRing(this.redis(), this.config.keyPrefix);
    const counts = await this.queueFor(tenant.id).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'paused', 'waiting-children');
    const queued = Object.values(counts).reduce((sum, n) => sum + n, 0) > 0;
    if (queued) {
      await ring.add(pool, tenant.id);
      await this.wake(pool);
    }
    await ring.remove(left, tenant.id);
    return { pool, queued };
  }

  /** Removes a queued submission; false when it is not in the queue any more or a worker holds it. */
  async remove(tenantId: string, jobId: string, submission: number): Promise<boolean> {
    const removed = await this.queueFor(tenantId).remove(queueJobId(jobId, submission));
    return removed === 1;
  }

  async counts(tenantId: string): Promise<QueueCounts> {
    const counts = await this.queueFor(tenantId).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return {
      waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
      active: counts['active'] ?? 0,
      delayed: counts['delayed'] ?? 0,
      completed: counts['completed'] ?? 0,
      failed: counts['failed'] ?? 0,
    };
  }

  private async wake(pool: WorkerPool): Promise<void> {
    await this.redis().publish(this.keys.wakeChannel(pool), '1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    this.queues.clear();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
    this.connection = undefined;
  }
}
