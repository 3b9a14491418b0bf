import { isTesseraError } from '@tessera/errors';

export interface RateLimitHoldOptions {
  /** How long a tenant's RATE_LIMITED answer is held (never longer than its retry-after). */
  holdMs: number;
  /** At most this many answers wait at once; beyond that they go out at once, so memory stays bounded. */
  maxHeld: number;
}

/** A refusal within this long of the tenant's previous one is a repeat. */
const repeatWindowMs = 1_000;
/** Repeats are held this many times `holdMs` (still never longer than retry-after). */
const repeatFactor = 4;

/**
 * Holds a tenant's RATE_LIMITED answers back for a short while before sending them. A client that
 * ignores `retry-after` and resends at once would otherwise get its refusals as fast as the
 * gateway can write them — a spin that costs the gateway CPU every other tenant is waiting for.
 * Held, each of its connections sends at most a few requests a second; holding costs a timer, not
 * CPU. A tenant refused again within a second (many connections, or a client not waiting) has its
 * answers held four times as long: a client that honours retry-after gets its first refusal after
 * `holdMs` and is never a repeat, since retry-after is at least a second.
 */
export class RateLimitHold {
  private held = 0;
  private readonly lastRefusedAt = new Map<string, number>();

  constructor(private readonly options: RateLimitHoldOptions) {}

  /** `key` is whose budget refused (the tenant); without it every refusal is held as a first one. */
  async hold(error: unknown, key?: string, now = Date.now()): Promise<void> {
    if (this.options.holdMs <= 0 || this.held >= this.options.maxHeld) return;
    if (!isTesseraError(error) || error.code !== 'RATE_LIMITED') return;
    const retryAfterMs = Number(error.extensions['retryAfterSeconds']) * 1000;
    const holdMs = this.isRepeat(key, now) ? repeatFactor * this.options.holdMs : this.options.holdMs;
    this.held += 1;
    try {
      const ms = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(holdMs, retryAfterMs) : holdMs;
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.held -= 1;
    }
  }

  private isRepeat(key: string | undefined, now: number): boolean {
    if (key === undefined) return false;
    const last = this.lastRefusedAt.get(key);
    this.lastRefusedAt.set(key, now);
    // Only recent refusals matter: forget the old ones once the map grows (bounded by refusing tenants).
    if (this.lastRefusedAt.size > 10_000) for (const [k, at] of this.lastRefusedAt) if (now - at >= repeatWindowMs) this.lastRefusedAt.delete(k);
    return last !== undefined && now - last < repeatWindowMs;
  }
}

/** How long a RATE_LIMITED answer is held by default, and how many at most at once. */
export const defaultRateLimitHold: RateLimitHoldOptions = { holdMs: 250, maxHeld: 10_000 };
