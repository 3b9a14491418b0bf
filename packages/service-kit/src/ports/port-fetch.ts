import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { mutualTlsClientOptions, type TlsIdentity } from '../tls';

/** What a port client needs of an HTTP exchange: one small JSON request, one small JSON answer. */
export interface PortRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
}

export interface PortResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

export type PortFetch = (url: string, init: PortRequest) => Promise<PortResponse>;

/**
 * Port calls over mutual TLS: the caller presents its own service certificate (the owner reads
 * the caller's identity from it) and accepts only the owner's certificate. One keep-alive pool per
 * owner. Node's fetch cannot present a client certificate without a separate dispatcher package,
 * so this is plain node:https, like the gateway's subgraph client.
 */
export function mutualTlsPortFetch(identity: TlsIdentity, owner: string): PortFetch {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 32, ...mutualTlsClientOptions(identity, owner) });
  return (url, init) =>
    new Promise<PortResponse>((resolve, reject) => {
      if (!url.startsWith('https:')) {
        reject(new Error(`The ${owner} port URL must be https (mutual TLS): ${url}`));
        return;
      }
      const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
      const req = httpsRequest(url, { method: init.method, headers, agent, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ ok: status >= 200 && status < 300, status, text: () => Promise.resolve(text) });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}
