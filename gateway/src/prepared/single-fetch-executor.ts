import type { ServerResponse } from 'node:http';
import { getVariableValues, type GraphQLSchema } from 'graphql';
import type { OperationType, RequestObservation } from '@tessera/monitoring';
import type { GatewayContext } from '../gateway-context';
import type { LeanResponse } from '../subgraph-http-client';
import type { SubgraphRequest } from '../tenant-context-data-source';

/** Sends one operation to one subgraph for a request (TenantContextDataSource.send: signed context, request id, trace). */
export interface SubgraphSender {
  send(context: GatewayContext, request: SubgraphRequest): Promise<LeanResponse>;
}

export interface SingleFetchDeps {
  /** The data source of each subgraph, by name (the ones Apollo Gateway uses). */
  subgraphs: ReadonlyMap<string, SubgraphSender>;
  /** The current API schema: variables are coerced against it as Apollo would. */
  schema: () => GraphQLSchema | undefined;
  /** The request-metrics step (what the Apollo plugin records on the other path). */
  recordRequest: (observation: RequestObservation) => void;
}

/** What Apollo Server answers a single result with for a plain `Accept`. */
const applicationJson = 'application/json; charset=utf-8';

/**
 * The gateway's fast path for a prepared operation whose plan is one subgraph fetch asking for
 * exactly what the client asked (single-fetch.ts). Every pipeline step has already run for this
 * request (authentication, tenant, limits, slot, cost, budget); the internal context is signed for
 * this call by the data source, as on Apollo's path. The subgraph's answer is sent as it came when
 * it holds data and nothing else (no errors, no extensions): that is the answer Apollo Gateway
 * would build, and building it costs more CPU than the rest of the request. Anything else — errors,
 * a non-2xx status, a network failure — is handed to Apollo as this fetch's result (`prefetched`),
 * so error shaping, masking and status codes are Apollo's own, from one subgraph call.
 *
 * Returns true when it answered; false when Apollo must run the request (with `prefetched` set if
 * the subgraph was called).
 */
export function createSingleFetchExecutor(deps: SingleFetchDeps) {
  /** Answers sent from the subgraph's body; subgraph answers handed to Apollo (errors, failures). */
  const stats = { answered: 0, handedToApollo: 0 };
  async function answer(context: GatewayContext, res: ServerResponse, accept: string | undefined): Promise<boolean> {
    const route = context.prepared?.route;
    const request = context.operationRequest;
    const schema = deps.schema();
    const subgraph = route ? deps.subgraphs.get(route.serviceName) : undefined;
    if (!route || !request || !schema || !subgraph || !plainJsonAccepted(accept)) return false;
    const operation = context.prepared!.parsed.operation;
    // Invalid variables are Apollo's to refuse (before any subgraph call), with its own messages.
    if ((operation.variableDefinitions?.length ?? 0) > 0 && getVariableValues(schema, operation.variableDefinitions!, request.variables ?? {}).errors) return false;

    const startedAt = Date.now();
    const startedHr = process.hrtime.bigint();
    const variables: Record<string, unknown> = {};
    for (const name of route.variableUsages) {
      const value = request.variables?.[name];
      if (value !== undefined && Object.prototype.hasOwnProperty.call(request.variables, name)) variables[name] = value;
    }
    const sent = subgraph.send(context, { query: route.query, variables, operationName: route.operationName });
    let text: string | undefined;
    try {
      const response = await sent;
      if (response.ok && isJson(response.headers.get('content-type'))) {
        const body = await response.text();
        if (isDataOnly(body)) text = body;
      }
    } catch {
      // Apollo reports it, from the same rejected call.
    }
    if (text === undefined) {
      sent.catch(() => undefined);
      context.prefetched = { serviceName: route.serviceName, query: route.query, response: sent };
      stats.handedToApollo += 1;
      return false;
    }
    stats.answered += 1;
    context.releaseSlot();
    if (context.tenant) {
      deps.recordRequest({
        tenantId: context.tenant.id,
        startedAt,
        operationType: operation.operation as OperationType,
        operationName: operation.name?.value ?? null,
        latencyMs: Number(process.hrtime.bigint() - startedHr) / 1e6,
        errorCodes: [],
      });
    }
    res.statusCode = 200;
    res.setHeader('content-type', applicationJson);
    res.end(text);
    return true;
  }
  return { answer, stats };
}

/** The Accepts Apollo answers with plain JSON without negotiating (json-content-type-plugin.ts). */
function plainJsonAccepted(accept: string | undefined): boolean {
  const value = accept?.trim();
  return value === undefined || value === '' || value === '*/*' || value === 'application/json';
}

function isJson(type: string | null): boolean {
  return type !== null && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'));
}

/** A JSON object whose only member is a non-null object `data`. */
function isDataOnly(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  let members = 0;
  for (const key in parsed) {
    members += 1;
    if (key !== 'data') return false;
  }
  const data = (parsed as { data?: unknown }).data;
  return members === 1 && typeof data === 'object' && data !== null && !Array.isArray(data);
}
