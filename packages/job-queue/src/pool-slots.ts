import type { Redis } from 'ioredis';
import { JobQueueKeys, type WorkerPool } from './queue-keys';

// Expiry by the Redis server's clock (TIME), as the leases': workers with skewed clocks agree.
const announceScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1`;

// Live announced slots, and the busy slots whose lease has not expired (nothing is removed: EVAL_RO).
const readScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local count, expires = string.match(workers[i + 1], '^(%d+):(%d+)$')
  if count ~= nil and tonumber(expires) > now then slots = slots + tonumber(count) end
end
return { slots, redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf') }`;

/** Which pools keep headroom: the shared ones. A dedicated pool runs one tenant; there is nobody to keep slots for. */
export function keepsHeadroom(pool: WorkerPool): boolean {
  return pool.kind === 'shared';
}

/**
 * The slots of a pool's live workers. Each worker announces how many slots it runs, again every
 * third of `ttlMs`, and the announcement expires with the worker (as its leases do), so a pool's
 * size follows the workers that are there without asking them; the headroom check of
 * TenantLeases reads it in the same script that takes a lease.
 */
export class PoolSlots {
  private readonly keys: JobQueueKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly pool: WorkerPool,
    private readonly ttlMs: number,
  ) {
    this.keys = new JobQueueKeys(prefix);
  }

  /** This worker runs `slots` slots (0 while it stops: it takes no more jobs). */
  async announce(instanceId: string, slots: number): Promise<void> {
    await this.redis.eval(announceScript, 1, this.keys.poolSlots(this.pool), instanceId, String(slots), String(this.ttlMs));
  }

  /** This worker is gone: its slots no longer count. */
  async withdraw(instanceId: string): Promise<void> {
    await this.redis.hdel(this.keys.poolSlots(this.pool), instanceId);
  }

  /** The live workers' slots and how many of them hold a job now. */
  async read(): Promise<{ slots: number; busy: number }> {
    const [slots, busy] = (await this.redis.eval(readScript, 2, this.keys.poolSlots(this.pool), this.keys.poolBusy(this.pool))) as [number, number];
    return { slots: Number(slots), busy: Number(busy) };
  }
}
