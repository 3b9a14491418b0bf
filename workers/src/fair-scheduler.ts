import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { resubscribeAfterReconnect } from '@tessera/config';
import { JobQueueKeys, keepsHeadroom, PoolSlots, TenantLeases, TenantRing, type WorkerPool } from '@tessera/job-queue';
import type { FetchedJob, JobRunner } from './job-runner';
import type { TenantConsumers } from './tenant-consumers';
import type { WorkerRuntime } from './worker-runtime';

/** How long an idle slot waits for a wake-up before it looks at the ring again. */
const idlePollMs = 1_000;

/**
 * Runs `concurrency` slots. Each slot takes the next tenant from its pool's ring (round robin,
 * shared by every worker process), and takes one job from that tenant's queue if the tenant is
 * below its concurrency limit. So tenants get turns, not jobs: a tenant with 1 000 queued jobs
 * and a tenant with one job alternate, and the single job starts after at most one job of each
 * other busy tenant. A dedicated-tier tenant has its own ring that only its own workers read, and
 * each region's shared pool its own ring, read only by that region's workers.
 *
 * In a shared pool, turns alone are not enough: nothing pre-empts a running job, so a few busy
 * tenants with long jobs could hold every slot of the pool and a newcomer's single job would wait
 * for one of them to end. Each worker announces its slots, and a tenant that already runs a job
 * in the pool may not take a slot that would leave fewer than WORKER_POOL_HEADROOM_SLOTS of the
 * pool's slots free (TenantLeases, checked and taken in one script): busy tenants still use every
 * slot above the headroom, and a tenant with nothing running takes one of the kept slots at once.
 */
