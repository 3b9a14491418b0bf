import type { Redis } from 'ioredis';
import type { LiveQuotaKeys } from './live-quota-keys';

/**
 * The format of the models replicas' in-flight reports (`maxPredictionsInFlight`), written and read
 * here only: the tenant's hash (LiveQuotaKeys.predictionsInFlight) holds one field per replica whose
 * value is `<count>:<redis time in ms>`. The writer (the models service's PredictionsInFlightSync)
 * runs `predictionsInFlightExchangeScript`; tenantUsage reads with `readPredictionsInFlight`.
 */

/** How often a models replica exchanges its counts when not configured otherwise. */
export const defaultInFlightSyncIntervalMs = 250;

/**
 * How old a replica's report may be and still count: a few intervals, so one slow exchange does not
 * drop a live replica, while a replica that died without clearing its report stops counting soon.
 */
export function inFlightStaleMs(intervalMs: number): number {
  return Math.max(2_000, 8 * intervalMs);
}

/**
 * Publishes this replica's count for a tenant (or removes it at 0) and returns the sum of the other
 * replicas' fresh counts. Reports older than the stale bound (a replica that died without removing
 * its own) are dropped. Redis's own clock dates the reports, so replicas' clock skew does not matter.
 * KEYS[1] the tenant's hash; ARGV replica id, count, stale bound in ms.
 */
export const predictionsInFlightExchangeScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local others = 0
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if entries[i] ~= ARGV[1] then
    local count, at = string.match(entries[i + 1], '^(%d+):(%d+)$')
    if count and now - tonumber(at) <= tonumber(ARGV[3]) then
      others = others + tonumber(count)
    else
      redis.call('HDEL', KEYS[1], entries[i])
    end
  end
end
return others`;

/** The sum of every replica's fresh report, read only (a stale report is skipped, not deleted: that is the writers' job). */
const readScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local total = 0
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local count, at = string.match(entries[i + 1], '^(%d+):(%d+)$')
  if count and now - tonumber(at) <= tonumber(ARGV[1]) then total = total + tonumber(count) end
end
return total`;

/**
 * The tenant's predictions in flight across every models replica, as of each replica's last report
 * (at most one exchange interval old). `staleMs` is the writers' bound for the default interval; a
 * replica exchanging less often still counts as long as its interval is shorter than `staleMs`
 * (a shorter bound than the writers' only stops counting a dead replica's report sooner).
 */
export async function readPredictionsInFlight(redis: Redis, keys: LiveQuotaKeys, tenantId: string, staleMs = inFlightStaleMs(defaultInFlightSyncIntervalMs)): Promise<number> {
  // EVAL_RO: a read-only Redis user (the metrics service's) may run it; EVAL counts as a write.
  return Number(await redis.eval_ro(readScript, 1, keys.predictionsInFlight(tenantId), staleMs));
}
