import { setImmediate as nextTurn } from 'node:timers/promises';

/** Hands the event loop back once its budget is spent; `due()` says so without a promise. */
export interface Yielder {
  (): Promise<boolean>;
  /** The budget is spent: a row loop awaits the yielder only then (a promise per row costs more than a small model's row). */
  due(): boolean;
}

/**
 * Training is CPU-bound JavaScript. Handing the event loop back every few tens of milliseconds
 * keeps the worker's lock renewals and lease heartbeats on time: a job whose worker stops renewing
 * is presumed dead and run again elsewhere. Resolves true when it handed the loop back: the
 * trainers poll `shouldStop` then, so a stop is seen within one budget, not one (long) batch or epoch.
 */
export function createYielder(budgetMs = 25): Yielder {
  let last = Date.now();
  const yielder = (async () => {
    if (Date.now() - last < budgetMs) return false;
    await nextTurn();
    last = Date.now();
    return true;
  }) as Yielder;
  yielder.due = () => Date.now() - last >= budgetMs;
  return yielder;
}

/**
 * How many rows a row loop runs between looks at the clock: about 64k multiply-adds of work, at
 * most 1 024 rows and at least one. A row of the largest network (four layers of 256 units) is
 * milliseconds, one of a linear model a few nanoseconds per feature.
 */
export function rowsPerClockCheck(multiplyAddsPerRow: number): number {
  return Math.max(1, Math.min(1024, Math.floor(65_536 / Math.max(1, multiplyAddsPerRow))));
}
