import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipLiteralOf, type WebhookAddressPolicy } from './webhook-address-policy';
import { guardedLookup, isAddressRefused, resolveWithSystem, type ResolveHost } from './webhook-lookup';
import type { WebhookOutcome } from './webhook-outcome';

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The tenant the webhook is of: its host lookups count against that tenant's share. */
  owner?: string;
}

export interface WebhookAttempt {
  outcome: WebhookOutcome;
  /** What happened in the transport's words, for the operator's log only: it may name addresses and status codes. */
  detail: string;
}

export interface WebhookTransport {
  post(request: WebhookPost): Promise<WebhookAttempt>;
  close(): void;
}

const timeoutCode = 'WEBHOOK_TIMEOUT';

/**
 * POSTs webhooks only to addresses the policy allows, checked where the connection is made: a host
 * name through the agents' guarded `lookup` (the socket connects to exactly the addresses checked),
 * an IP literal here, since Node never calls `lookup` for one. The answer's status is read and the
 * body discarded unread; a redirect is an outcome of its own, never followed.
 */
export function createWebhookTransport(policy: WebhookAddressPolicy, resolve: ResolveHost = resolveWithSystem): WebhookTransport {
  // Agents of their own: no socket is shared with the process's other HTTP clients, none kept open.
  // The guarded lookup goes with each request, not the agents (whose options would override it),
  // so each connection's lookups count against the tenant it is made for.
  const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  return {
    post: async (request) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return { outcome: 'CONNECTION_FAILED', detail: 'invalid URL' };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { outcome: 'CONNECTION_FAILED', detail: `unsupported scheme ${url.protocol}` };
      const literal = ipLiteralOf(url.hostname);
      if (literal !== undefined && !policy.allowsAddress(literal)) return { outcome: 'REFUSED_ADDRESS', detail: `address ${literal} refused` };
      const lookup = guardedLookup(policy, resolve, request.owner);
      return send(url, url.protocol === 'https:' ? https.request : http.request, url.protocol === 'https:' ? agents.https : agents.http, lookup, request);
    },
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function send(url: URL, request: typeof http.request, agent: http.Agent, lookup: LookupFunction, post: WebhookPost): Promise<WebhookAttempt> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, lookup, headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) } });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${post.timeoutMs} ms`), { code: timeoutCode })), post.timeoutMs);
    req.on('response', (response) => {
      clearTimeout(timer);
      const status = response.statusCode ?? 0;
      // Nothing of the answer but its status is ever looked at.
      response.destroy();
      resolve({ outcome: outcomeOfStatus(status), detail: `HTTP ${status}` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(outcomeOfError(error));
    });
    req.end(post.body);
  });
}

function outcomeOfStatus(status: number): WebhookOutcome {
  if (status >= 200 && status < 300) return 'DELIVERED';
  if (status >= 300 && status < 400) return 'REDIRECT_NOT_FOLLOWED';
  return 'HTTP_ERROR';
}

function outcomeOfError(error: NodeJS.ErrnoException): WebhookAttempt {
  const detail = `${error.code ?? error.name}: ${error.message}`.slice(0, 500);
  if (isAddressRefused(error)) return { outcome: 'REFUSED_ADDRESS', detail };
  if (error.code === timeoutCode) return { outcome: 'TIMEOUT', detail };
  return { outcome: 'CONNECTION_FAILED', detail };
}
