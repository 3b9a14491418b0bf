import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { errors } from '@tessera/errors';
import { inLockHolderTurn } from './lock-holder-turns';

/**
 * The name of an advisory lock on one thing (a tenant's key, a tenant's erasure request…) of one
 * control plane: `purpose` and a digest of the parts, so it stays within MySQL's 64 characters
 * whatever the schema and ids are.
 */
export function advisoryLockName(purpose: string, ...parts: string[]): string {
  return `tessera_${purpose}:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/**
 * Runs `fn` under a MySQL advisory lock (GET_LOCK) held on one connection of `db`, so replicas
 * never interleave the same piece of work. Waits up to `waitSeconds`; a lock still held by
 * someone else then is a CONFLICT with `busyMessage` (the caller may retry).
 *
 * `fn` is given that connection's manager: SQL run through it needs no second connection. Queries
 * `fn` runs through `db` instead take another connection of the same pool while this one stays
 * held; the lock is therefore taken only in one of the process's turns for `db`
 * (lock-holder-turns.ts), so the holders never hold every connection between them.
 */
export interface AdvisoryLockOptions {
  waitSeconds: number;
  busyMessage: string;
  /** The tenant the lock is about, if one: its work holds at most its share of the turns. */
  tenantId?: string | undefined;
}

export function withAdvisoryLock<T>(db: DataSource, name: string, options: AdvisoryLockOptions, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  return inLockHolderTurn(db, () => heldOnOneConnection(db, name, options, fn), options.tenantId);
}

async function heldOnOneConnection<T>(db: DataSource, name: string, options: AdvisoryLockOptions, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [name, options.waitSeconds])) as Array<{ acquired: number | null }>;
    if (row?.acquired !== 1) throw errors.conflict(options.busyMessage);
    try {
      return await fn(runner.manager);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Runs `fn` under the advisory lock if nobody holds it now, without waiting: a caller that finds
 * it taken gets `{ ran: false }` at once and holds no connection meanwhile (waiting in GET_LOCK
 * would keep one pool connection per waiter for as long as it waits). In a turn, as above.
 */
export function withAdvisoryLockIfFree<T>(db: DataSource, name: string, fn: () => Promise<T>, tenantId?: string): Promise<{ ran: true; value: T } | { ran: false }> {
  return inLockHolderTurn(db, () => heldIfFree(db, name, fn), tenantId);
}

async function heldIfFree<T>(db: DataSource, name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, 0) AS acquired', [name])) as Array<{ acquired: number | null }>;
    if (row?.acquired !== 1) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}
