import type { IncomingMessage, ServerResponse } from 'node:http';
import { TesseraError } from '@tessera/errors';
import { requestIdOf } from './pipeline/request-id';

/** A minute for a body of at most the gateway's 1 MiB: a client sending under ~17 KB/s is cut. */
export const defaultRequestBodyTimeoutMs = 60_000;

/** Requests whose body is timed by something closer to it: an upload stream's idle timeout. */
const ownClock = new WeakSet<IncomingMessage>();

/**
 * From here on `req`'s body is the upload proxy's: it streams for as long as bytes keep coming
 * (its idle timeout cuts a stalled one), however long a large file takes on a slow link.
 */
export function bodyTimedByStream(req: IncomingMessage): void {
  ownClock.add(req);
}

export type CorsHeaders = (origin: string | undefined, setHeader: (name: string, value: string) => void) => void;

/**
 * The gateway turns off Node's whole-request timeout (5 minutes by default, headers and body
 * together): it cut every upload that took longer — 100 MiB below ~340 KB/s — with a bare 408.
 * Every other request gets this deadline on its body instead, counted from its arrival: one still
 * being read then (a POST /graphql or predict body trickling in) is answered 408 `BAD_REQUEST`
 * (`reason: BODY_TIMEOUT`) and its connection closed; one whose answer is out but whose body is
 * still being drained loses its connection. Headers stay under Node's own `headersTimeout`.
 */
export function watchBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number, applyCors: CorsHeaders): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    done();
    expire(req, res, timeoutMs, applyCors);
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

function expire(req: IncomingMessage, res: ServerResponse, timeoutMs: number, applyCors: CorsHeaders): void {
  if (req.complete || ownClock.has(req) || req.socket.destroyed) return;
  const socket = req.socket;
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  const error = new TesseraError('BAD_REQUEST', `The request body did not arrive within ${timeoutMs / 1000} s.`, { reason: 'BODY_TIMEOUT', timeoutMs });
  if (!res.hasHeader('x-request-id')) res.setHeader('x-request-id', requestIdOf(req.headers));
  applyCors(req.headers.origin, (name, value) => res.setHeader(name, value));
  res.statusCode = 408;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('connection', 'close');
  res.once('finish', () => {
    // Our side ended and reading stopped, so the client reads the answer rather than a reset; gone a second later regardless.
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  res.end(JSON.stringify(error.toResponseBody()));
}
