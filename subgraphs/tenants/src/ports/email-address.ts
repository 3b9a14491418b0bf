import { domainToASCII } from 'node:url';

// The local part as mail systems write it unquoted: no spaces, controls, quotes or the other
// characters RFC 5322 reserves; dots only between characters. Non-ASCII letters are allowed (SMTPUTF8).
const localPartPattern = /^(?!\.)(?!.*\.\.)[^\s@"(),:;<>[\]\\\x00-\x1f\x7f]{1,64}(?<!\.)$/u;

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
  const domain = domainToASCII(address.slice(at + 1).toLowerCase());
  if (!domain || !domain.includes('.') || domain.startsWith('.') || domain.endsWith('.')) return undefined;
  // A host name DNS can hold: at most 253 characters, labels of 1 to 63 (RFC 1035), in ASCII form.
  if (domain.length > 253 || domain.split('.').some((label) => label.length === 0 || label.length > 63)) return undefined;
  return `${local.toLowerCase()}@${domain}`;
}
