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

/**
 * The turns of one pool: `size` at once, and at most `perTenant` of them for one tenant's work, so
 * one tenant's locks (an admin's exports, say, each long, or a burst of them waiting in GET_LOCK
 * on the same lock) can never take every turn and keep other tenants' locks waiting behind them.
 * Waiters go in arrival order, skipping those whose tenant is at its share.
 */
class Turns {
  private free: number;
  private readonly held = new Map<string, number>();
  private readonly waiting: Array<{ tenantId: string | undefined; go: () => void }> = [];

  constructor(
    size: number,
    private readonly perTenant: number,
  ) {
    this.free = size;
  }

  async take(tenantId: string | undefined): Promise<() => void> {
    // In line, then whoever fits goes: an arrival passes waiters held back only by their tenant's share.
    await new Promise<void>((go) => {
      this.waiting.push({ tenantId, go });
      this.dispatch();
    });
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.free += 1;
      if (tenantId !== undefined) {
        const left = (this.held.get(tenantId) ?? 1) - 1;
        if (left > 0) this.held.set(tenantId, left);
        else this.held.delete(tenantId);
      }
      this.dispatch();
    };
  }

  private fits(tenantId: string | undefined): boolean {
    return this.free > 0 && (tenantId === undefined || (this.held.get(tenantId) ?? 0) < this.perTenant);
  }

  private grant(tenantId: string | undefined): void {
    this.free -= 1;
    if (tenantId !== undefined) this.held.set(tenantId, (this.held.get(tenantId) ?? 0) + 1);
  }

  private dispatch(): void {
    for (let index = 0; index < this.waiting.length && this.free > 0; ) {
      const next = this.waiting[index]!;
      if (!this.fits(next.tenantId)) {
        index += 1;
        continue;
      }
      this.waiting.splice(index, 1);
      this.grant(next.tenantId);
      next.go();
    }
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

/** How many of those one tenant's work may hold at once: half, at least one. */
export function lockHoldersPerTenant(db: DataSource): number {
  return Math.max(1, Math.floor(lockHoldersAtOnce(db) / 2));
}

/**
 * Runs `fn`, which takes an advisory lock on a connection of `db` (or holds one for a transaction
 * while the work under it takes others of the same pool), in one of the turns of `db`
 * (`lockHoldersAtOnce`), of which one tenant's work (`tenantId`: the tenant the lock is about) holds
 * at most `lockHoldersPerTenant`. The turn is taken before the connection, so a caller waiting for
 * one holds nothing. A lock taken under another lock of the same pool runs in its holder's turn:
 * waiting for a second turn while holding the first could deadlock the turns themselves.
 */
export async function inLockHolderTurn<T>(db: DataSource, fn: () => Promise<T>, tenantId?: string): Promise<T> {
  const held = (holding.getStore() ?? []).filter((turn) => !turn.ended);
  if (held.some((turn) => turn.db === db)) return fn();
  let turns = turnsOf.get(db);
  if (!turns) {
    turns = new Turns(lockHoldersAtOnce(db), lockHoldersPerTenant(db));
    turnsOf.set(db, turns);
  }
  const release = await turns.take(tenantId);
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
