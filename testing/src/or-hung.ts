/**
 * A hang must fail the test, not the whole run: the promise's outcome, or `'hung'` once `ms` have
 * passed (a deadlocked pool never answers; a test that awaited it would stop only at Jest's timeout,
 * with the stack left unstoppable).
 */
export function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}
