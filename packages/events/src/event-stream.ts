export interface EventStreamOptions<T, R> {
  /** Delivered before anything from the source (e.g. the current state read after subscribing). */
  initial?: R[];
  /** Source events for which this is false are skipped. */
  filter?: (event: T) => boolean;
  map: (event: T) => R;
  /** The stream completes (and unsubscribes) right after delivering an event for which this is true. */
  isLast?: (event: R) => boolean;
}

/**
 * Filters and maps a subscription without an async generator, on purpose: a generator that is
 * parked in `await source.next()` cannot run its `finally` until the next event arrives, so a
 * client that unsubscribes from a quiet stream would keep its Redis subscription forever.
 * Here `return()` reaches the source at once.
 */
export function mapEventStream<T, R>(source: AsyncIterator<T>, options: EventStreamOptions<T, R>): AsyncIterableIterator<R> {
  const pending = [...(options.initial ?? [])];
  let finished = false;
  const done: IteratorResult<R> = { value: undefined, done: true };
  const finish = async () => {
    if (finished) return;
    finished = true;
    await source.return?.();
  };

  const pull = async (): Promise<IteratorResult<R>> => {
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await source.next();
      } catch (error) {
        await finish();
        throw error;
      }
      if (result.done) {
        finished = true;
        return done;
      }
      if (options.filter && !options.filter(result.value)) continue;
      return { value: options.map(result.value), done: false };
    }
  };

  const stream: AsyncIterableIterator<R> = {
    async next() {
      if (finished) return done;
      const result = pending.length > 0 ? { value: pending.shift() as R, done: false as const } : await pull();
      if (result.done) return done;
      if (options.isLast?.(result.value)) await finish();
      return result;
    },
    async return() {
      await finish();
      return done;
    },
    async throw() {
      await finish();
      return done;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
