import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Training is CPU-bound JavaScript. Handing the event loop back every few tens of milliseconds
 * keeps the worker's lock renewals and lease heartbeats on time: a job whose worker stops renewing
 * is presumed dead and run again elsewhere.
 */
export function createYielder(budgetMs = 25): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < budgetMs) return;
    await nextTurn();
    last = Date.now();
  };
}
