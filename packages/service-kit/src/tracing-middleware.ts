import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { trace } from '@opentelemetry/api';
import { attributes, extractTraceContext, SpanKind } from '@tessera/telemetry';

/**
 * Opens the server span of a request, as a child of the caller's `traceparent`, and keeps it
 * active for everything the request does, so one trace runs gateway → subgraph → database.
 */
export function tracingMiddleware(serviceName: string) {
  const tracer = trace.getTracer(`tessera-${serviceName}`);
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = extractTraceContext(req.headers);
    tracer.startActiveSpan(
      `${serviceName} ${req.method} ${req.path}`,
      { kind: SpanKind.SERVER, attributes: { [attributes.service]: serviceName, 'http.request.method': req.method } },
      parent,
      (span) => {
        res.on('finish', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          span.end();
        });
        next();
      },
    );
  };
}

/** The same server span for a request served without express (a subgraph's plain routes). */
export function tracedPlainRequest(serviceName: string, req: IncomingMessage, res: ServerResponse, run: () => void): void {
  const path = (req.url ?? '').split('?')[0]!;
  trace.getTracer(`tessera-${serviceName}`).startActiveSpan(
    `${serviceName} ${req.method ?? ''} ${path}`,
    { kind: SpanKind.SERVER, attributes: { [attributes.service]: serviceName, 'http.request.method': req.method ?? '' } },
    extractTraceContext(req.headers),
    (span) => {
      res.on('finish', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        span.end();
      });
      run();
    },
  );
}
