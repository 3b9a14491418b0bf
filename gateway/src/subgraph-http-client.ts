import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * The gateway's HTTP client for subgraph calls: plain node:http with a keep-alive pool.
 *
 * Apollo Gateway's default client (make-fetch-happen) and Node's fetch (undici, web streams) each
 * cost 0.4–0.6 ms of CPU per call in our profile (bench/gateway-profile.ts) — more than the rest of
 * the hop. A subgraph answer is one small JSON body, so buffering it and handing Apollo a minimal
 * Response (status, headers.get, text, json) is all that is needed.
 */
export interface LeanFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
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

export function createSubgraphHttpClient(options: { maxSockets?: number } = {}) {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 128 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 128 }),
  };
  const fetcher = (url: string, init: LeanFetchInit = {}): Promise<LeanResponse> =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const body = init.body ?? '';
      const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
      const send = secure ? httpsRequest : httpRequest;
      const req = send(url, { method: init.method ?? 'POST', headers, agent: secure ? agents.https : agents.http }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve(leanResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    fetcher,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
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
