import { TesseraError } from '@tessera/errors';

/** A GraphQL operation as a client sent it, whichever transport carried it. */
export interface OperationRequest {
  query: string;
  operationName: string | undefined;
  variables: Readonly<Record<string, unknown>> | undefined;
}

const badRequest = (message: string) => new TesseraError('BAD_REQUEST', message);

/**
 * The operation of a POST body (already parsed JSON) or of GET search parameters, checked for
 * shape only: `query` a string, `operationName` a string or absent, `variables` an object or
 * absent. Anything else is BAD_REQUEST here, so nothing downstream sees a malformed request.
 */
export function operationFromBody(body: unknown): OperationRequest {
  if (Array.isArray(body)) throw badRequest('Batched operations are not accepted: send one operation per request.');
  if (typeof body !== 'object' || body === null) throw badRequest('Send a JSON object: { "query": "…", "variables": { … }, "operationName": "…" } with Content-Type: application/json.');
  const fields = body as Record<string, unknown>;
  return operationOf(fields['query'], fields['operationName'], fields['variables'], fields['extensions']);
}

export function operationFromSearch(search: URLSearchParams): OperationRequest {
  const json = (name: string): unknown => {
    const text = search.get(name);
    if (text === null || text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw badRequest(`The ${name} parameter is not valid JSON.`);
    }
  };
  return operationOf(search.get('query') ?? undefined, search.get('operationName') ?? undefined, json('variables'), json('extensions'));
}

function operationOf(query: unknown, operationName: unknown, variables: unknown, extensions: unknown): OperationRequest {
  if (query === undefined || query === null || query === '') {
    const persisted = typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions;
    if (persisted) throw new TesseraError('PERSISTED_QUERY_NOT_SUPPORTED', 'Persisted queries are not supported: send the query text.');
    throw badRequest('The request has no query: send the operation text in "query".');
  }
  if (typeof query !== 'string') throw badRequest('"query" must be a string.');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') throw badRequest('"operationName" must be a string.');
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) throw badRequest('"variables" must be an object.');
  return {
    query,
    operationName: typeof operationName === 'string' && operationName !== '' ? operationName : undefined,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
  };
}
