import { BoundedEventQueue } from '../src/bounded-event-queue';
import { mapEventStream } from '../src/event-stream';

function source() {
  let released = 0;
  const queue = new BoundedEventQueue<number>({ capacity: 10, overflow: 'error', onEnd: () => (released += 1) });
  return { queue, released: () => released };
}

describe('mapEventStream', () => {
  it('sends the initial events first, then filtered and mapped source events, and completes after the last one', async () => {
    const { queue, released } = source();
    const stream = mapEventStream(queue, { initial: ['snapshot'], filter: (n) => n % 2 === 0, map: (n) => `event ${n}`, isLast: (e) => e === 'event 4' });
    [1, 2, 3, 4, 6].forEach((n) => queue.push(n));
    const seen: string[] = [];
    for await (const event of stream) seen.push(event);
    expect(seen).toEqual(['snapshot', 'event 2', 'event 4']);
    expect(released()).toBe(1);
  });

  it('return() while waiting for a quiet source releases the source at once', async () => {
    const { queue, released } = source();
    const stream = mapEventStream(queue, { map: (n) => n });
    const pending = stream.next();
    await stream.return!();
    expect(released()).toBe(1);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('a failing source ends the stream with its error and releases it', async () => {
    const { queue, released } = source();
    const stream = mapEventStream(queue, { map: (n) => n });
    queue.fail(new Error('redis went away'));
    await expect(stream.next()).rejects.toThrow('redis went away');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(released()).toBe(1);
  });
});
