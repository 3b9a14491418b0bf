import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { assertWithinBudgetsNow } from '@tessera/metering';
import type { TenantLimits } from '@tessera/tenancy';
import { QuotaLedger, type QuotaChange } from './quota-ledger';
import { quotaNames, type QuotaAmounts, type QuotaName } from './quota-names';

/**
 * What the quotas need of a tenant: its limits and a transaction. A `TenantScope` is one; services
 * that act for the platform rather than a user (audit checkpoints) pass the tenant record and a
 * transaction of their own.
 */
export interface QuotaScope {
  readonly tenant: { readonly id: string; readonly limits: TenantLimits };
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T>;
}

export interface QuotaUsage {
  name: QuotaName;
  limit: number;
  used: number;
  /** Promised to writes still in progress (pending uploads, outputs being stored). */
  reserved: number;
}

export interface ReserveOptions {
  /** Names the reservation, so a later request can settle it (e.g. the upload id). Default: a new uuid. */
  id?: string;
  /** After this, a reservation nobody committed or released stops counting. */
  ttlSeconds?: number;
}

/** Long enough for any single write in progress; pending uploads pass their own, longer, expiry. */
export const defaultReservationSeconds = 15 * 60;

/**
 * One tenant's quotas and usage: bytes in its bucket (`storageBytes`) and the counts of datasets,
 * dataset versions, models and model versions. Every writer goes through here:
 * - a write whose size is known only once it is stored (an upload, a job's output) first
 *   `reserve`s, stores, then commits the reservation in the transaction that registers the
 *   object, or releases it when anything fails;
 * - a row that only counts (a new dataset) is `charge`d in the transaction that inserts it;
 * - deletes `refund` in the transaction that deletes the rows.
 * Over the limit is QUOTA_EXCEEDED with `quota`, `limit` and `used` in the extensions, thrown before
 * the write, so the refused request leaves nothing behind.
 */
export class TenantQuotas {
  private readonly ledger: QuotaLedger;

  constructor(private readonly scope: QuotaScope) {
    this.ledger = new QuotaLedger(scope.tenant.id, scope.tenant.limits);
  }

  /** Reserves in a transaction of its own: QUOTA_EXCEEDED unless `amount` fits beside what is used and reserved. */
  reserve(quota: QuotaName, amount: number, options: ReserveOptions = {}): Promise<Reservation> {
    return this.scope.transaction((manager) => this.reserveWithin(manager, quota, amount, options));
  }

  /** Reserves inside the caller's transaction (e.g. the one inserting the upload row the reservation is for). */
  async reserveWithin(manager: EntityManager, quota: QuotaName, amount: number, options: ReserveOptions = {}): Promise<Reservation> {
    assertAmount(amount);
    const id = options.id ?? randomUUID();
    const ttlSeconds = options.ttlSeconds ?? defaultReservationSeconds;
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a positive integer, not ${ttlSeconds}.`);
    // New stored bytes are new work for the storedByteHours budget: refused once it is used up.
    if (quota === 'storageBytes' && amount > 0) await assertWithinBudgetsNow(manager, this.scope.tenant.id, ['storedByteHours']);
    await this.ledger.apply(manager, [{ quota, reserve: { id, amount, ttlSeconds } }]);
    return new Reservation(this.scope, this.ledger, id, quota, amount);
  }

  /** What a reservation made earlier holds, by id; undefined once it is settled, released or expired. */
  reservedAmount(id: string, quota: QuotaName): Promise<number | undefined> {
    return this.scope.transaction((manager) => this.ledger.reservedAmount(manager, id, quota));
  }

  /** A reservation made earlier, by id (e.g. by the request that created an upload). */
  reservation(id: string, quota: QuotaName): Reservation {
    return new Reservation(this.scope, this.ledger, id, quota, null);
  }

  /** Takes `amounts` into use inside the caller's transaction: QUOTA_EXCEEDED (and nothing taken) unless all fit. */
  charge(manager: EntityManager, amounts: QuotaAmounts): Promise<void> {
    return this.ledger.apply(manager, changesOf(amounts, 'charge'));
  }

  /** Gives `amounts` back inside the caller's transaction (the one that deletes what they counted). */
  refund(manager: EntityManager, amounts: QuotaAmounts): Promise<void> {
    return this.ledger.apply(manager, changesOf(amounts, 'refund'));
  }

  /** Every quota with its limit, what is in use and what is reserved. */
  async usage(): Promise<QuotaUsage[]> {
    const current = await this.scope.transaction((manager) => this.ledger.read(manager));
    return quotaNames.map((name) => ({ name, limit: this.ledger.limitOf(name), used: current.get(name)?.used ?? 0, reserved: current.get(name)?.reserved ?? 0 }));
  }
}

/** Room held in one quota for a write in progress. Commit it or release it; if neither happens it expires. */
export class Reservation {
  constructor(
    private readonly scope: QuotaScope,
    private readonly ledger: QuotaLedger,
    readonly id: string,
    readonly quota: QuotaName,
    /** What was reserved; null for a handle made from an id alone. */
    readonly amount: number | null,
  ) {}

  /** Commits in a transaction of its own. */
  commit(actualAmount?: number, alsoCharge: QuotaAmounts = {}): Promise<void> {
    return this.scope.transaction((manager) => this.commitWithin(manager, actualAmount, alsoCharge));
  }

  /**
   * Turns the reservation into usage of `actualAmount` (default: what was reserved) inside the
   * caller's transaction, the one that registers what was written, so usage and rows commit
   * together. More than reserved, or a reservation that expired, must fit like a new charge.
   * `alsoCharge` takes counts in the same step (e.g. the version row the object becomes).
   */
  commitWithin(manager: EntityManager, actualAmount?: number, alsoCharge: QuotaAmounts = {}): Promise<void> {
    const actual = actualAmount ?? this.amount;
    if (actual === null) throw new RangeError('A reservation known by id alone needs the actual amount to commit.');
    assertAmount(actual);
    return this.ledger.apply(manager, [{ quota: this.quota, settle: this.id, charge: actual }, ...changesOf(alsoCharge, 'charge')]);
  }

  /** Gives the reserved room back (the write failed or was refused); in the caller's transaction if given. */
  release(manager?: EntityManager): Promise<void> {
    const change: QuotaChange = { quota: this.quota, settle: this.id };
    return manager ? this.ledger.apply(manager, [change]) : this.scope.transaction((own) => this.ledger.apply(own, [change]));
  }
}

function changesOf(amounts: QuotaAmounts, kind: 'charge' | 'refund'): QuotaChange[] {
  const changes: QuotaChange[] = [];
  for (const [quota, amount] of Object.entries(amounts) as Array<[QuotaName, number | undefined]>) {
    if (amount === undefined || amount === 0) continue;
    assertAmount(amount);
    changes.push({ quota, [kind]: amount });
  }
  return changes;
}

/** Amounts come from sizes and counts the platform computed, never straight from a client. */
function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`A quota amount must be a non-negative integer, not ${amount}.`);
}
