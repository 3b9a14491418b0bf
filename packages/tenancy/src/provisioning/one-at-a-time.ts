/**
 * Runs the functions given to it one after another, in the order they came, within this process.
 * A caller waiting for its turn holds nothing (no pool connection): the turn is taken before any
 * connection is, so however many callers queue up, only the one running uses the pool.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // The next caller waits for this one to settle, whether it succeeded or failed.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
