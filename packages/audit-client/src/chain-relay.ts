import { createHash } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { canonicalEvent, canonicalJson, chainHash, genesisHash, parseDetails, type ChainRow } from './chain-canonical';
import { hasDetails, type ChainDetailsStore } from './chain-details';

/** Where one hash chain lives: its outbox, its chained table (both schema-qualified), its columns. */
export interface ChainLocation {
  /** Bound into every event's canonical form: `tenant:<id>` or `platform`. */
  chainId: string;
  outboxTable: string;
  eventsTable: string;
  /** The event columns, in the outbox and the chain alike (seq, hash, outbox_id aside). */
  columns: readonly string[];
  /** Tenant chains: where the events' details are kept sealed (the chain row keeps `{}`). The security log has none. */
  details?: ChainDetailsStore | undefined;
}

export interface RelayOptions {
  /** Outbox rows moved per transaction. */
  batchSize?: number;
  /**
   * How long to wait for the chain's lock. 0 (the background sweep): skip the chain if another
   * relay holds it — that relay is doing the work. A drain waits, so that when it returns every
   * event committed before the call is chained.
   */
  waitForLockSeconds?: number;
}

export class ChainBusyError extends Error {
  constructor(chainId: string) {
    super(`the audit chain ${chainId} is locked by another relay`);
  }
}

/** MySQL lock names are limited to 64 characters: a digest of the chained table's name. Whoever changes the chain takes it. */
export function chainLockName(chain: ChainLocation): string {
  return `tessera:chain:${createHash('sha256').update(chain.eventsTable).digest('hex').slice(0, 40)}`;
}

/** One relay attempt: whether this relay held the chain's lock, and how many events it chained. */
export interface RelayOutcome {
  /** False only when another relay held the lock (and `waitForLockSeconds` was 0): nothing was looked at. */
  locked: boolean;
  chained: number;
}

/**
 * Moves a chain's outbox into the chain. Under the chain's lock (GET_LOCK: one relay at a time
 * per chain, across processes), each batch is one transaction: read the head, read the oldest
 * outbox rows, append them with the next sequence numbers and their hashes, delete them from the
 * outbox. A crash anywhere rolls the batch back whole: an event is either still in the outbox or
 * in the chain, never both, never neither. Returns how many events were chained.
 */
export async function relayChain(db: DataSource, chain: ChainLocation, options: RelayOptions = {}): Promise<number> {
  return (await relayChainOutcome(db, chain, options)).chained;
}

/**
 * relayChain, telling a pass that found nothing to chain (the chain's tables answered: it works)
 * from one that skipped the chain because another relay held its lock (it proves nothing).
 */
export async function relayChainOutcome(db: DataSource, chain: ChainLocation, options: RelayOptions = {}): Promise<RelayOutcome> {
  const batchSize = options.batchSize ?? 500;
  const wait = options.waitForLockSeconds ?? 0;
  const runner = db.createQueryRunner();
  await runner.connect();
  const lock = chainLockName(chain);
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [lock, wait])) as Array<{ acquired: number | null }>;
    if (row?.acquired !== 1) {
      if (wait > 0) throw new ChainBusyError(chain.chainId);
      return { locked: false, chained: 0 };
    }
    try {
      let moved = 0;
      for (;;) {
        const count = await relayBatch(runner, chain, batchSize);
        moved += count;
        if (count < batchSize) return { locked: true, chained: moved };
      }
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    await runner.release();
  }
}

/** Whether the chain's outbox holds any event (one index read), so an idle chain costs one statement. */
export async function outboxHasEvents(db: DataSource, chain: ChainLocation): Promise<boolean> {
  const rows = (await db.query(`SELECT 1 AS pending FROM ${chain.outboxTable} LIMIT 1`)) as unknown[];
  return rows.length > 0;
}

async function relayBatch(runner: QueryRunner, chain: ChainLocation, batchSize: number): Promise<number> {
  await runner.startTransaction();
  try {
    const [head] = (await runner.query(`SELECT seq, hash FROM ${chain.eventsTable} ORDER BY seq DESC LIMIT 1`)) as Array<{ seq: number | string; hash: string }>;
    const pending = (await runner.query(`SELECT * FROM ${chain.outboxTable} ORDER BY outbox_id LIMIT ${Number(batchSize)}`)) as ChainRow[];
    if (pending.length === 0) {
      await runner.commitTransaction();
      return 0;
    }
    let seq = head ? Number(head.seq) : 0;
    let hash = head?.hash ?? genesisHash;
    const values: unknown[] = [];
    const toSeal: Array<{ seq: number; details: string }> = [];
    for (const event of pending) {
      seq += 1;
      const previous = hash;
      // Hashed over the plaintext details, whether or not they are stored sealed (see chain-details.ts).
      hash = chainHash(previous, canonicalEvent(chain.chainId, seq, event, chain.columns));
      for (const column of chain.columns) {
        if (column !== 'details_json') {
          values.push(event[column]);
          continue;
        }
        const details = parseDetails(event[column]);
        if (chain.details && hasDetails(details)) {
          toSeal.push({ seq, details: canonicalJson(details) });
          values.push('{}');
        } else {
          values.push(canonicalJson(details));
        }
      }
      values.push(seq, previous, hash);
    }
    const columns = [...chain.columns, 'seq', 'prev_hash', 'hash'];
    const placeholders = `(${columns.map(() => '?').join(', ')})`;
    await runner.query(
      `INSERT INTO ${chain.eventsTable} (${columns.join(', ')}) VALUES ${pending.map(() => placeholders).join(', ')}`,
      values,
    );
    if (chain.details && toSeal.length > 0) {
      // Same transaction as the chain rows: an event is never chained without its details.
      const sealed = await chain.details.seal(toSeal, runner.manager);
      await runner.query(`INSERT INTO ${chain.details.table} (seq, details, key_version) VALUES ${sealed.map(() => '(?, ?, ?)').join(', ')}`, sealed.flatMap((row) => [row.seq, row.stored, row.keyVersion]));
    }
    await runner.query(`DELETE FROM ${chain.outboxTable} WHERE outbox_id IN (?)`, [pending.map((event) => event['outbox_id'])]);
    await runner.commitTransaction();
    return pending.length;
  } catch (error) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  }
}
