import { TesseraError } from '@tessera/errors';

/** Gives a turn back; calling it again does nothing. */
export type ReleaseTurn = () => void;

/** How a refusal names the bound that kept a read waiting (`extensions.limit`) and says what to do. */
export interface TenantTurnsRefusal {
  perTenantLimit: string;
  inFlightLimit: string;
  perTenantMessage: (limitValue: number) => string;
  inFlightMessage: string;
}

export interface TenantTurnsOptions {
  /** Reads of one tenant holding a connection at once. */
  perTenant: number;
  /** Reads of all tenants holding a connection at once: kept below the pool size, so other work always finds one. */
  inFlight: number;
  /** How long a read waits for a turn before it is refused. */
  queueWaitMs: number;
  /** Reads of one tenant that may wait; one more is refused at once. */
  maxQueuedPerTenant: number;
  /** Told to the client as retryAfterSeconds: about how long a running read may still take. */
  retryAfterSeconds: number;
  refusal: TenantTurnsRefusal;
}

interface Waiter {
  tenant: string;
  grant: (release: ReleaseTurn) => void;
  timer: NodeJS.Timeout;
}

/**
 * Turns for a service's heavy reads (the metrics service's range reads, the audit service's chain
 * verifications and access reports). Such a read holds a pooled connection, or the process's CPU,
 * for as long as its range takes; without a bound, one tenant repeating such reads (or asking for
 * many in one operation: their fields resolve in parallel) holds every connection of the pool all
 * tenants share, and another tenant's cheapest read waits behind all of them.
 * Here a tenant holds at most `perTenant` turns and all tenants together `inFlight`; a read without
 * one waits in one first-come-first-served queue (a tenant at its own bound does not hold up the
 * others behind it) for at most `queueWaitMs`, then is refused RATE_LIMITED, as is a read beyond
 * `maxQueuedPerTenant` waiting ones. Per process: each replica has its own pool to protect.
 */
export class TenantTurns {
  private readonly held = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  private running = 0;

  constructor(private readonly options: TenantTurnsOptions) {}

  /** Runs `read` in one of the tenant's turns. */
  async run<T>(tenant: string, read: () => Promise<T>): Promise<T> {
    const release = await this.acquire(tenant);
    try {
      return await read();
    } finally {
      release();
    }
  }

  /** Reads running and waiting for one tenant (tests and logs). */
  usage(tenant: string): { running: number; waiting: number } {
    return { running: this.held.get(tenant) ?? 0, waiting: this.queue.filter((w) => w.tenant === tenant).length };
  }

  private acquire(tenant: string): Promise<ReleaseTurn> {
    if (this.mayStart(tenant) && !this.queue.some((w) => w.tenant === tenant)) return Promise.resolve(this.start(tenant));
    if (this.queue.filter((w) => w.tenant === tenant).length >= this.options.maxQueuedPerTenant) return Promise.reject(this.busy(tenant));
    return new Promise<ReleaseTurn>((resolve, reject) => {
      const waiter: Waiter = {
        tenant,
        grant: resolve,
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(this.busy(tenant));
        }, this.options.queueWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  private mayStart(tenant: string): boolean {
    return this.running < this.options.inFlight && (this.held.get(tenant) ?? 0) < this.options.perTenant;
  }

  private start(tenant: string): ReleaseTurn {
    this.running += 1;
    this.held.set(tenant, (this.held.get(tenant) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const left = (this.held.get(tenant) ?? 1) - 1;
      if (left === 0) this.held.delete(tenant);
      else this.held.set(tenant, left);
      this.grantWaiting();
    };
  }

  /** The oldest waiters whose tenants are under their bound get the free turns. */
  private grantWaiting(): void {
    for (let i = 0; i < this.queue.length && this.running < this.options.inFlight; ) {
      const waiter = this.queue[i]!;
      if (!this.mayStart(waiter.tenant)) {
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.grant(this.start(waiter.tenant));
    }
  }

  /** Names the bound that kept the read waiting: its tenant's own, else the one of all tenants. */
  private busy(tenant: string): TesseraError {
    const own = (this.held.get(tenant) ?? 0) >= this.options.perTenant;
    const { refusal } = this.options;
    const [limit, limitValue] = own ? [refusal.perTenantLimit, this.options.perTenant] : [refusal.inFlightLimit, this.options.inFlight];
    const message = own ? refusal.perTenantMessage(limitValue) : refusal.inFlightMessage;
    return new TesseraError('RATE_LIMITED', message, { retryAfterSeconds: this.options.retryAfterSeconds, limit, limitValue });
  }
}
