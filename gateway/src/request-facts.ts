import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What the gateway's checks need to know about a request, whichever HTTP layer received it. */
export interface RequestFacts {
  headers: IncomingHttpHeaders;
  /** The client's address (see clientAddress). */
  ip: string | undefined;
  requestId: string;
  /** Base URL clients use to reach the gateway (for upload/download links). */
  publicUrl: string;
}

const loopback = (address: string): boolean => /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

/**
 * The client address as express computes it with `trust proxy = 'loopback'`: a proxy on this
 * machine may say who its client was (X-Forwarded-For), nobody else may.
 */
export function clientAddress(req: IncomingMessage): string | undefined {
  let address = req.socket.remoteAddress;
  if (!address) return undefined;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  while (loopback(address) && forwarded.length > 0) address = forwarded.pop()!;
  return address;
}
