import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalContextHeader, requestIdHeader, type InternalContextSigner } from '@tessera/auth';
import { isTesseraError, toClientError } from '@tessera/errors';
import { predictRouteOperation, type RequestObservation } from '@tessera/monitoring';
import { injectTraceHeaders } from '@tessera/telemetry';
import { plainHttpRoute, type CorsHeaders } from './plain-http-route';
import type { Caller } from './pipeline/request-pipeline';
import type { ReleaseSlot } from './pipeline/tenant-concurrency';
import { readBodyBytes } from './request-body';
import { onAnswerBytes } from './answer-bytes';
import type { TransferPace } from './transfer-pace';
import { releaseWithResponse } from './release-with-response';
import type { RequestFacts } from './request-facts';
import type { LeanFetcher } from './subgraph-http-client';
import { publicUrlHeader } from './tenant-context-data-source';

export const predictRoutePath = '/v1/predict';

export interface PredictRouteOptions {
  /** The models subgraph's base URL (https, mutual TLS) and its fetcher. */
  modelsUrl: string;
  fetch: LeanFetcher;
  maxBodyBytes: number;
  /** The pipeline's first steps, before the body is read (token, tenant, a budget left). */
  admitCaller(facts: RequestFacts): Promise<Caller>;
  /** The rest, once the body is read: API-key scope, a slot, the query's cost and the body's length, the monthly budget. */
  admitPredict(caller: Caller, bodyBytes: number): Promise<ReleaseSlot>;
  /** The answer was sent, `bytes` long: what it adds to the caller's cost (the pipeline's answered). */
  answered?(caller: Caller, bytes: number): void;
  /** How fast a client must take an answer (answer-bytes.ts); behind it, the connection is destroyed. */
  answerPace?: TransferPace | undefined;
  /** Signs the caller's internal context for one call to `subgraph`. */
  sign: InternalContextSigner;
  applyCors: CorsHeaders;
  /** What the pipeline needs to know of the request: its client (through trusted proxies), public URL, id. */
  factsOf(req: IncomingMessage, requestId: string): RequestFacts;
  /** The request-metrics step (what Apollo's plugin records for GraphQL requests). */
  recordRequest(observation: RequestObservation): void;
}


/**
 * `POST /v1/predict` — a prediction without GraphQL, for serving clients that call one model in a
 * loop. The body is `PredictInput` as JSON (`modelId` | `modelName`, `version` | `alias`, `inputs`
 * with `data` lists or `dataBase64`, optional `outputFormat`); the answer is `{ data: { outputs,
 * modelVersion, batchSize, latencyMs } }` or `{ errors: [{ message, extensions: { code } }] }`
 * with the error's HTTP status. Same pipeline as any GraphQL request (request id, CORS, token,
 * tenant, API-key scope, operation slot, cost units, budget, signed internal context); the body is
 * forwarded unparsed to the models subgraph, which checks it as strictly as GraphQL would. What it
 * skips is GraphQL itself, on both hops.
 */
export function createPredictRoute(options: PredictRouteOptions) {
  const url = `${options.modelsUrl}/internal/predict`;
  return plainHttpRoute(`gateway POST ${predictRoutePath}`, options.applyCors, handle);

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const facts = options.factsOf(req, requestId);
    let caller: Caller;
    try {
      caller = await options.admitCaller(facts);
    } catch (error) {
      // Refused on its headers alone: the body is drained unread (up to 64 KiB declared, unread-body.ts).
      req.resume();
      throw error;
    }
    const startedAt = Date.now();
    const startedHr = process.hrtime.bigint();
    let status = 500;
    let codes: string[] = [];
    // A refusal of the pipeline's own steps is already in the tenant's metrics (the pipeline records it).
    let refusedByPipeline = false;
    try {
      // Read before a slot is taken, as on POST /graphql: a slow body holds no operation slot.
      const body = await readBodyBytes(req, options.maxBodyBytes);
      const release = await options.admitPredict(caller, body.length).catch((error: unknown) => {
        refusedByPipeline = true;
        throw error;
      });
      if (!releaseWithResponse(res, release)) {
        // The client left while the call waited for a slot: nothing is run for nobody.
        refusedByPipeline = true;
        return;
      }
      // Admitted: its answer (up to 262 144 output values) is paid by its size once sent.
      if (options.answered) onAnswerBytes(res, (sent) => options.answered!(caller, sent), { pace: options.answerPace });
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? '',
        [internalContextHeader]: await options.sign({ ...caller.principal, requestId }, 'models'),
        [requestIdHeader]: requestId,
        [publicUrlHeader]: facts.publicUrl,
      };
      injectTraceHeaders(headers);
      const reply = await options.fetch(url, { method: 'POST', headers, body });
      const text = await reply.text();
      status = reply.status;
      if (!reply.ok) codes = errorCodesOf(text);
      res.statusCode = reply.status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      const retryAfter = reply.headers.get('retry-after');
      if (retryAfter) res.setHeader('retry-after', retryAfter);
      res.end(text);
    } catch (error) {
      const reply = toClientError(error);
      status = reply.httpStatus;
      codes = [reply.code];
      throw isTesseraError(error) ? error : reply;
    } finally {
      if (caller.tenant && !refusedByPipeline) {
        options.recordRequest({
          tenantId: caller.tenant.id,
          startedAt,
          operationType: 'query',
          operationName: predictRouteOperation,
          latencyMs: Number(process.hrtime.bigint() - startedHr) / 1e6,
          errorCodes: status < 300 ? [] : codes,
        });
      }
    }
  }
}

/** `extensions.code` of each error of a subgraph's error answer (for the tenant's metrics). */
function errorCodesOf(text: string): string[] {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    const codes = (body.errors ?? []).map((error) => error.extensions?.code).filter((code): code is string => typeof code === 'string');
    return codes.length > 0 ? codes : ['INTERNAL_SERVER_ERROR'];
  } catch {
    return ['INTERNAL_SERVER_ERROR'];
  }
}
