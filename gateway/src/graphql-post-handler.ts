import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { TesseraError } from '@tessera/errors';
import type { GatewayContext } from './gateway-context';
import type { RequestFacts } from './request-facts';
import { plainHttpRoute } from './plain-http-route';
import { readBodyBytes } from './request-body';
import { onAnswerBytes } from './answer-bytes';
import type { TransferPace } from './transfer-pace';
import { releaseWithResponse } from './release-with-response';
import type { Caller } from './pipeline/request-pipeline';

export interface GraphQLPostHandlerOptions {
  maxBodyBytes: number;
  /** The pipeline's first steps, before the body is read (authentication, a budget left): see pipeline/request-pipeline.ts. */
  admit(facts: RequestFacts): Promise<Caller>;
  /** The pipeline's remaining steps for the admitted caller and the parsed body (`bytes` long). */
  context(caller: Caller, facts: RequestFacts, body: unknown, bytes: number): Promise<GatewayContext>;
  /** A body that is not JSON: paid for as a refused document of its length (the pipeline's refuseBody). */
  refuseBody(caller: Caller, bytes: number, error: unknown): Promise<void>;
  /** An admitted operation's answer was sent, `bytes` long: what it adds to the caller's cost (the pipeline's answered). */
  answered?(caller: Caller, bytes: number): void;
  /** How fast a client must take an answer (answer-bytes.ts); behind it, the connection is destroyed. */
  answerPace?: TransferPace | undefined;
  /** Answers a prepared single-fetch operation without Apollo when it can (prepared/single-fetch-executor.ts); false: Apollo runs it. */
  singleFetch?(context: GatewayContext, res: ServerResponse, accept: string | undefined): Promise<boolean>;
  /** CORS headers for an allowed origin (the same function express uses for other routes). */
  applyCors(origin: string | undefined, setHeader: (name: string, value: string) => void): void;
  /** What the pipeline needs to know of the request: its client (through trusted proxies), public URL, id. */
  factsOf(req: IncomingMessage, requestId: string): RequestFacts;
}

/**
 * `POST /graphql`, the gateway's hot path, on plain node:http instead of express. It does exactly
 * what the express stack did for this route (request id, CORS, server span, a strict JSON body of
 * at most `maxBodyBytes`, typed errors for bad bodies) and hands the request to Apollo Server,
 * skipping the router, body-parser and integration layers that cost more CPU per request than
 * anything the gateway does itself (bench/gateway-profile.ts). Every other route stays on express.
 */
export function createGraphQLPostHandler(server: ApolloServer<GatewayContext>, options: GraphQLPostHandlerOptions) {
  return plainHttpRoute('gateway POST /graphql', options.applyCors, handle);

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const facts = options.factsOf(req, requestId);
    let caller: Caller;
    try {
      caller = await options.admit(facts);
    } catch (error) {
      // Refused on its headers alone: the body is drained unread, the connection stays usable (up to
      // 64 KiB declared; a larger or chunked body closes the connection instead, unread-body.ts).
      req.resume();
      throw error;
    }
    const bytes = await readBodyBytes(req, options.maxBodyBytes);
    let body: unknown;
    try {
      body = parseJsonBody(req, bytes);
    } catch (error) {
      await options.refuseBody(caller, bytes.length, error);
      throw error;
    }
    let apolloBody = body;
    let context: () => Promise<GatewayContext>;
    if (typeof body === 'object' && body !== null) {
      // A JSON body passes Apollo's CSRF check and reaches its context step: run the pipeline
      // first, so a prepared operation can be answered here and a persisted one handed to Apollo
      // with its text. A refusal is thrown from Apollo's context step, exactly as before.
      const outcome = await options.context(caller, facts, body, bytes.length).then(
        (admitted) => ({ admitted }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) {
        context = () => Promise.reject(outcome.error);
      } else {
        const { admitted } = outcome;
        // However the request ends, the tenant's operation slot is given back with the response.
        releaseWithResponse(res, admitted.releaseSlot);
        // Its answer, however it is made (single fetch or Apollo), is paid by its size once sent.
        if (options.answered) onAnswerBytes(res, (sent) => options.answered!(caller, sent), { pace: options.answerPace });
        if (options.singleFetch && (await options.singleFetch(admitted, res, req.headers.accept))) return;
        apolloBody = withDocumentText(body as Record<string, unknown>, admitted);
        context = () => Promise.resolve(admitted);
      }
    } else {
      context = async () => {
        const admitted = await options.context(caller, facts, body, bytes.length);
        releaseWithResponse(res, admitted.releaseSlot);
        return admitted;
      };
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '/graphql';
    const query = url.indexOf('?');
    const search = query >= 0 ? url.slice(query) : '';
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search, body: apolloBody },
      context,
    });
    res.statusCode = response.status ?? 200;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/**
 * The body Apollo runs: a request that named its document by id (APQ's `persistedQuery` extension,
 * `documentId`) gets the document's text instead; Apollo itself never sees persisted queries.
 */
function withDocumentText(given: Record<string, unknown>, admitted: GatewayContext): unknown {
  // "" names no operation (the pipeline reads it so); Apollo would look for an operation named "" (a 500).
  const { operationName, ...unnamed } = given;
  const body = operationName === '' ? unnamed : given;
  const extensions = body['extensions'];
  const named = body['documentId'] !== undefined || (typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions);
  if (!named || !admitted.operationRequest) return body;
  const { documentId: _documentId, extensions: _extensions, ...rest } = body;
  const { persistedQuery: _persistedQuery, ...otherExtensions } = (typeof extensions === 'object' && extensions !== null ? extensions : {}) as Record<string, unknown>;
  return { ...rest, query: admitted.operationRequest.query, ...(Object.keys(otherExtensions).length > 0 ? { extensions: otherExtensions } : {}) };
}

/**
 * The body (read within the limit, or PAYLOAD_TOO_LARGE) as express.json({ strict: true }) would
 * give it: parsed only for a JSON content type (anything else is left to Apollo, which refuses it),
 * an object or array or a BAD_REQUEST.
 */
function parseJsonBody(req: IncomingMessage, bytes: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === 'application/json' || type.endsWith('+json');
  if (!isJson) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TesseraError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new TesseraError('BAD_REQUEST', 'The request body must be a JSON object (one operation: query, variables, operationName, extensions).');
  return parsed;
}
