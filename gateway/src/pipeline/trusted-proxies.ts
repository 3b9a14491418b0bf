import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * The peers whose X-Forwarded-For the gateway believes: the proxies in front of it. Everything keyed
 * by client address (the failed-authentication budget, WebSockets waiting for connection_init,
 * connections per address) must see the client, not the proxy: behind an ingress controller every
 * connection comes from the controller's pods, and keyed by them one client's failures would lock
 * out every client. Nobody else may name a client address: a direct client could claim any.
 *
 * Entries: `loopback` (127.0.0.0/8, ::1), `private` (10/8, 172.16/12, 192.168/16, 100.64/10,
 * fc00::/7: a cluster's pod network, where a NetworkPolicy lets only the ingress controller reach
 * the gateway), an address, or an address/prefix.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) addEntry(this.list, entry);
  }

  trusts(address: string): boolean {
    const plain = unmapped(address.split('%')[0]!);
    if (isIPv4(plain)) return this.list.check(plain, 'ipv4');
    if (isIPv6(plain)) return this.list.check(plain, 'ipv6');
    return false;
  }

  /**
   * The client a request comes from: its peer, or, while the peer is a trusted proxy, the address
   * that proxy appended to X-Forwarded-For (read from the right: each proxy appends the peer it saw).
   */
  clientOf(peer: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
    let address = peer;
    if (!address) return undefined;
    const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    while (this.trusts(address) && forwarded.length > 0) address = forwarded.pop()!;
    return address;
  }
}

export const defaultTrustedProxies: readonly string[] = ['loopback'];

/** Throws for an entry that is none of the accepted forms (configuration is checked at start). */
export function parseTrustedProxies(text: string): string[] {
  const entries = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const list = new BlockList();
  for (const entry of entries) addEntry(list, entry);
  return entries;
}

function addEntry(list: BlockList, entry: string): void {
  if (entry === 'loopback') {
    list.addSubnet('127.0.0.0', 8, 'ipv4');
    list.addAddress('::1', 'ipv6');
    return;
  }
  if (entry === 'private') {
    for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]] as const) list.addSubnet(network, prefix, 'ipv4');
    list.addSubnet('fc00::', 7, 'ipv6');
    return;
  }
  const [network = '', prefixText, extra] = entry.split('/');
  const family = isIPv4(network) ? 'ipv4' : isIPv6(network) ? 'ipv6' : undefined;
  if (!family || extra !== undefined) throw new Error(`"${entry}" is not loopback, private, an IP address or an address/prefix`);
  if (prefixText === undefined) {
    list.addAddress(network, family);
    return;
  }
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`"${entry}" has no valid prefix length`);
  list.addSubnet(network, prefix, family);
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4 peers) as the IPv4 address. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}
