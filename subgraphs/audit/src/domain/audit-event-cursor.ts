import { errors } from '@tessera/errors';

/**
 * A position in the audit trail's page order: oldest first by time, then by the chain's sequence
 * number. Paging by time (not by seq alone) lets every filter read one in-order index range
 * (`(filter columns…, occurred_at, seq)`) even when a time bound starts late in a large chain;
 * seq breaks ties, so a page never skips or repeats an event even when many share a millisecond.
 */
export interface AuditPagePosition {
  occurredAt: Date;
  seq: number;
}

// MySQL DATETIME(3) bounds: a cursor outside them cannot come from us.
const earliestMs = Date.parse('1000-01-01T00:00:00.000Z');
const latestMs = Date.parse('9999-12-31T23:59:59.999Z');
const cursorPattern = /^at:(-?\d{1,15}):(\d{1,15})$/;

/** The cursor is opaque to clients; it holds only a position in the caller's own chain. */
export function encodeAuditCursor(position: AuditPagePosition): string {
  return Buffer.from(`at:${position.occurredAt.getTime()}:${position.seq}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string | null | undefined): AuditPagePosition | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const invalid = () => errors.badInput('The cursor is not valid.', { field: 'after' });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const match = cursorPattern.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalid();
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(ms) || ms < earliestMs || ms > latestMs || !Number.isSafeInteger(seq) || seq < 1) throw invalid();
  return { occurredAt: new Date(ms), seq };
}
