import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { SubgraphAgents } from './subgraph-tls';

/**
 * The gateway's HTTP client for subgraph calls: plain node:https (mutual TLS, one keep-alive pool
 * per subgraph, see subgraph-tls.ts).
 *
 * Apollo Gateway's default client (make-fetch-happen) and Node's fetch (undici, web streams) each
 * cost 0.4–0.6 ms of CPU per call in our profile (bench/gateway-profile.ts) — more than the rest of
 * the hop. A subgraph answer is one small JSON body, so buffering it and handing Apollo a minimal
 * Response (status, headers.get, text, json) is all that is needed.
 */
export interface LeanFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface LeanResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type LeanFetcher = (url: string, init?: LeanFetchInit) => Promise<LeanResponse>;

/** A fetcher for one subgraph: only https URLs, over that subgraph's mutual-TLS pool. */
export function createSubgraphFetcher(agents: SubgraphAgents, subgraph: string): LeanFetcher {
  const agent: HttpsAgent = agents.agent(subgraph);
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      if (!url.startsWith('https:')) {
        reject(new Error(`The ${subgraph} subgraph URL must be https (mutual TLS): ${url}`));
        return;
      }
      const body = init.body ?? '';
      const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
      const req = httpsRequest(url, { method: init.method ?? 'POST', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve(leanResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(body);
    });
}

function leanResponse(url: string, status: number, statusText: string, headers: IncomingHttpHeaders, text: string): LeanResponse {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    url,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: () => Promise.resolve(text),
    json: () => Promise.resolve().then(() => JSON.parse(text) as unknown),
  };
}
