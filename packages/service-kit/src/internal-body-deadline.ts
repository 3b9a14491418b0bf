import type { IncomingMessage, ServerResponse } from 'node:http';
import { TesseraError } from '@tessera/errors';

/** The same default as the gateway's REQUEST_BODY_TIMEOUT_MS: port inputs and operations are sent whole, from memory. */
export const defaultInternalBodyTimeoutMs = 60_000;

/**
 * The upload bodies the gateway streams to a subgraph (`PUT /internal/uploads/<id>`): they take as
 * long as their client sends, and the gateway's idle timeout cuts a stalled one on both hops.
 */
export function isStreamedUpload(req: IncomingMessage): boolean {
  return req.method === 'PUT' && (req.url ?? '').startsWith('/internal/uploads/');
}

/**
 * A subgraph has no whole-request limit (Node's `requestTimeout` is off, for the streamed uploads),
 * so every other body — a port call's, an operation's, a prediction's — must arrive within
 * `timeoutMs` of the request's start. Its callers send those bodies whole from memory; one still
 * arriving then is a caller holding the connection (and the body buffered so far) open, whichever
 * certificate it came with. Answered 408 `BAD_REQUEST` (`reason: BODY_TIMEOUT`) and the connection
 * closed; one whose answer is out already loses its connection. A streamed upload's rest gets the
 * deadline from its answer.
 */
export function watchInternalBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number): void {
  if (req.complete) return;
  if (!isStreamedUpload(req)) return startDeadline(req, res, timeoutMs);
  // No deadline while its route reads it. One answered before it all came (refused: no gateway
  // context, an unknown id) is a body nobody reads, and the gateway stops sending such a rest at
  // once: one still coming a deadline after its answer is a caller holding the connection open.
  res.once('finish', () => {
    if (!req.complete && !req.socket.destroyed) startDeadline(req, res, timeoutMs);
  });
}

function startDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number): void {
  const timer = setTimeout(() => {
    done();
    expire(req, res, timeoutMs);
  }, timeoutMs);
  timer.unref();
  // Per request, never on the socket: a keep-alive connection carries many requests.
  const done = () => {
    clearTimeout(timer);
    req.off('end', done);
    res.off('close', closed);
  };
  const closed = () => {
    // Answered: the deadline still holds for a body drained after the answer.
    if (req.complete || req.socket.destroyed) done();
  };
  req.once('end', done);
  res.on('close', closed);
}

function expire(req: IncomingMessage, res: ServerResponse, timeoutMs: number): void {
  if (req.complete || req.socket.destroyed) return;
  const socket = req.socket;
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  const error = new TesseraError('BAD_REQUEST', `The request body did not arrive within ${timeoutMs / 1000} s.`, { reason: 'BODY_TIMEOUT', timeoutMs });
  res.statusCode = 408;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('connection', 'close');
  res.once('finish', () => {
    // Our side ended and reading stopped, so the caller reads the answer rather than a reset; gone a second later regardless.
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  res.end(JSON.stringify(error.toResponseBody()));
}
