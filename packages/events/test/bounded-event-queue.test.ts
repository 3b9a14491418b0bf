import { BoundedEventQueue, slowConsumerBytesError } from '../src/bounded-event-queue';

function queue(capacity: number, overflow: 'error' | 'drop-oldest') {
  const ends: number[] = [];
  const q = new BoundedEventQueue<number>({ capacity, overflow, onEnd: () => ends.push(1) });
  return { q, ends };
}

describe('BoundedEventQueue', () => {
  it('delivers pushed items in order, to a waiting consumer and from the buffer', async () => {
    const { q } = queue(4, 'error');
    const first = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(await q.next()).toEqual({ value: 3, done: false });
  });

  it('drop-oldest keeps the newest `capacity` items and counts the dropped ones', async () => {
    const { q } = queue(3, 'drop-oldest');
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(2);
    const seen = [(await q.next()).value, (await q.next()).value, (await q.next()).value];
    expect(seen).toEqual([3, 4, 5]);
    expect(q.isEnded).toBe(false);
  });

  it('error policy: an overflow ends the stream with SERVICE_UNAVAILABLE / SLOW_CONSUMER and releases the channel once', async () => {
    const { q, ends } = queue(2, 'error');
    q.push(1);
    q.push(2);
    q.push(3);
    await expect(q.next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', extensions: { reason: 'SLOW_CONSUMER', bufferSize: 2 } });
    expect(await q.next()).toEqual({ value: undefined, done: true });
    q.push(4);
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(ends).toHaveLength(1);
  });

  it('return() ends a pending next() and ignores later pushes', async () => {
    const { q, ends } = queue(2, 'error');
    const pending = q.next();
    await q.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    q.push(1);
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(ends).toHaveLength(1);
  });

  it('hands every event it will never deliver to onDiscard (overflow, drop-oldest, abandon, return), and abandon() ends at once with its error', async () => {
    const discarded: number[][] = [];
    const make = (overflow: 'error' | 'drop-oldest') => new BoundedEventQueue<number>({ capacity: 2, overflow, onEnd: () => undefined, onDiscard: (items) => void discarded.push(items) });
    const overflowing = make('error');
    for (const i of [1, 2, 3]) overflowing.push(i);
    const dropping = make('drop-oldest');
    for (const i of [4, 5, 6]) dropping.push(i);
    const abandoned = make('error');
    for (const i of [7, 8]) abandoned.push(i);
    abandoned.abandon(slowConsumerBytesError(1024));
    const returned = make('error');
    returned.push(9);
    await returned.return();
    expect(discarded).toEqual([[1, 2], [4], [7, 8], [9]]);
    // Not after the buffered events: at once, with the byte bound named.
    await expect(abandoned.next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', extensions: { reason: 'SLOW_CONSUMER', bufferBytes: 1024 } });
    expect(await abandoned.next()).toEqual({ value: undefined, done: true });
  });
});
