import type { BoundedEventQueue } from '@tessera/events';

/** What one client socket may hold of relayed events by default (WS_SOCKET_BUFFER_BYTES). */
export const defaultSocketBufferBytes = 1024 * 1024;

/**
 * The bytes of relayed events one client socket holds in the gateway: waiting in its
 * subscriptions' queues, or written and not yet taken by the socket (each subscription has at most
 * one in flight: graphql-ws writes the next only once the previous one has left). The count bound
 * per subscription (256 events) is no bound on bytes: events carry tenant-made strings (job names,
 * error messages, alert text), and a reader that stops with many subscriptions would hold their
 * count times their size. This bound is the socket's, over all its subscriptions.
 */
export class SocketEventBytes {
  private held = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= 1)) throw new RangeError('a socket needs room for at least one byte of events');
  }

  get bytes(): number {
    return this.held;
  }

  /**
   * Room for an event of `bytes`, false when it would take the socket past the bound. An event
   * alone always fits: one larger than the bound could otherwise never be sent, even to a reader
   * that keeps up.
   */
  take(bytes: number): boolean {
    if (this.held > 0 && this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

/** An event as a relay queue holds it: with the bytes it was counted for. */
export interface WeighedEvent<T> {
  value: T;
  bytes: number;
}

/**
 * The consumer's side of a relay queue: an event's bytes stay counted until the consumer asks for
 * the next one (graphql-ws asks only once the previous event's write has left for the socket), or
 * ends. What the queue discards unsent gives its room back through the queue's `onDiscard`.
 */
export function releasedOnNext<T>(queue: BoundedEventQueue<WeighedEvent<T>>, bytes: SocketEventBytes): AsyncIterableIterator<T> {
  let inFlight = 0;
  const settle = () => {
    bytes.release(inFlight);
    inFlight = 0;
  };
  const iterator: AsyncIterableIterator<T> = {
    next: async () => {
      settle();
      const result = await queue.next();
      if (result.done) return { value: undefined, done: true };
      inFlight = result.value.bytes;
      return { value: result.value.value, done: false };
    },
    return: async () => {
      settle();
      await queue.return();
      return { value: undefined, done: true };
    },
    throw: async () => {
      settle();
      await queue.return();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
