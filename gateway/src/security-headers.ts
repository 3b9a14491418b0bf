import type { ServerResponse } from 'node:http';

/**
 * What every HTTP answer of the gateway tells a browser, as the console's server does for its own
 * (console/server/static-server.ts): no MIME sniffing (an error reflects the request's path, a
 * download carries a tenant's bytes), no Referer to other sites, and no framing by any page (the
 * landing page embeds Apollo Sandbox, which runs operations with the headers a user saved in it:
 * framed by another site, a user's click could be taken for its Run button). `frame-ancestors` is
 * the only directive of the header policy: the landing page keeps its own policy (a meta element),
 * and the browser applies both. No Strict-Transport-Security: it binds a host name on every port,
 * and a console served over plain HTTP on the same host (compose: http://localhost:3000) would
 * then be unreachable in that browser; browsers call the API from pages, not by navigating to it.
 */
export function securityHeaders(): ReadonlyArray<[string, string]> {
  return [
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['x-frame-options', 'DENY'],
    ['content-security-policy', "frame-ancestors 'none'"],
  ];
}

export function applySecurityHeaders(res: ServerResponse, headers: ReadonlyArray<[string, string]>): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}
