import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TrustedProxies } from './pipeline/trusted-proxies';

/** What the gateway's checks need to know about a request, whichever HTTP layer received it. */
export interface RequestFacts {
  headers: IncomingHttpHeaders;
  /** The client's address (see clientAddress). */
  ip: string | undefined;
  requestId: string;
  /** Base URL clients use to reach the gateway (for upload/download links). */
  publicUrl: string;
}

/** The address a request's client is keyed by (see TrustedProxies.clientOf). */
export type ClientAddressOf = (req: IncomingMessage) => string | undefined;

export function clientAddressOf(trusted: TrustedProxies): ClientAddressOf {
  return (req) => trusted.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
}
