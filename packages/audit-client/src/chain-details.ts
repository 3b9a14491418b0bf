import type { EntityManager } from 'typeorm';
import { parseDetails, type ChainRow } from './chain-canonical';

/**
 * Where a tenant chain keeps its events' details sealed: a side table `(seq, details, key_version)`
 * beside the chain. The chain table is append-only, even for the audit service, so a value that
 * must be re-sealed after a key rotation (and legacy clear values, sealed after the fact) cannot
 * live in it; the chain row keeps `{}` in `details_json`.
 *
 * **The chain hashes the plaintext details**, not the sealed bytes: re-sealing under a new key
 * version changes the bytes but not the event, so rotation, re-encryption and retirement never
 * touch the chain, its checkpoints or an export's proof, and a tenant verifies an export (which
 * holds the plaintext) without any key. Tampering stays visible: changing, swapping or deleting a
 * side row changes (or loses) the plaintext the hash was computed over, or fails to open (each value
 * is bound to its tenant, table, column and sequence number), and the verifier reports the event.
 */
export interface ChainDetailsStore {
  /** Schema-qualified side table. */
  table: string;
  /** Seals each event's canonical details text for its sequence number, for `within`'s transaction to store. */
  seal(events: ReadonlyArray<{ seq: number; details: string }>, within: EntityManager): Promise<Array<{ seq: number; stored: string; keyVersion: number }>>;
  /** Opens one stored value (an envelope, or legacy clear JSON text); throws if it does not open. */
  open(seq: number, stored: string): Promise<unknown>;
}

/** Details with nothing in them stay in the chain row: there is nothing to seal. */
export function hasDetails(details: unknown): boolean {
  return typeof details === 'object' && details !== null && Object.keys(details).length > 0;
}

/** Rows per IN list when fetching side rows (an export reads up to 200 000 events). */
const lookupChunk = 1000;

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Puts each row's effective details into `row.details_json` (parsed): the opened side row when
 * there is one, else what the chain row holds (events with empty details; chains or rows from
 * before sealing). A chain row that holds anything but `{}` beside a side row was written to after
 * the fact: its effective details then differ from what was chained, so verification fails there.
 * Returns the rows whose sealed details did not open, with the error (their details become a
 * marker that never matches the chained hash).
 */
export async function attachChainDetails(query: Query, store: ChainDetailsStore, rows: ChainRow[]): Promise<Map<number, unknown>> {
  const failures = new Map<number, unknown>();
  const seqs = rows.map((row) => Number(row['seq']));
  const stored = new Map<number, string>();
  for (let i = 0; i < seqs.length; i += lookupChunk) {
    const chunk = seqs.slice(i, i + lookupChunk);
    if (chunk.length === 0) continue;
    const found = (await query(`SELECT seq, details FROM ${store.table} WHERE seq IN (?)`, [chunk])) as Array<{ seq: number | string; details: string | Buffer }>;
    for (const row of found) stored.set(Number(row.seq), Buffer.isBuffer(row.details) ? row.details.toString('utf8') : row.details);
  }
  for (const row of rows) {
    const seq = Number(row['seq']);
    const sealed = stored.get(seq);
    if (sealed === undefined) {
      row['details_json'] = parseDetails(row['details_json']);
      continue;
    }
    let opened: unknown;
    try {
      opened = await store.open(seq, sealed);
    } catch (error) {
      failures.set(seq, error);
      opened = { sealedDetails: 'unreadable' };
    }
    const placeholder = parseDetails(row['details_json']);
    row['details_json'] = hasDetails(placeholder) ? { placeholder, sealed: opened } : opened;
  }
  return failures;
}
