import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource } from 'typeorm';

/** mysql2's pool size when the data source names none. */
const defaultPoolSize = 10;

/** The turns the running code already holds, each until its holder's work has ended. */
interface HeldTurn {
  db: DataSource;
  ended: boolean;
}

const holding = new AsyncLocalStorage<readonly HeldTurn[]>();

class Turns {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      // Handed on as it is: the slot goes to the next waiter, first come first served.
      if (next) next();
      else this.free += 1;
    };
  }
}

const turnsOf = new WeakMap<DataSource, Turns>();

/**
 * How many advisory locks of one pool this process holds at once. A lock is held on a pooled
 * connection while the work under it takes more connections of the same pool (its own queries,
 * and at most one lock taken under it, with its queries): with holders at most half the pool
 * less one, the holders and the locks under them never take every connection, so a holder always
 * finds one for its next query. Without a bound, as many holders as the pool has connections
 * each hold one and wait forever for a second, and every request of the service waits with them.
 */
export function lockHoldersAtOnce(db: DataSource): number {
  const size = (db.options as { poolSize?: number }).poolSize ?? defaultPoolSize;
  return Math.max(1, Math.floor((size - 1) / 2));
}

/**
 * Runs `fn`, which takes an advisory lock on a connection of `db` (or holds one for a transaction
 * while the work under it takes others of the same pool), in one of the turns of `db`
 * (`lockHoldersAtOnce`). The turn is taken before the connection, so a caller waiting for one
 * holds nothing. A lock taken under another lock of the same pool runs in its holder's turn:
 * waiting for a second turn while holding the first could deadlock the turns themselves.
 */
export async function inLockHolderTurn<T>(db: DataSource, fn: () => Promise<T>): Promise<T> {
  const held = (holding.getStore() ?? []).filter((turn) => !turn.ended);
  if (held.some((turn) => turn.db === db)) return fn();
  let turns = turnsOf.get(db);
  if (!turns) {
    turns = new Turns(lockHoldersAtOnce(db));
    turnsOf.set(db, turns);
  }
  const release = await turns.take();
  const mine: HeldTurn = { db, ended: false };
  try {
    return await holding.run([...held, mine], fn);
  } finally {
    // Work started under the lock and left running (not awaited) takes its own turn from now on.
    mine.ended = true;
    release();
  }
}

/**
 * Starts `fn` as work of its own, not under the lock the caller may hold: its locks take their
 * own turns, as they outlive the caller's. For work a lock holder starts and does not await.
 */
export function apartFromLockHolder<T>(fn: () => T): T {
  return holding.exit(fn);
}
