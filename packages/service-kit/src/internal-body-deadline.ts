import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchBodyDeadline } from './body-deadline';

/** The same default as the gateway's REQUEST_BODY_TIMEOUT_MS: port inputs and operations are sent whole, from memory. */
export const defaultInternalBodyTimeoutMs = 60_000;

/**
 * A streamed upload that moves no bytes for this long loses its connection here: twice the
 * gateway's default transfer idle timeout, so a gateway alive always cuts first, with its typed answer.
 */
export const defaultUploadStallMs = 60_000;

/**
 * The upload bodies the gateway streams to a subgraph (`PUT /internal/uploads/<id>`): they take as
 * long as their client sends, and the gateway's idle timeout and upload pace cut a stalled or too
 * slow one on both hops (the subgraph sees its body cut short and releases what it held).
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
export function watchInternalBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number, uploadStallMs = defaultUploadStallMs): void {
  if (req.complete) return;
  if (!isStreamedUpload(req)) return watchBodyDeadline(req, res, timeoutMs);
  watchUploadStall(req, uploadStallMs);
  // No deadline while its route reads it. One answered before it all came (refused: no gateway
  // context, an unknown id) is a body nobody reads, and the gateway stops sending such a rest at
  // once: one still coming a deadline after its answer is a caller holding the connection open.
  res.once('finish', () => {
    if (!req.complete && !req.socket.destroyed) watchBodyDeadline(req, res, timeoutMs);
  });
}

/**
 * A gateway that gave an upload up closes its connection, and the subgraph's route sees the body
 * break off and releases the upload's memory or spool bytes. One that vanished without a word (its
 * host gone, a partition) sends no close: without this, the body would wait for bytes for good and
 * keep them. The socket's own count of bytes read is looked at, so the body is never read here.
 */
function watchUploadStall(req: IncomingMessage, stallMs: number): void {
  const socket = req.socket;
  let seen = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    if (socket.bytesRead !== seen) {
      seen = socket.bytesRead;
      return;
    }
    stop();
    socket.destroy();
  }, stallMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    req.off('end', stop);
    req.off('close', stop);
  };
  req.once('end', stop);
  req.once('close', stop);
}
