import { TesseraError } from '@tessera/errors';
import { countJsonValues } from './variable-values';

/** A GraphQL operation with its document text, whichever transport carried it. */
export interface OperationRequest {
  query: string;
  operationName: string | undefined;
  variables: Readonly<Record<string, unknown>> | undefined;
}

/**
 * An operation as a client sent it: the document text, or a persisted document's id (the SHA-256
 * of its text, lower-case hex), or both (an automatic persisted query registering its text).
 * The id comes from Apollo's APQ extension (`extensions.persistedQuery.sha256Hash`, version 1) or
 * from GraphQL-over-HTTP's persisted-documents `documentId` (`sha256:<hex>`).
 */
export interface IncomingOperation {
  query: string | undefined;
  documentHash: string | undefined;
  operationName: string | undefined;
  variables: Readonly<Record<string, unknown>> | undefined;
  /**
   * How many values the request's JSON holds, wherever they are (variables, extensions, keys the
   * gateway ignores): all were parsed, and they are paid for by count (`variableValuesCost`).
   */
  values: number;
  /**
   * How long the request was as sent (its JSON body, or its URL's search; 0 where the transport
   * paid for its bytes already, as a WebSocket message does): all of it was read and parsed, and a
   * string value is one value however long, so its size is paid for besides the document's.
   */
  bytes: number;
  /** Sent as GET /graphql's search parameters: such a request may run a query only (see the pipeline). */
  viaGet?: true | undefined;
}

const badRequest = (message: string) => new TesseraError('BAD_REQUEST', message);
const sha256Hex = /^[0-9a-f]{64}$/;

/**
 * The operation of a POST body (already parsed JSON) or of GET search parameters, checked for
 * shape only: `query` a string or absent (then a document id), `operationName` a string or absent,
 * `variables` an object or absent. Anything else is BAD_REQUEST here, so nothing downstream sees a
 * malformed request.
 */
export function operationFromBody(body: unknown, bytes = 0): IncomingOperation {
  if (Array.isArray(body)) throw badRequest('Batched operations are not accepted: send one operation per request.');
  if (typeof body !== 'object' || body === null) throw badRequest('Send a JSON object: { "query": "…", "variables": { … }, "operationName": "…" } with Content-Type: application/json.');
  const fields = body as Record<string, unknown>;
  return { ...operationOf(fields['query'], fields['documentId'], fields['operationName'], fields['variables'], fields['extensions']), values: countJsonValues(body), bytes };
}

export function operationFromSearch(search: URLSearchParams): IncomingOperation {
  const json = (name: string): unknown => {
    const text = search.get(name);
    if (text === null || text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw badRequest(`The ${name} parameter is not valid JSON.`);
    }
  };
  const variables = json('variables');
  const extensions = json('extensions');
  return { ...operationOf(search.get('query') ?? undefined, search.get('documentId') ?? undefined, search.get('operationName') ?? undefined, variables, extensions), values: countJsonValues([variables, extensions]), bytes: search.toString().length, viaGet: true };
}

function operationOf(query: unknown, documentId: unknown, operationName: unknown, variables: unknown, extensions: unknown): Omit<IncomingOperation, 'values' | 'bytes'> {
  if (query !== undefined && query !== null && typeof query !== 'string') throw badRequest('"query" must be a string.');
  const text = typeof query === 'string' && query !== '' ? query : undefined;
  const documentHash = documentHashOf(documentId, extensions);
  if (text === undefined && documentHash === undefined) throw badRequest('The request has no query: send the operation text in "query".');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') throw badRequest('"operationName" must be a string.');
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) throw badRequest('"variables" must be an object.');
  if (variables) assertFiniteNumbers(variables);
  return {
    query: text,
    documentHash,
    operationName: typeof operationName === 'string' && operationName !== '' ? operationName : undefined,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
  };
}

/** The SHA-256 a request names its document by, if it names one; a malformed or contradictory id is BAD_REQUEST. */
function documentHashOf(documentId: unknown, extensions: unknown): string | undefined {
  let fromId: string | undefined;
  if (documentId !== undefined && documentId !== null && documentId !== '') {
    const match = typeof documentId === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(documentId) : null;
    if (!match) throw badRequest('"documentId" must be "sha256:" followed by the lower-case hex SHA-256 of the document.');
    fromId = match[1];
  }
  let fromExtension: string | undefined;
  const persisted = typeof extensions === 'object' && extensions !== null ? (extensions as Record<string, unknown>)['persistedQuery'] : undefined;
  if (persisted !== undefined && persisted !== null) {
    const fields = typeof persisted === 'object' ? (persisted as Record<string, unknown>) : {};
    if (fields['version'] !== 1) throw badRequest('Unsupported persisted query version: send extensions.persistedQuery.version 1.');
    const hash = typeof fields['sha256Hash'] === 'string' ? fields['sha256Hash'].toLowerCase() : '';
    if (!sha256Hex.test(hash)) throw badRequest('extensions.persistedQuery.sha256Hash must be the hex SHA-256 of the document.');
    fromExtension = hash;
  }
  if (fromId !== undefined && fromExtension !== undefined && fromId !== fromExtension) throw badRequest('"documentId" and extensions.persistedQuery name different documents.');
  return fromId ?? fromExtension;
}

/**
 * JSON.parse reads `1e999` as Infinity, which no GraphQL number holds; Apollo's query planner threw
 * on it (HTTP 500). Refused here, naming where it is. An explicit stack: a deeply nested variable
 * must not overflow the call stack.
 */
function assertFiniteNumbers(variables: object): void {
  const pending: Array<[unknown, string]> = Object.entries(variables).map(([name, value]) => [value, name]);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TesseraError('BAD_USER_INPUT', `variables.${path.slice(0, 200)} is a number no GraphQL Float or Int can hold.`, { field: `variables.${path.slice(0, 200)}` });
    }
    if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) pending.push([inner, `${path}.${key}`]);
    }
  }
}
