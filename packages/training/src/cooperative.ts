import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Training is CPU-bound JavaScript. Handing the event loop back every few tens of milliseconds
 * keeps the worker's lock renewals and lease heartbeats on time: a job whose worker stops renewing
 * is presumed dead and run again elsewhere. Resolves true when it handed the loop back: the
 * trainers poll `shouldStop` then, so a stop is seen within one batch, not one (long) epoch.
 */
export function createYielder(budgetMs = 25): () => Promise<boolean> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < budgetMs) return false;
    await nextTurn();
    last = Date.now();
    return true;
  };
}
