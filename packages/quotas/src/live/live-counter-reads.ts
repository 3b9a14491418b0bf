import type { Redis } from 'ioredis';
import type { LiveQuotaKeys } from './live-quota-keys';

/**
 * Reads of the live counters that are plain Redis values, over the keys their writers use
 * (LiveQuotaKeys). Reads only: nothing here takes, renews or sweeps anything.
 */

/** Predictions the models replicas admitted for the tenant in `minute` (refused calls do not count). */
export async function readPredictionsInMinute(redis: Redis, keys: LiveQuotaKeys, tenantId: string, minute: number): Promise<number> {
  return Number((await redis.get(keys.predictionsPerMinute(tenantId, minute))) ?? 0);
}

/** Cost units the gateway replicas admitted for the tenant in `minute`, as far as they have synced them. */
export async function readCostUnitsInMinute(redis: Redis, keys: LiveQuotaKeys, tenantId: string, minute: number): Promise<number> {
  return Number((await redis.get(keys.costPerMinute(tenantId, minute))) ?? 0);
}

/**
 * Subscriptions open across the gateway replicas: slots whose lease runs past `nowMs`. The slots'
 * writer dates leases by the gateway's clock and drops those at or before it, so this counts the same
 * way (a slot whose gateway died stops counting when its lease runs out).
 */
export async function readOpenSubscriptions(redis: Redis, keys: LiveQuotaKeys, tenantId: string, nowMs: number): Promise<number> {
  return redis.zcount(keys.openSubscriptions(tenantId), `(${nowMs}`, '+inf');
}
