import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TesseraError } from '@tessera/errors';

/**
 * Answers a request whose body is still arriving with `status` and the typed error, then closes
 * its connection without reading the rest: the client may go on sending (a trickle, a body given
 * up for its pace or its hold on shared memory), and draining it would hold the connection, and
 * whatever the request holds, as long as the client likes. The client sends the body again, whole.
 * Our side ends and reading stops first, so the caller reads the answer rather than a reset; the
 * socket is gone a second later regardless. An answer already begun can only be cut.
 */
export function answerAndClose(req: IncomingMessage, res: ServerResponse, status: number, error: TesseraError): void {
  const socket = req.socket;
  if (res.headersSent) return void socket.destroy();
  res.statusCode = status;
  res.setHeader('connection', 'close');
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.once('finish', () => {
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  res.end(JSON.stringify(error.toResponseBody()));
}
