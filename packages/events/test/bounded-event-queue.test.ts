import { BoundedEventQueue } from '../src/bounded-event-queue';

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
});
