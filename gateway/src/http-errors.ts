import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { errors, TesseraError, toClientError } from '@tessera/errors';

/** For errors raised while building the GraphQL context: Apollo maps `extensions.http` to the response. */
export function toContextError(error: unknown): GraphQLError {
  if (!(error instanceof TesseraError)) return error instanceof GraphQLError ? error : toContextError(toClientError(error));
  const retryAfter = error.extensions['retryAfterSeconds'];
  const allow = error.extensions['allow'];
  const headers =
    typeof retryAfter === 'number' ? new Map([['retry-after', String(retryAfter)]]) : typeof allow === 'string' ? new Map([['allow', allow]]) : undefined;
  return new GraphQLError(error.message, {
    extensions: { ...error.extensions, code: error.code, http: { status: error.httpStatus, ...(headers ? { headers } : {}) } },
  });
}

export function sendError(res: Response, error: unknown): void {
  const reply = toClientError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = reply.extensions['retryAfterSeconds'];
  if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
  res.status(reply.httpStatus).json(reply.toResponseBody());
}

/** Body-parser and routing failures as typed JSON errors, never an HTML stack page. */
export function jsonErrorHandler(log: (message: string, fields: Record<string, unknown>) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number; type?: string } | null)?.status;
    if (status === 413) return sendError(res, errors.tooLarge('The request body is too large.'));
    // The router's 400 for a path parameter (an upload or download id) that does not percent-decode.
    if (status === 400 && error instanceof URIError) return sendError(res, new TesseraError('BAD_REQUEST', 'The request path is not valid percent-encoding.'));
    if (status === 400) return sendError(res, new TesseraError('BAD_REQUEST', 'The request body is not valid JSON.'));
    log('unhandled gateway error', { error: error instanceof Error ? error.stack : String(error) });
    return sendError(res, error);
  };
}
