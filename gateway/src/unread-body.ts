import type { IncomingMessage, ServerResponse } from 'node:http';

const drainable = new WeakSet<IncomingMessage>();

/**
 * Lets the rest of `req`'s body be drained whatever its length: an authenticated upload the
 * subgraph answered before its body was in (a browser still sending it would read a reset rather
 * than the typed answer if the connection closed), whose caller's transfer slot is held until it is.
 */
export function drainUnreadBody(req: IncomingMessage): void {
  drainable.add(req);
}

/**
 * A request body still arriving when its answer is out — a refusal on the headers alone (no token,
 * over the size limit), an upload the subgraph answered early — is drained only when it is declared
 * at most `drainableBytes` long, so a small one leaves the keep-alive connection usable. A larger
 * one, or one of unknown length (chunked), is not read on: the connection is closed once the answer
 * is out (our side ended, reading stopped, so the client reads the answer rather than a reset;
 * destroyed a second later if the client does not close its side). Draining would decrypt whatever
 * the client keeps sending, at wire speed, until the body's deadline (body-deadline.ts) — for any
 * client, without a token, on a process every tenant's requests wait for.
 */
export function closeOnUnreadBody(req: IncomingMessage, res: ServerResponse, drainableBytes: number): void {
  res.once('finish', () => {
    if (req.complete || drainable.has(req)) return;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared <= drainableBytes) return;
    const socket = req.socket;
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
}
