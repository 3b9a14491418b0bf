import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { errors, TesseraError } from '@tessera/errors';

/**
 * Bodies are taken as sent: a Content-Encoding other than `identity` (gzip, br, …) is refused
 * with BAD_REQUEST rather than ignored, so a compressed body is never read as JSON or stored as a
 * file, and a plain body that claims a coding is not accepted either.
 */
export function assertIdentityEncoding(headers: IncomingHttpHeaders): void {
  const declared = headers['content-encoding'];
  if (declared === undefined) return;
  const codings = declared.split(',').map((coding) => coding.trim().toLowerCase());
  if (codings.every((coding) => coding === 'identity')) return;
  throw new TesseraError('BAD_REQUEST', `Content-Encoding ${JSON.stringify(declared)} is not supported: send the body uncompressed.`, { header: 'Content-Encoding' });
}

/**
 * A request body of at most `limit` bytes, or PAYLOAD_TOO_LARGE — refused on its declared length
 * before reading, or as soon as it passes the limit. Either way the rest is drained rather than the
 * socket destroyed, so the client gets the 413 and the keep-alive connection stays usable — when
 * the body was declared at most the route's drain bound (64 KiB for /graphql and the predict route,
 * see server.ts); past that the connection is closed once the 413 is out
 * (unread-body.ts). A body in a content coding is refused the same way (assertIdentityEncoding).
 */
export async function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    assertIdentityEncoding(req.headers);
  } catch (error) {
    req.resume();
    throw error;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw errors.tooLarge('The request body is too large.');
  }
  // Plain 'data'/'end' events: an async iterator over the stream costs a promise per chunk.
  const { chunks, tooLarge } = await new Promise<{ chunks: Buffer[]; tooLarge: boolean }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      cleanup();
      resolve({ chunks: [], tooLarge: true });
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, tooLarge: false });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
  if (tooLarge) throw errors.tooLarge('The request body is too large.');
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
