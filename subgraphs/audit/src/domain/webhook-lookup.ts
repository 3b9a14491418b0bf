import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { WebhookAddressPolicy } from './webhook-address-policy';

/**
 * Resolves a host name to every address it has (what `dns.lookup` with `all: true` returns).
 * `owner`: the tenant whose webhook needs it (lookups are shared out between tenants).
 */
export type ResolveHost = (hostname: string, family: 0 | 4 | 6, owner?: string) => Promise<LookupAddress[]>;

/**
 * At most `maxInFlight` resolutions at once, and at most `maxPerOwner` of them for one owner (a
 * tenant); one more is refused at once (code WEBHOOK_LOOKUP_BUSY), never queued. The system
 * resolver (`dns.lookup`) runs on libuv's thread pool, four threads by default, which this
 * process's file I/O, compression and asynchronous crypto share, and a lookup keeps its thread
 * until the resolver gives up (often ten seconds and more for a name whose servers never answer),
 * however early its caller stops waiting. A tenant that saves or triggers webhooks of such names
 * would otherwise hold every thread, and with the process's share taken, every other tenant's
 * deliveries would fail while it held them: one tenant never holds more than its share, so the
 * rest of the bound stays for the others. A refused lookup is a host not checked yet: saving
 * accepts the URL (each delivery checks again), a delivery fails and is retried.
 */
export function boundedLookups(resolve: ResolveHost, maxInFlight: number, maxPerOwner: number = maxInFlight): ResolveHost {
  let inFlight = 0;
  const byOwner = new Map<string, number>();
  return async (hostname, family, owner) => {
    const key = owner ?? '';
    const owned = byOwner.get(key) ?? 0;
    if (inFlight >= maxInFlight) throw Object.assign(new Error(`${maxInFlight} host lookups are already in progress`), { code: 'WEBHOOK_LOOKUP_BUSY' });
    if (owned >= maxPerOwner) throw Object.assign(new Error(`this tenant already has ${maxPerOwner} host lookup(s) in progress`), { code: 'WEBHOOK_LOOKUP_BUSY' });
    inFlight += 1;
    byOwner.set(key, owned + 1);
    try {
      return await resolve(hostname, family, owner);
    } finally {
      inFlight -= 1;
      const left = (byOwner.get(key) ?? 1) - 1;
      if (left === 0) byOwner.delete(key);
      else byOwner.set(key, left);
    }
  };
}

/** Half the thread pool's default four: the other half stays for everything else of the process. */
export const maxSystemLookupsInFlight = 2;
/** One tenant's share of those: however many slow names it has, another tenant's lookup still runs. */
export const maxSystemLookupsPerTenant = 1;

export const resolveWithSystem: ResolveHost = boundedLookups((hostname, family) => dns.lookup(hostname, { all: true, family }), maxSystemLookupsInFlight, maxSystemLookupsPerTenant);

/** A webhook host or address the policy refuses. `code` follows Node's system errors, so it survives any wrapping. */
export class WebhookAddressRefusedError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';

  constructor(readonly host: string) {
    super(`webhook host ${host} is or resolves to an address webhooks may not reach`);
    this.name = 'WebhookAddressRefusedError';
  }
}

export function isAddressRefused(error: unknown): boolean {
  return error instanceof WebhookAddressRefusedError || (error as { code?: unknown } | null)?.code === 'WEBHOOK_ADDRESS_REFUSED';
}

/**
 * Every address of `hostname`, once each is allowed. One refused address refuses the host: the
 * connection may pick any of them (happy eyeballs tries several), so all must be safe.
 */
export async function resolveAllowed(policy: WebhookAddressPolicy, resolve: ResolveHost, hostname: string, family: 0 | 4 | 6 = 0, owner?: string): Promise<LookupAddress[]> {
  if (policy.refusesHostname(hostname)) throw new WebhookAddressRefusedError(hostname);
  const addresses = await resolve(hostname, family, owner);
  if (addresses.length === 0 || addresses.some((entry) => !policy.allowsAddress(entry.address))) throw new WebhookAddressRefusedError(hostname);
  return addresses;
}

/**
 * A `lookup` for the sockets that carry webhooks: it resolves, checks and hands the socket exactly
 * the addresses it checked, so nothing can answer differently between check and connect (DNS
 * rebinding). Node skips `lookup` for IP literals; callers check those themselves.
 */
export function guardedLookup(policy: WebhookAddressPolicy, resolve: ResolveHost = resolveWithSystem, owner?: string): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolveAllowed(policy, resolve, hostname, familyOf(options.family), owner).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
