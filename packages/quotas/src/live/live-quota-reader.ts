import { Redis } from 'ioredis';
import { redisConnectionOptions, type RedisConfig } from '@tessera/config';
import { errors, isTesseraError } from '@tessera/errors';
import { countLiveLeases, JobQueueKeys } from '@tessera/job-queue';
import type { QuotaScope } from '../tenant-quotas';
import { readCostUnitsInMinute, readOpenSubscriptions, readPredictionsInMinute } from './live-counter-reads';
import { LiveQuotaKeys, minuteOf } from './live-quota-keys';
import { liveQuotaNames, liveQuotaWindowSeconds, type LiveQuotaName, type LiveQuotaUsage } from './live-quota-names';
import { readPredictionsInFlight } from './predictions-in-flight-reports';

export interface LiveQuotaReaderOptions {
  /** The Redis (and key prefix) the gateways, models replicas and workers count in. */
  redis: RedisConfig;
  /** The clock of the minute windows and subscription leases (the writers use the wall clock too). */
  now?: () => number;
  /** The models replicas' stale bound for in-flight reports (default: theirs at the default interval). */
  inFlightStaleMs?: number;
}

/**
 * A tenant's live quotas beside their limits, read from the very counters that enforce them: the
 * unfinished jobs as the jobs service counts them (maxQueuedJobs), the workers' running-job leases
 * (maxConcurrentJobs), and in Redis the models replicas' per-minute counter and in-flight reports,
 * the gateways' open-subscription slots and per-minute cost counter. Reads only, one Redis connection
 * per process; it never takes, renews or sweeps what the writers own.
 */
export class LiveQuotaReader {
  private readonly redis: Redis;
  private readonly keys: LiveQuotaKeys;
  private readonly jobKeys: JobQueueKeys;

  constructor(private readonly options: LiveQuotaReaderOptions) {
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.jobKeys = new JobQueueKeys(options.redis.keyPrefix);
    this.redis = new Redis(options.redis.url, {
      ...redisConnectionOptions(options.redis),
      connectionName: `${options.redis.keyPrefix}:live-quota-reader`,
      // A usage read must answer, not hang while Redis is away: fail fast and say so.
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      lazyConnect: true,
    });
    this.redis.on('error', () => undefined); // reconnects by itself; a failed read is reported below
  }

  /**
   * Every live quota of the scope's tenant. SERVICE_UNAVAILABLE when Redis cannot be read (no
   * guessed zeros). `unfinishedJobs` (maxQueuedJobs) comes from the jobs service, which owns the
   * jobs table; the reader's own service holds no right on it.
   */
  async usage(scope: QuotaScope, unfinishedJobs: number): Promise<LiveQuotaUsage[]> {
    const tenantId = scope.tenant.id;
    const now = this.options.now?.() ?? Date.now();
    const minute = minuteOf(now);
    const counters = await this.readCounters(tenantId, minute, now);
    const used: Record<LiveQuotaName, number> = { maxQueuedJobs: unfinishedJobs, ...counters };
    return liveQuotaNames.map((name) => ({ name, limit: scope.tenant.limits[name], used: used[name], reserved: 0, windowSeconds: liveQuotaWindowSeconds[name] }));
  }

  async close(): Promise<void> {
    // quit() on a connection that is not up would wait for a reconnect that may never come.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async readCounters(tenantId: string, minute: number, now: number): Promise<Record<Exclude<LiveQuotaName, 'maxQueuedJobs'>, number>> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      // Sent together on the one connection: one round trip's worth of waiting.
      const [maxConcurrentJobs, predictionsPerMinute, maxPredictionsInFlight, maxOpenSubscriptions, costPerMinute] = await Promise.all([
        countLiveLeases(this.redis, this.jobKeys, tenantId),
        readPredictionsInMinute(this.redis, this.keys, tenantId, minute),
        readPredictionsInFlight(this.redis, this.keys, tenantId, this.options.inFlightStaleMs),
        readOpenSubscriptions(this.redis, this.keys, tenantId, now),
        readCostUnitsInMinute(this.redis, this.keys, tenantId, minute),
      ]);
      return { maxConcurrentJobs, predictionsPerMinute, maxPredictionsInFlight, maxOpenSubscriptions, costPerMinute };
    } catch (error) {
      if (isTesseraError(error)) throw error;
      throw errors.unavailable('Live quota usage (jobs running, predictions, subscriptions, cost) cannot be read right now; retry shortly.');
    }
  }
}
