import { TesseraError } from '@tessera/errors';
import { clientAddressKey } from './client-address-key';

export interface ClientAddressGuardOptions {
  /** Failed authentications one client address may cause per minute (the budget refills continuously). */
  failuresPerMinute: number;
  /** Addresses tracked at once (memory bound); the one that failed least recently is forgotten first. */
  maxTrackedAddresses?: number;
  /** Verified tokens remembered as exempt from their address's lockout (memory bound). */
  maxRememberedTokens?: number;
  /** How long after its last successful use a verified token stays exempt. */
  rememberTokenMs?: number;
  now?: () => number;
}

/** What `admit` decided for one request; handed back to say how authentication ended. */
export interface AddressAdmission {
  readonly key: string;
  /** One failure was taken from the address's budget up front (given back if the request authenticates). */
  readonly reserved: boolean;
}

interface FailureBudget {
  /** Failures still allowed (fractional: refilled continuously). */
  remaining: number;
  updatedAtMs: number;
}

export const defaultAuthFailuresPerMinutePerAddress = 120;

/**
 * Bounds the work a client without a valid token can make the gateway do. Every failed
 * authentication (no token, malformed, bad signature, expired, wrong audience, unknown or
 * suspended tenant) spends one unit of its address's budget; an address with no budget left is
 * refused with RATE_LIMITED before its token is even looked at, so signature verification, tenant
 * lookups and audit writes cost nothing more than a map lookup.
 *
 * Only addresses that failed are tracked: a client that always authenticates costs one map miss.
 * Once an address is tracked, each request reserves a unit before verification and gets it back
 * when it authenticates, so a burst of concurrent forged requests cannot overrun the budget while
 * their verifications are in flight.
 *
 * Shared addresses (NAT, proxies): a token this gateway verified recently is let through a locked
 * address. Its holder already proved it has a valid token, so an attacker on the same address
 * cannot lock it out; the attacker cannot use the exemption, because only that exact token string
 * is remembered and it is verified again in full (any change to it is a different string, refused
 * before verification). Remembering costs one map write per successful request with no hashing
 * (the verifier's own cache keys tokens the same way). A bounded number of tokens is remembered,
 * least recently used forgotten first; a remembered token that then fails is forgotten at once.
 */
export class ClientAddressGuard {
  private readonly budgets = new Map<string, FailureBudget>();
  private readonly remembered = new Map<string, number>();
  private readonly perMs: number;
  private readonly maxTrackedAddresses: number;
  private readonly maxRememberedTokens: number;
  private readonly rememberTokenMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ClientAddressGuardOptions) {
    if (!(options.failuresPerMinute >= 1)) throw new Error('failuresPerMinute must be at least 1');
    this.perMs = options.failuresPerMinute / 60_000;
    this.maxTrackedAddresses = options.maxTrackedAddresses ?? 50_000;
    this.maxRememberedTokens = options.maxRememberedTokens ?? 20_000;
    this.rememberTokenMs = options.rememberTokenMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Before any verification: throws RATE_LIMITED when the address has no failures left and the token is not one verified recently. */
  admit(address: string | undefined, token: string | undefined): AddressAdmission {
    const key = clientAddressKey(address);
    const budget = this.budgets.get(key);
    if (!budget) return { key, reserved: false };
    const now = this.now();
    this.refill(budget, now);
    if (budget.remaining >= 1) {
      budget.remaining -= 1;
      return { key, reserved: true };
    }
    if (token !== undefined && this.isRemembered(token, now)) return { key, reserved: false };
    throw authFailureRateLimited(Math.max(1, Math.ceil((1 - budget.remaining) / this.perMs / 1000)));
  }

  /** The request authenticated: its reserved unit goes back and its token is remembered. */
  recordVerified(admission: AddressAdmission, token: string | undefined): void {
    if (admission.reserved) this.giveBack(admission.key);
    if (token === undefined) return;
    const now = this.now();
    const expiresAtMs = this.remembered.get(token);
    // Refreshed at most every tenth of its lifetime: most requests only read the map.
    if (expiresAtMs !== undefined && expiresAtMs - now > this.rememberTokenMs * 0.9) return;
    this.remembered.delete(token);
    if (this.remembered.size >= this.maxRememberedTokens) this.dropOldest(this.remembered);
    this.remembered.set(token, now + this.rememberTokenMs);
  }

  /** The request failed authentication: it costs its address one unit (already taken if reserved). */
  recordFailure(admission: AddressAdmission, token: string | undefined): void {
    if (token !== undefined) this.remembered.delete(token);
    const now = this.now();
    const budget = this.budgets.get(admission.key);
    if (budget) this.refill(budget, now);
    const remaining = budget ? budget.remaining - (admission.reserved ? 0 : 1) : this.options.failuresPerMinute - 1;
    // Re-inserted so the map's order is least recently failed first: that one is forgotten first.
    this.budgets.delete(admission.key);
    if (this.budgets.size >= this.maxTrackedAddresses) this.dropOldest(this.budgets);
    this.budgets.set(admission.key, { remaining: Math.max(0, remaining), updatedAtMs: now });
  }

  /** Authentication could not decide (e.g. the identity provider is down): not the client's failure. */
  release(admission: AddressAdmission): void {
    if (admission.reserved) this.giveBack(admission.key);
  }

  /** Addresses currently tracked (tests, metrics). */
  get trackedAddresses(): number {
    return this.budgets.size;
  }

  private giveBack(key: string): void {
    const budget = this.budgets.get(key);
    if (budget) budget.remaining = Math.min(this.options.failuresPerMinute, budget.remaining + 1);
  }

  private refill(budget: FailureBudget, now: number): void {
    budget.remaining = Math.min(this.options.failuresPerMinute, budget.remaining + Math.max(0, now - budget.updatedAtMs) * this.perMs);
    budget.updatedAtMs = now;
  }

  private isRemembered(token: string, now: number): boolean {
    const expiresAtMs = this.remembered.get(token);
    if (expiresAtMs === undefined) return false;
    if (expiresAtMs > now) return true;
    this.remembered.delete(token);
    return false;
  }

  private dropOldest(map: Map<string, unknown>): void {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/** RATE_LIMITED for an address out of failure budget (the tenant factory's message names a tenant; no tenant is known here). */
export function authFailureRateLimited(retryAfterSeconds: number): TesseraError {
  return new TesseraError('RATE_LIMITED', 'Too many failed authentications from your address; retry later.', { retryAfterSeconds });
}
