import { createHash } from 'node:crypto';

/** The hash a chain's first event links to. */
export const genesisHash = '0'.repeat(64);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * JSON with object keys sorted (recursively), no whitespace, dates as ISO-8601 UTC with
 * milliseconds. One event has exactly one canonical form whatever the column order, the JSON
 * formatting MySQL hands back, or the driver's types, so the hash can be recomputed anywhere.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('a chained event cannot hold a non-finite number');
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = normalise((value as Record<string, unknown>)[key]);
    return out;
  }
  throw new Error(`a chained event cannot hold a ${typeof value}`);
}

/** The columns an event is hashed over, in the outbox and in the chain (`seq` and `hash` aside; `written_by` only when set). */
export const eventColumns = [
  'id',
  'occurred_at',
  'actor_subject',
  'actor_roles',
  'actor_client',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'request_id',
  'trace_id',
  'source_ip',
  'details_json',
  'written_by',
] as const;

/**
 * Columns hashed only when they hold a value: added after chains already existed, so an event from
 * before has no such key in its canonical form and keeps its hash. Setting one later (or clearing
 * one that was set) changes the form, so the chain still shows it.
 */
const keyedWhenSet: ReadonlySet<string> = new Set(['written_by']);

export type ChainRow = Record<string, unknown>;

/** A DATETIME as the driver returned it (Date with timezone 'Z', or a string) → the one ISO form. */
function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    const parsed = new Date(/Z|[+-]\d\d:\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  throw new Error(`unreadable event time ${String(value)}`);
}

/** MySQL 8 hands JSON columns back parsed, MariaDB (JSON = LONGTEXT) as text: accept both. */
export function parseDetails(value: unknown): unknown {
  if (typeof value === 'string') return JSON.parse(value) as unknown;
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8')) as unknown;
  return value ?? {};
}

/**
 * The canonical text of one chained event: which chain (so a row copied from another tenant's
 * chain does not verify), its position (so swapping two rows breaks both), and every column.
 */
export function canonicalEvent(chainId: string, seq: number, row: ChainRow, columns: readonly string[]): string {
  const body: Record<string, unknown> = { chain: chainId, seq };
  for (const column of columns) {
    if (column === 'occurred_at') body[column] = isoTime(row[column]);
    else if (column === 'details_json') body[column] = parseDetails(row[column]);
    else if (keyedWhenSet.has(column) && (row[column] ?? null) === null) continue;
    else body[column] = row[column] ?? null;
  }
  return canonicalJson(body);
}

/** hash = SHA-256(previous hash ‖ canonical event), hex. */
export function chainHash(previousHash: string, canonical: string): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonical).digest('hex');
}
