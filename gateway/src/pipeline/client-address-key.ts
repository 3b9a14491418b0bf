import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is limited under. An IPv4 address is its own key (an IPv4-mapped IPv6
 * address is the IPv4 address it maps). An IPv6 address is keyed by its /64 prefix: one customer
 * line or host usually holds a whole /64, so limiting single IPv6 addresses would let a client
 * rotate through 2^64 of them and never run out of budget. No address at all shares one key.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const withoutZone = address.split('%')[0]!;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(withoutZone);
  if (mapped) return mapped[1]!;
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return address.slice(0, 64);
  return `${expandIPv6(withoutZone).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 address, `::` expanded and an embedded IPv4 tail converted. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const parts = (text: string): string[] =>
    text === ''
      ? []
      : text.split(':').flatMap((part) => {
          if (!part.includes('.')) return [part.toLowerCase().replace(/^0+(?=.)/, '')];
          const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        });
  const left = parts(head);
  if (tail === undefined) return left;
  const right = parts(tail);
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}
