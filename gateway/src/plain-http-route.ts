import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { toClientError, type TesseraError } from '@tessera/errors';
import { attributes, extractTraceContext, SpanKind } from '@tessera/telemetry';
import { requestIdOf } from './pipeline/request-id';

export type CorsHeaders = (origin: string | undefined, setHeader: (name: string, value: string) => void) => void;

/**
 * A hot route on plain node:http (no express): what the express stack gives every other route —
 * the request id, CORS headers, a server span ended with the response's status — and a typed JSON
 * error for anything `handle` throws.
 */
export function plainHttpRoute(spanName: string, applyCors: CorsHeaders, handle: (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>) {
  const tracer = trace.getTracer('tessera-gateway');
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = requestIdOf(req.headers);
    res.setHeader('x-request-id', requestId);
    applyCors(req.headers.origin, (name, value) => res.setHeader(name, value));
    tracer.startActiveSpan(
      spanName,
      { kind: SpanKind.SERVER, attributes: { [attributes.service]: 'gateway', 'http.request.method': 'POST' } },
      extractTraceContext(req.headers),
      (span) => {
        res.on('finish', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          span.end();
        });
        void handle(req, res, requestId).catch((error: unknown) => sendJsonError(res, toClientError(error)));
      },
    );
  };
}

/** A typed error as `{ errors: [...] }` with its HTTP status (and `retry-after` when it says when). */
export function sendJsonError(res: ServerResponse, error: TesseraError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = error.extensions['retryAfterSeconds'];
  if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
  res.statusCode = error.httpStatus;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(error.toResponseBody()));
}