export class FairScheduler {
  private readonly ring: TenantRing;
  private leases: TenantLeases;
  private readonly keys: JobQueueKeys;
  /** This worker's slots as the shared pool counts them (undefined in a dedicated pool: no headroom). */
  private poolSlots: PoolSlots | undefined;
  private concurrency = 0;
  /** Slots running a job now: what a stopping worker still holds of the pool. */
  private activeRuns = 0;
  private announcer: NodeJS.Timeout | undefined;
  /** The process's instance id: every lock token and lease holder starts with it. */
  private readonly id: string;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private slots: Array<Promise<void>> = [];
  private readonly running = new Set<string>();
  private janitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly runtime: WorkerRuntime,
    private readonly pool: WorkerPool,
    /** The region this worker runs jobs of (undefined: a dedicated worker, its tenant's region). */
    private readonly region: string | undefined,
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly consumers: TenantConsumers,
    private readonly runner: (leases: TenantLeases) => JobRunner,
  ) {
    const prefix = runtime.config.redis.keyPrefix;
    this.ring = new TenantRing(redis, prefix);
    const lockMs = runtime.config.lockMs;
    // Announcements and busy slots expire as leases do: a worker that dies stops counting a lock later.
    this.poolSlots = keepsHeadroom(pool) ? new PoolSlots(redis, prefix, pool, lockMs) : undefined;
    this.leases = new TenantLeases(redis, prefix, lockMs, keepsHeadroom(pool) ? { pool, headroomSlots: runtime.config.poolHeadroomSlots } : undefined);
    this.keys = new JobQueueKeys(prefix);
    this.id = runtime.config.instanceId;
  }

  async start(concurrency: number): Promise<void> {
    const wake = this.keys.wakeChannel(this.pool);
    // Wake-ups only shorten an idle slot's wait: without them the slots still look every idlePollMs.
    resubscribeAfterReconnect(this.subscriber, () => [wake], (error) =>
      this.runtime.logger.warn('job wake-ups are not heard (Redis refused the subscription); idle slots look at the ring every second', { error: error instanceof Error ? error.message : String(error) }),
    );
    await this.subscriber.subscribe(wake);
    this.subscriber.on('message', () => this.wakeAll());
    this.concurrency = concurrency;
    if (this.poolSlots) {
      try {
        await this.announce();
      } catch (error) {
        if (!(error instanceof Error && error.message.includes('NOPERM'))) throw error;
        // A Redis user made from an ACL that predates the pool's slot keys: the worker runs, as it
        // did before them, without headroom, until the ACL is applied again.
        this.runtime.logger.warn('Redis refused the pool\'s slot keys (NOPERM: the worker user\'s ACL predates them; apply it again): this worker keeps no headroom', { error: error.message });
        this.poolSlots = undefined;
        this.leases = new TenantLeases(this.redis, this.runtime.config.redis.keyPrefix, this.runtime.config.lockMs);
      }
    }
    if (this.poolSlots) {
      this.announcer = setInterval(() => void this.announce().catch((error: unknown) => this.runtime.logger.warn('could not announce this worker\'s slots', { error: error instanceof Error ? error.message : String(error) })), Math.max(250, Math.floor(this.runtime.config.lockMs / 3)));
    }
    const runner = this.runner(this.leases);
    this.slots = Array.from({ length: concurrency }, (_, slot) => this.slotLoop(slot, runner));
    this.janitor = setInterval(() => void this.consumers.closeIdle(60_000, this.running).catch(() => undefined), 30_000);
  }

  /** Stops taking jobs; running ones finish (or are abandoned at `graceMs`, to be recovered as stalled). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.janitor);
    this.wakeAll();
    // From now on only its running jobs hold slots of this worker: the pool counts those, not idle ones.
    await this.announce().catch(() => undefined);
    await Promise.race([Promise.all(this.slots), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    clearInterval(this.announcer);
    await this.poolSlots?.withdraw(this.id).catch(() => undefined);
  }

  /** This worker's slots, as the pool's headroom counts them: all while it takes jobs, its running ones while it stops. */
  private async announce(): Promise<void> {
    await this.poolSlots?.announce(this.id, this.stopping ? this.activeRuns : this.concurrency);
  }

  private async slotLoop(slot: number, runner: JobRunner): Promise<void> {
    while (!this.stopping) {
      try {
        const fetched = await this.pick(slot);
        if (!fetched) {
          await this.idle();
          continue;
        }
        this.running.add(fetched.tenantId);
        this.activeRuns++;
        try {
          await runner.run(fetched);
        } finally {
          this.running.delete(fetched.tenantId);
          this.activeRuns--;
          if (this.stopping) await this.announce().catch(() => undefined);
        }
      } catch (error) {
        // Redis or MySQL away: keep the slot alive and try again shortly.
        this.runtime.logger.warn('scheduler slot error', { slot, error: error instanceof Error ? error.message : String(error) });
        await this.idle();
      }
    }
  }

  /** One turn of the ring: the first tenant (from the head) that has a job it may start now. */
  private async pick(slot: number): Promise<FetchedJob | undefined> {
    const size = await this.ring.size(this.pool);
    for (let turn = 0; turn < size && !this.stopping; turn++) {
      const tenantId = await this.ring.next(this.pool);
      if (!tenantId) return undefined;
      const tenant = await this.runtime.directory.find(tenantId);
      if (!tenant) {
        await this.ring.remove(this.pool, tenantId); // erased tenant: its queue has no owner left
        continue;
      }
      if (tenant.status !== 'ACTIVE') continue; // suspended: its jobs wait
      // A dedicated worker's tenant moved back to the shared tier: the owners refuse this worker's
      // calls for it now, so it takes none of its entries (they wait in the tenant's queue for the
      // shared pool) rather than claim, be refused and put each one back.
      if (this.pool.kind === 'dedicated' && tenant.tier !== 'dedicated') continue;
      // And the reverse: a tenant moved to the dedicated tier is run by its own workers only (the
      // owners refuse the shared pool's calls for it); the jobs service moves it out of this ring.
      if (this.pool.kind === 'shared' && tenant.tier === 'dedicated') continue;
      // Data residency: a tenant of another region (an entry forged into this ring, or a tenant
      // moved since it was queued) is never run here; its region's workers read its own ring.
      if (this.region !== undefined && tenant.region !== this.region) continue;
      const holder = `${this.id}:${slot}:${randomUUID()}`;
      // Refused for the tenant's own limit, or for the pool's headroom (the tenant runs a job already
      // and the slots left are kept for tenants running none): the next tenant's turn.
      if ((await this.leases.take(tenantId, holder, tenant.limits.maxConcurrentJobs)) !== 'granted') continue;
      const token = `${this.id}:${randomUUID()}`;
      let queueJob;
      try {
        queueJob = await this.consumers.next(tenantId, token);
      } catch (error) {
        await this.leases.release(tenantId, holder);
        throw error;
      }
      if (queueJob) return { tenantId, queueJob, token, leaseHolder: holder };
      await this.leases.release(tenantId, holder);
      await this.retireIfDone(tenantId);
    }
    return undefined;
  }

  /**
   * Takes a tenant out of the ring when its queue has nothing left to do, then looks again: an
   * entry added in between (its producer adds the tenant after the entry) puts it straight back.
   */
  private async retireIfDone(tenantId: string): Promise<void> {
    if ((await this.consumers.unfinished(tenantId)) > 0) return;
    await this.ring.remove(this.pool, tenantId);
    if ((await this.consumers.unfinished(tenantId)) > 0) await this.ring.add(this.pool, tenantId);
  }

  private idle(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve();
      };
      const timer = setTimeout(waiter, idlePollMs);
      this.idleWaiters.push(waiter);
    });
  }

  private wakeAll(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
