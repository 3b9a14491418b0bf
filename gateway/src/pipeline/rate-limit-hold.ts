import { isTesseraError } from '@tessera/errors';

/**
 * Holds a tenant's RATE_LIMITED answers back for a short while before sending them. A client that
 * ignores `retry-after` and resends at once would otherwise get its refusals as fast as the
 * gateway can write them — a spin that costs the gateway CPU every other tenant is waiting for. Held,
 * each of its connections sends at most a few requests a second; holding costs a timer, not CPU.
 * At most `maxHeld` answers wait at once (beyond that they go out at once), so memory stays bounded.
 */
export class RateLimitHold {
  private held = 0;

  constructor(private readonly options: { holdMs: number; maxHeld: number }) {}

  async hold(error: unknown): Promise<void> {
    if (this.options.holdMs <= 0 || this.held >= this.options.maxHeld) return;
    if (!isTesseraError(error) || error.code !== 'RATE_LIMITED') return;
    const retryAfterMs = Number(error.extensions['retryAfterSeconds']) * 1000;
    this.held += 1;
    try {
      const ms = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(this.options.holdMs, retryAfterMs) : this.options.holdMs;
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.held -= 1;
    }
  }
}

/** How long a RATE_LIMITED answer is held by default, and how many at most at once. */
export const defaultRateLimitHold = { holdMs: 250, maxHeld: 10_000 } as const;
