import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchBodyDeadline } from './body-deadline';

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
  if (!isStreamedUpload(req)) return watchBodyDeadline(req, res, timeoutMs);
  // No deadline while its route reads it. One answered before it all came (refused: no gateway
  // context, an unknown id) is a body nobody reads, and the gateway stops sending such a rest at
  // once: one still coming a deadline after its answer is a caller holding the connection open.
  res.once('finish', () => {
    if (!req.complete && !req.socket.destroyed) watchBodyDeadline(req, res, timeoutMs);
  });
}
