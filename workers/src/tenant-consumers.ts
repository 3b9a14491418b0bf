import { Queue, Worker, type Job as QueueJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { tenantQueueName, type JobMessage } from '@tessera/job-queue';

interface Consumer {
  worker: Worker<JobMessage>;
  queue: Queue<JobMessage>;
  lastUsed: number;
}

export interface ConsumerOptions {
  prefix: string;
  lockMs: number;
  stalledIntervalMs: number;
  /** An entry BullMQ failed because its workers kept dying under it (its stalled limit): its row still says RUNNING. */
  onStalledOut?: (tenantId: string, job: QueueJob<JobMessage>) => void;
}

/**
 * BullMQ consumers of the tenant queues this process visits, created on first visit. They fetch
 * manually (no processor, no autorun): the fair scheduler decides which tenant's queue a slot
 * takes from next. Each runs BullMQ's stalled-job checker for its queue, which is what returns the
 * job of a killed worker to the queue. Consumers of tenants without work are closed after a while.
 */
export class TenantConsumers {
  private readonly consumers = new Map<string, Consumer>();

  constructor(
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
  ) {}

  private consumer(tenantId: string): Consumer {
    let consumer = this.consumers.get(tenantId);
    if (!consumer) {
      const name = tenantQueueName(tenantId);
      const worker = new Worker<JobMessage>(name, null, {
        connection: this.redis,
        prefix: this.options.prefix,
        autorun: false,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.stalledIntervalMs,
        // A job whose worker died twice in a row is still run a third time; more looks like a poison job.
        maxStalledCount: 2,
      });
      worker.on('error', () => undefined); // connection errors: ioredis reconnects; the scheduler loop retries
      // getNextJob fails such an entry itself (UnrecoverableError with the deferred reason) and fetches the next.
      worker.on('failed', (job, error) => {
        if (job?.deferredFailure && error.message === job.deferredFailure) this.options.onStalledOut?.(tenantId, job);
      });
      void worker.startStalledCheckTimer().catch(() => undefined);
      const queue = new Queue<JobMessage>(name, { connection: this.redis, prefix: this.options.prefix });
      queue.on('error', () => undefined);
      consumer = { worker, queue, lastUsed: Date.now() };
      this.consumers.set(tenantId, consumer);
    }
    consumer.lastUsed = Date.now();
    return consumer;
  }

  /** The next entry of the tenant's queue (locked with `token`), or undefined when there is none now. */
  async next(tenantId: string, token: string): Promise<QueueJob<JobMessage> | undefined> {
    return (await this.consumer(tenantId).worker.getNextJob(token, { block: false })) ?? undefined;
  }

  /** Entries that still need a worker: waiting, delayed (backoff), or active (running, maybe stalled). */
  async unfinished(tenantId: string): Promise<number> {
    const counts = await this.consumer(tenantId).queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'paused', 'waiting-children');
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  async closeIdle(olderThanMs: number, keep: ReadonlySet<string>): Promise<void> {
    const now = Date.now();
    for (const [tenantId, consumer] of this.consumers) {
      if (keep.has(tenantId) || now - consumer.lastUsed < olderThanMs) continue;
      this.consumers.delete(tenantId);
      await Promise.all([consumer.worker.close(), consumer.queue.close()]).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const all = [...this.consumers.values()];
    this.consumers.clear();
    await Promise.all(all.map((c) => Promise.all([c.worker.close(true), c.queue.close()]).catch(() => undefined)));
  }
}
