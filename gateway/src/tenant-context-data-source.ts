import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { internalContextHeader, requestIdHeader, type Caller } from '@tessera/auth';
import { injectTraceHeaders } from '@tessera/telemetry';
import type { GatewayContext } from './gateway-context';
import type { LeanFetcher, LeanResponse } from './subgraph-http-client';

/** Signs a context for one hop: the caller, for the subgraph named `audience`. */
export type HopSigner = (caller: Caller, audience: string) => Promise<string>;
/** What Apollo Gateway expects back from a subgraph call (its own type, without importing its internals' package). */
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource<GatewayContext>['process']>>;

export const publicUrlHeader = 'x-tessera-public-url';

/**
 * How the gateway talks to a subgraph: every request carries a gateway-signed internal context
 * (who, which tenant, which roles) minted for this subgraph and this one call, and the W3C trace
 * context, so the subgraph trusts nothing the client sent and the trace continues across the hop.
 * The fetcher is the subgraph's mutual-TLS client (subgraph-http-client.ts): the context is bound
 * to the certificate it presents.
 *
 * It implements Apollo Gateway's `GraphQLDataSource` contract itself instead of extending
 * `RemoteGraphQLDataSource`: that class builds node-fetch `Headers` and a node-fetch `Request`
 * (URL parsing included) for every subgraph call, only to hand plain values to the fetcher, and
 * it is the largest avoidable cost of the hop in the gateway's CPU profile (bench/gateway-profile.ts).
 * What it does is kept: a JSON POST of { query, variables, operationName, extensions }; a non-2xx
 * answer becomes a GraphQLError "<status>: <statusText>" (401 → UNAUTHENTICATED, 403 → FORBIDDEN,
 * as Apollo does; 502/503/504 → SERVICE_UNAVAILABLE); a body that is not a JSON object is an error. Left out: automatic persisted
 * queries (off by default there too) and subgraph Cache-Control hints (the gateway disables cache
 * control: answers are per tenant and never cached).
 */
export class TenantContextDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    private readonly url: string,
    private readonly sign: HopSigner,
    private readonly fetcher: LeanFetcher,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = options.request;
    if (!query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    // Apollo adds headers of its own here only for federated tracing (ftv1), which is not enabled.
    for (const [name, value] of options.request.http?.headers ?? []) headers[name.toLowerCase()] = value;
    let response: LeanResponse;
    // Only a client's operation carries `incomingRequestContext`: it tells the kinds apart without
    // Apollo's request-kind enum, which the package keeps in its dist/ internals.
    if ('incomingRequestContext' in options) {
      // The gateway's single-fetch path already sent exactly this operation for this request and
      // hands Apollo the subgraph's answer instead of a second call (prepared/single-fetch-executor.ts).
      const prefetched = options.context.prefetched;
      if (prefetched && prefetched.serviceName === this.subgraph && prefetched.query === query) {
        options.context.prefetched = undefined;
        response = await prefetched.response;
      } else {
        response = await this.send(options.context, { query, variables, operationName, extensions }, headers);
      }
    } else {
      // Schema loading and health checks: the gateway itself, which may read `_service` only.
      headers['content-type'] = 'application/json';
      headers[internalContextHeader] = await this.sign({ kind: 'gateway', requestId: randomUUID() }, this.subgraph);
      injectTraceHeaders(headers);
      response = await this.fetcher(this.url, { method: 'POST', headers, body: JSON.stringify({ query, variables, operationName, extensions }) });
    }
    return interpretResponse(response);
  }

  /** One call for a client's operation: a context signed for this subgraph and this call, the request id, the public URL, the trace. */
  async send(context: GatewayContext, request: SubgraphRequest, headers: Record<string, string> = {}): Promise<LeanResponse> {
    headers['content-type'] = 'application/json';
    headers[internalContextHeader] = await this.sign({ ...context.principal, requestId: context.requestId }, this.subgraph);
    headers[requestIdHeader] = context.requestId;
    headers[publicUrlHeader] = context.publicUrl;
    injectTraceHeaders(headers);
    return this.fetcher(this.url, { method: 'POST', headers, body: JSON.stringify(request) });
  }
}

/** What is posted to a subgraph. */
export interface SubgraphRequest {
  query: string;
  variables?: Readonly<Record<string, unknown>> | undefined;
  operationName?: string | undefined;
  extensions?: Readonly<Record<string, unknown>> | undefined;
}

/** A subgraph's answer as Apollo Gateway expects it, or the error RemoteGraphQLDataSource would raise. */
async function interpretResponse(response: LeanResponse): Promise<GatewayGraphQLResponse> {
  if (!response.ok) throw await errorFromResponse(response);
  const body = await parseBody(response);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error(`Expected JSON response body, but received: ${String(body)}`);
  }
  return body as GatewayGraphQLResponse;
}

function parseBody(response: LeanResponse): Promise<unknown> {
  const type = response.headers.get('content-type');
  return type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) ? response.json() : response.text();
}

/** A proxy or load balancer in front of a subgraph that cannot reach it, or the subgraph shedding load. */
const unavailableStatuses = new Set([502, 503, 504]);

/**
 * The error RemoteGraphQLDataSource reports for a non-2xx subgraph answer, plus SERVICE_UNAVAILABLE
 * for 502/503/504 (the gateway's masker keeps registered codes and replaces everything else).
 */
async function errorFromResponse(response: LeanResponse): Promise<GraphQLError> {
  const body = await parseBody(response).catch(() => undefined);
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : unavailableStatuses.has(response.status) ? 'SERVICE_UNAVAILABLE' : undefined;
  return new GraphQLError(`${response.status}: ${response.statusText}`, {
    extensions: { ...(code ? { code } : {}), response: { url: response.url, status: response.status, statusText: response.statusText, body } },
  });
}
