import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchBodyDeadline as watchDeadline } from '@tessera/service-kit';
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
 * Every other request gets the deadline of `watchBodyDeadline` (service-kit) on its body, counted
 * from its arrival, its refusal carrying the request id and the CORS headers every answer carries.
 * Headers stay under Node's own `headersTimeout`.
 */
export function watchBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number, applyCors: CorsHeaders): void {
  watchDeadline(req, res, timeoutMs, {
    exempt: (late) => ownClock.has(late),
    decorate: (late, answer) => {
      if (!answer.hasHeader('x-request-id')) answer.setHeader('x-request-id', requestIdOf(late.headers));
      applyCors(late.headers.origin, (name, value) => answer.setHeader(name, value));
    },
  });
}
