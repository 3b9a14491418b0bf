import { errors } from '@tessera/errors';

/**
 * Audit pages are keyed by the chain's sequence number: it is unique, dense and in write order,
 * so a page never skips or repeats an event even when many share a millisecond. The cursor is
 * opaque to clients and holds only a position in the caller's own chain.
 */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

export function decodeSeqCursor(cursor: string | null | undefined): number | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const match = typeof cursor === 'string' && cursor.length <= 64 ? /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  const seq = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(seq)) throw errors.badInput('The cursor is not valid.', { field: 'after' });
  return seq;
}
