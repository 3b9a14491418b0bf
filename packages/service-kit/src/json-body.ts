import type { IncomingMessage } from 'node:http';
import { errors, TesseraError } from '@tessera/errors';

/**
 * Reads a request body of at most `maxBytes` and parses it as a JSON object: the typed refusals of
 * an internal JSON route. Anything but `application/json` is BAD_REQUEST; a declared or actual size
 * over the limit is PAYLOAD_TOO_LARGE (the rest is drained, so the connection stays usable); text
 * that is not JSON, or JSON that is not an object, is BAD_REQUEST.
 */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new TesseraError('BAD_REQUEST', 'The request body must be JSON (content-type: application/json).');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw errors.tooLarge(`The request body is over ${maxBytes} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', resolve);
    req.once('error', reject);
  });
  if (tooLarge) throw errors.tooLarge(`The request body is over ${maxBytes} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new TesseraError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TesseraError('BAD_REQUEST', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}
