import { domainToASCII } from 'node:url';

// The local part as mail systems write it unquoted: no spaces, controls, quotes or the other
// characters RFC 5322 reserves; dots only between characters. Non-ASCII letters are allowed (SMTPUTF8).
const localPartPattern = /^(?!\.)(?!.*\.\.)[^\s@"(),:;<>[\]\\\x00-\x1f\x7f]{1,64}(?<!\.)$/u;

const domainAsWritten = /^[a-z0-9.\-\u0080-\u{10ffff}]+$/u;
const hostLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * One spelling per address, so an invitation and a token's `email` claim compare equal however
 * either was written: lowercase, and the domain in its ASCII (punycode) form — `rv@例え.jp` and
 * `rv@xn--r8jz45g.jp` are one address. undefined: not an address (a domain that is no host name,
 * or a local part not in its NFKC form: lowercasing would turn the Kelvin sign of `\u212Aim` into
 * the `k` of `kim`, another mailbox, and a decomposed `é` would be a second spelling of one).
 */
export function canonicalEmail(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || address.length > 320) return undefined;
  const local = address.slice(0, at);
  if (!localPartPattern.test(local) || local.normalize('NFKC') !== local) return undefined;
  const written = address.slice(at + 1).toLowerCase();
  // Only host-name characters as written (non-ASCII letters for IDNA): domainToASCII is a URL host
  // parser, which decodes percent escapes (`corp.c%6fm` became `corp.com`) and reads numbers as an
  // IPv4 address (`0x7f.1` became `127.0.0.1`) — other strings, which no mail to the one reaches the
  // other by, so a token's verified `victim@corp.c%6fm` bound the invitation of `victim@corp.com`.
  if (!domainAsWritten.test(written)) return undefined;
  const domain = domainToASCII(written);
  if (!domain || !domain.includes('.') || domain.startsWith('.') || domain.endsWith('.')) return undefined;
  // A host name DNS can hold: at most 253 characters, labels of 1 to 63 letters, digits and inner
  // hyphens (RFC 1035, 5321), in ASCII form, the last one not a number (no address literal).
  const labels = domain.split('.');
  if (domain.length > 253 || labels.some((label) => !hostLabel.test(label)) || /^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return `${local.toLowerCase()}@${domain}`;
}
