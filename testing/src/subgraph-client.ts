import { request as httpsRequest } from 'node:https';
import type { TlsIdentity } from '@tessera/service-kit';
import type { GraphQLResponse } from './graphql-client';

/** A client certificate and key to present (PEM), or none. */
export type ClientCertificate = Pick<TlsIdentity, 'cert' | 'key'> | undefined;

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One request straight to a subgraph (bypassing the gateway), as a caller holding `client`'s
 * certificate: the subgraph's server certificate is checked against `ca` and the name `subgraph`.
 * Rejects when the TLS handshake (or the connection, for a refused identity) fails.
 */
export function requestSubgraph(
  url: string,
  options: { subgraph: string; ca: string; client: ClientCertificate; method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
        ca: options.ca,
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
        servername: options.subgraph,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A GraphQL POST straight to a subgraph's `/graphql` (see requestSubgraph). */
export async function postToSubgraph<T = Record<string, unknown>>(
  url: string,
  options: { subgraph: string; ca: string; client: ClientCertificate; headers?: Record<string, string> },
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const response = await requestSubgraph(url, { ...options, headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify({ query, variables }) });
  let body: { data?: T | null; errors?: GraphQLResponse['errors'] } = {};
  try {
    body = JSON.parse(response.text) as typeof body;
  } catch {
    body = { errors: [{ message: `non-JSON response: ${response.text.slice(0, 200)}` }] };
  }
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}
