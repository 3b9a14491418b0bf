import { TesseraError } from '@tessera/errors';

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface TenantConcurrencyOptions {
  /** How long an operation may wait for one of its tenant's slots before it is refused. */
  maxWaitMs: number;
  /** Operations that may wait per slot of the tenant (beyond that they are refused at once). */
  waitingPerSlot: number;
}

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  refuse: (error: TesseraError) => void;
  timer: NodeJS.Timeout;
}

interface TenantSlots {
  running: number;
  waiting: Waiter[];
}

/**
 * At most `maxConcurrentOperations` of a tenant's operations run at once on this gateway replica;
 * the rest wait their turn in the tenant's own queue (first come, first served) and cost nothing
 * while they wait. A tenant firing many heavy operations at once therefore queues behind itself,
 * not in front of other tenants: the subgraphs see its work one slot at a time instead of in
 * bursts that every other tenant's requests would wait behind. A queue that is full, or a wait
 * that lasts too long, is RATE_LIMITED naming the limit.
 */
export class TenantConcurrency {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(private readonly options: TenantConcurrencyOptions) {}

  async acquire(key: string, limit: number): Promise<ReleaseSlot> {
    const slots = this.tenants.get(key) ?? { running: 0, waiting: [] };
    this.tenants.set(key, slots);
    if (slots.running < limit && slots.waiting.length === 0) {
      slots.running += 1;
      return this.releaseOf(key, slots);
    }
    if (slots.waiting.length >= limit * this.options.waitingPerSlot) throw busy(limit, slots.running, slots.waiting.length);
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          const index = slots.waiting.indexOf(waiter);
          if (index >= 0) slots.waiting.splice(index, 1);
          this.forgetIfIdle(key, slots);
          reject(busy(limit, slots.running, slots.waiting.length));
        }, this.options.maxWaitMs),
      };
      slots.waiting.push(waiter);
    });
  }

  /** Operations running and waiting per tenant on this replica (for usage reports and tests). */
  inFlight(key: string): { running: number; waiting: number } {
    const slots = this.tenants.get(key);
    return { running: slots?.running ?? 0, waiting: slots?.waiting.length ?? 0 };
  }

  private releaseOf(key: string, slots: TenantSlots): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.waiting.shift();
      if (next) {
        // The slot passes straight to the next waiter: `running` is unchanged.
        clearTimeout(next.timer);
        next.grant(this.releaseOf(key, slots));
        return;
      }
      slots.running -= 1;
      this.forgetIfIdle(key, slots);
    };
  }

  private forgetIfIdle(key: string, slots: TenantSlots): void {
    if (slots.running === 0 && slots.waiting.length === 0 && this.tenants.get(key) === slots) this.tenants.delete(key);
  }
}

function busy(limit: number, running: number, waiting: number): TesseraError {
  return new TesseraError(
    'RATE_LIMITED',
    `Your tenant already has ${running} operations running and ${waiting} waiting on this gateway (maxConcurrentOperations is ${limit}); retry in a moment.`,
    { retryAfterSeconds: 1, limit: 'maxConcurrentOperations', limitValue: limit },
  );
}

/** Defaults: an operation waits up to 15 s, and up to 16 may wait per slot. */
export const defaultTenantConcurrency: TenantConcurrencyOptions = { maxWaitMs: 15_000, waitingPerSlot: 16 };
