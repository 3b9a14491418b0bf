import { STATUS_CODES } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import type { SubgraphAgents } from './subgraph-tls';

/** URLs remembered per subgraph fetcher (a fixed handful in practice; the bound keeps a mistake from growing it). */
const maxTargets = 64;

/**
 * The gateway's HTTP client for subgraph calls: undici's pool API (mutual TLS, one keep-alive pool
 * per subgraph, see subgraph-tls.ts), with the answer buffered.
 *
 * Apollo Gateway's default client (make-fetch-happen) and Node's fetch (undici behind web streams)
 * each cost 0.4–0.6 ms of CPU per call in our profile (bench/gateway-profile.ts), and node:https with
 * a keep-alive agent about twice what undici's `Pool.request` costs (ClientRequest, agent
 * bookkeeping, stream events). A subgraph answer is one small JSON body, so buffering it and
 * handing Apollo a minimal Response (status, headers.get, text, json) is all that is needed.
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

type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A fetcher for one subgraph: only https URLs, over that subgraph's mutual-TLS pool. */
export function createSubgraphFetcher(agents: SubgraphAgents, subgraph: string): LeanFetcher {
  // A subgraph is called at one or two URLs (its GraphQL endpoint, an internal route): parsed once.
  const targets = new Map<string, { pool: Pool; path: string }>();
  return async (url, init = {}) => {
    let target = targets.get(url);
    if (!target) {
      if (!url.startsWith('https:')) throw new Error(`The ${subgraph} subgraph URL must be https (mutual TLS): ${url}`);
      const parsed = new URL(url);
      target = { pool: agents.pool(subgraph, parsed.origin), path: parsed.pathname + parsed.search };
      if (targets.size < maxTargets) targets.set(url, target);
    }
    const reply = await target.pool.request({
      path: target.path,
      method: (init.method ?? 'POST') as Dispatcher.HttpMethod,
      headers: init.headers ?? {},
      body: init.body ?? '',
    });
    const text = await reply.body.text();
    return leanResponse(url, reply.statusCode, reply.headers, text);
  };
}

function leanResponse(url: string, status: number, headers: ResponseHeaders, text: string): LeanResponse {
  return {
    ok: status >= 200 && status < 300,
    status,
    // HTTP/1.1 reason phrases are optional and undici does not expose them; Node servers send these.
    statusText: STATUS_CODES[status] ?? '',
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
