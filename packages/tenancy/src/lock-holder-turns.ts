import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource } from 'typeorm';

/** mysql2's pool size when the data source names none. */
const defaultPoolSize = 10;

/** The pools whose turn the running code already holds (a lock taken under another lock). */
const holding = new AsyncLocalStorage<ReadonlySet<DataSource>>();

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
 * Runs `fn`, which takes an advisory lock on a connection of `db`, in one of the turns of `db`
 * (`lockHoldersAtOnce`). The turn is taken before the connection, so a caller waiting for one
 * holds nothing. A lock taken under another lock of the same pool runs in its holder's turn:
 * waiting for a second turn while holding the first could deadlock the turns themselves.
 */
export async function inLockHolderTurn<T>(db: DataSource, fn: () => Promise<T>): Promise<T> {
  const held = holding.getStore();
  if (held?.has(db)) return fn();
  let turns = turnsOf.get(db);
  if (!turns) {
    turns = new Turns(lockHoldersAtOnce(db));
    turnsOf.set(db, turns);
  }
  const release = await turns.take();
  try {
    return await holding.run(new Set([...(held ?? []), db]), fn);
  } finally {
    release();
  }
}
