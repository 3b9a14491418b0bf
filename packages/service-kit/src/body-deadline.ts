import type { IncomingMessage, ServerResponse } from 'node:http';
import { TesseraError } from '@tessera/errors';

export interface BodyDeadlineOptions {
  /** Asked when the deadline passes: true for a body timed by something closer to it (an upload stream's idle timeout). */
  exempt?: ((req: IncomingMessage) => boolean) | undefined;
  /** Sets what the refusal carries besides its own headers (the gateway's request id and CORS). */
  decorate?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/**
 * With Node's whole-request timeout off (it cut streamed uploads at 5 minutes), a body must arrive
 * within `timeoutMs` of `watchBodyDeadline`'s call, trickling or not. One still being read then is
 * answered 408 `BAD_REQUEST` (`reason: BODY_TIMEOUT`, `timeoutMs`) and its connection closed; one
 * whose answer is out already (a body drained after an early answer) loses its connection.
 */
export function watchBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number, options: BodyDeadlineOptions = {}): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    done();
    expire(req, res, timeoutMs, options);
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

function expire(req: IncomingMessage, res: ServerResponse, timeoutMs: number, options: BodyDeadlineOptions): void {
  if (req.complete || req.socket.destroyed || options.exempt?.(req)) return;
  const socket = req.socket;
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  const error = new TesseraError('BAD_REQUEST', `The request body did not arrive within ${timeoutMs / 1000} s.`, { reason: 'BODY_TIMEOUT', timeoutMs });
  options.decorate?.(req, res);
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
