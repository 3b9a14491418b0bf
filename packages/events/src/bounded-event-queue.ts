import { TesseraError } from '@tessera/errors';

/**
 * What happens when a subscriber does not keep up and its buffer is full:
 * - `error` (default): the subscription ends with a SERVICE_UNAVAILABLE error (reason SLOW_CONSUMER).
 *   The client learns it missed events and can subscribe again (jobProgress re-sends the job's
 *   current state first), instead of silently skipping a status change.
 * - `drop-oldest`: the oldest buffered event is discarded; for streams where only the latest
 *   state matters. `dropped` counts what was lost.
 */
export type OverflowPolicy = 'error' | 'drop-oldest';

export interface BoundedQueueOptions<T = unknown> {
  capacity: number;
  overflow: OverflowPolicy;
  /** Called once when the queue ends (return(), overflow error, close): releases the Redis channel. */
  onEnd: () => void;
  /** Called with buffered events that will never be delivered (overflow, return(), abandon()): lets an owner that weighs them give their room back. */
  onDiscard?: (items: T[]) => void;
}

export function slowConsumerError(capacity: number): TesseraError {
  return new TesseraError(
    'SERVICE_UNAVAILABLE',
    `The subscriber fell more than ${capacity} events behind and the subscription was closed; subscribe again.`,
    { reason: 'SLOW_CONSUMER', bufferSize: capacity },
  );
}

/** The same end when what a subscriber's socket holds passes a bound in bytes rather than in events. */
export function slowConsumerBytesError(maxBytes: number): TesseraError {
  return new TesseraError(
    'SERVICE_UNAVAILABLE',
    `The subscriber left more than ${maxBytes} bytes of events unread on its connection and the subscription was closed; subscribe again.`,
    { reason: 'SLOW_CONSUMER', bufferBytes: maxBytes },
  );
}

/**
 * One subscriber's buffer between the Redis connection (push) and its consumer (the async
 * iterator). Bounded, so a stalled consumer cannot grow the process's memory without limit.
 */
export class BoundedEventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;
  private ended = false;
  dropped = 0;

  constructor(private readonly options: BoundedQueueOptions<T>) {}

  get isEnded(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.options.capacity) {
      if (this.options.overflow === 'drop-oldest') {
        const oldest = this.items.shift() as T;
        this.options.onDiscard?.([oldest]);
        this.dropped += 1;
      } else {
        this.abandon(slowConsumerError(this.options.capacity));
        return;
      }
    }
    this.items.push(item);
  }

  /** Ends the stream with `error` after nothing more can be delivered (subscribe failed, overflow). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.finish();
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      this.failure = undefined;
      waiting.reject(error);
    }
  }

  /**
   * Ends the stream with `error` at once: buffered events are discarded, so the consumer is told
   * now rather than after draining (overflow, or a bound its owner keeps, such as bytes).
   */
  abandon(error: unknown): void {
    if (this.ended) return;
    this.discardBuffered();
    this.fail(error);
  }

  /** Ends the stream normally: buffered events are still delivered, then done. */
  end(): void {
    if (this.ended) return;
    this.finish();
    if (this.waiting && this.items.length === 0) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.discardBuffered();
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void error; // the consumer gave up; nothing to rethrow to
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private discardBuffered(): void {
    const discarded = this.items.splice(0);
    if (discarded.length > 0) this.options.onDiscard?.(discarded);
  }

  private finish(): void {
    this.ended = true;
    this.options.onEnd();
  }
}
