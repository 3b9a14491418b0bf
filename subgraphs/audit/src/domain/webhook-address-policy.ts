import { BlockList, isIP } from 'node:net';

/**
 * Which network addresses an alert webhook may be sent to. A tenant chooses the URL, and the audit
 * service sits inside the platform's network, so without this a tenant admin could make the
 * service POST to loopback, the private network or a cloud metadata endpoint. Everything outside
 * the refused ranges is allowed; the operator's allow-list re-opens ranges it trusts (a private
 * webhook relay, or the loopback receiver of the tests).
 */
export interface WebhookAddressPolicy {
  /** True when a connection to this IP address (v4 or v6, as resolved or written) may be made. */
  allowsAddress(address: string): boolean;
  /** True for host names refused before any resolution: cloud metadata names and private-use domains. */
  refusesHostname(hostname: string): boolean;
}

/** A CIDR range as the operator writes it, e.g. `10.20.0.0/16` or `fd00:1::/64`. */
export interface CidrRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

type Range = readonly [address: string, prefix: number, why: string];

/** Never a webhook receiver on the public internet; the `why` is for the reader. */
const refusedIpv4: readonly Range[] = [
  ['0.0.0.0', 8, '"this" network; 0.0.0.0 reaches the local host'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (Alibaba Cloud metadata is 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local: AWS, GCP and Azure metadata at 169.254.169.254'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments (Oracle Cloud metadata is 192.0.0.192)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved, with the limited broadcast 255.255.255.255'],
];

const refusedIpv6: readonly Range[] = [
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses; none is a public receiver.
  ['::', 96, 'unspecified, loopback, IPv4-compatible'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['fc00::', 7, 'unique local (AWS metadata over IPv6 is fd00:ec2::254)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'deprecated site-local'],
  ['ff00::', 8, 'multicast'],
];

/**
 * Metadata services' names, refused by name too: a resolver inside a cloud answers them with the
 * link-local address (refused anyway), but a split-horizon resolver might not. `.internal` is
 * reserved for private use, so no public receiver can be named in it.
 */
const refusedHostnames = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const refusedDomainSuffixes = ['.internal'];

/** `allowedRanges` are CIDR ranges (configuration has validated them; a bad one here is a bug and throws). */
export function createWebhookAddressPolicy(allowedRanges: readonly string[] = []): WebhookAddressPolicy {
  const refused = new BlockList();
  for (const [address, prefix] of refusedIpv4) refused.addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix] of refusedIpv6) refused.addSubnet(address, prefix, 'ipv6');
  const allowed = new BlockList();
  for (const text of allowedRanges) {
    const range = parseCidrRange(text);
    if (!range) throw new Error(`not a CIDR range: ${text}`);
    allowed.addSubnet(range.address, range.prefix, range.family);
  }

  const allowsAddress = (raw: string): boolean => {
    // A zone id (fe80::1%eth0) only ever scopes link-local or multicast addresses: refused.
    if (raw.includes('%')) return false;
    const family = isIP(raw);
    if (family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    // BlockList matches an IPv4-mapped address (::ffff:a.b.c.d) against IPv4 rules as well.
    if (allowed.check(raw, type)) return true;
    if (refused.check(raw, type)) return false;
    // An IPv6 address that carries an IPv4 one is judged by where it really leads.
    const embedded = family === 6 ? embeddedIpv4(raw) : undefined;
    return embedded === undefined ? true : allowsAddress(embedded);
  };

  return {
    allowsAddress,
    refusesHostname: (hostname) => {
      const name = hostname.toLowerCase().replace(/\.$/, '');
      return refusedHostnames.has(name) || refusedDomainSuffixes.some((suffix) => name.endsWith(suffix));
    },
  };
}

/**
 * Parses `a.b.c.d/n` or `x:y::/n` (a bare address means a single host). Undefined when it is not a
 * valid range, so configuration parsing can name the bad entry.
 */
export function parseCidrRange(value: string): CidrRange | undefined {
  const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(value.trim());
  if (!match) return undefined;
  const address = match[1]!;
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = match[2] === undefined ? max : Number(match[2]);
  if (prefix > max) return undefined;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** The host of a URL as an IP literal (brackets of IPv6 removed), or undefined for a name. */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * The IPv4 address an IPv6 address stands for, where the IPv6 form is only a wrapper: IPv4-mapped
 * (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
export function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const tail = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeroUpTo = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(5) && g5 === 0xffff) return tail(g6, g7);
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return tail(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return tail(g6, g7);
  if (g0 === 0x2002) return tail(g1, g2);
  return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` and a trailing dotted quad expanded). */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const groups = tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 ? groups : undefined;
}
