import { BatchQueue, nextPreferredSize, type PendingCall } from '../src/batch-queue';

function call(batchKey: string, rows: number, enqueuedAt: number, options: Partial<PendingCall> = {}): PendingCall {
  return {
    modelKey: batchKey,
    inputs: {},
    rows,
    batchKey,
    maxBatchSize: 4,
    readyAt: enqueuedAt + 5,
    deadline: enqueuedAt + 1_000,
    timeoutMs: 1_000,
    enqueuedAt,
    modelBytes: async () => new Uint8Array(),
    resolve: () => undefined,
    reject: () => undefined,
    ...options,
  };
}

/** Another run of the pool is in progress (a call may wait for company); or nothing runs. */
const busy = true;
const idle = false;

describe('BatchQueue', () => {
  it('a group never waits while nothing of the pool runs: waiting would leave every process idle', () => {
    const queue = new BatchQueue();
    queue.add(call('m', 1, 0));
    queue.add(call('m', 1, 1));
    expect(queue.nextReadyAt(1, idle)).toBe(1);
    expect(queue.takeReady(1, idle)?.length).toBe(2);
    expect(queue.count).toBe(0);
  });

  it('while another run is in progress, a group waits for company only as long as the arrival rate says it comes in time', () => {
    const queue = new BatchQueue();
    // Calls 0.5 ms apart: two rows queued, two more (the next preferred size, 4) expected by t = 2.5, before readyAt (5).
    queue.add(call('m', 1, 0));
    queue.add(call('m', 1, 0.5));
    queue.add(call('m', 1, 1));
    expect(queue.takeReady(1, busy)).toBeUndefined();
    expect(queue.nextReadyAt(1, busy)).toBeCloseTo(1.5, 5);
    queue.add(call('m', 1, 1.5));
    // Four rows = maxBatchSize: ready at once.
    expect(queue.takeReady(1.5, busy)?.length).toBe(4);

    // A trickle (100 ms apart) would not fill the batch before readyAt: no waiting at all.
    const slow = new BatchQueue();
    slow.add(call('s', 1, 0));
    expect(slow.takeReady(0, busy)?.length).toBe(1);
    slow.add(call('s', 1, 100));
    expect(slow.takeReady(100, busy)?.length).toBe(1);
  });

  it('never waits beyond maxDelayMs (readyAt), nor past the moment company was due', () => {
    const queue = new BatchQueue();
    // Two more rows are due at 1.5, after the first call's readyAt (1): run now.
    queue.add(call('m', 1, 0, { readyAt: 1 }));
    queue.add(call('m', 1, 0.5, { readyAt: 1.5 }));
    expect(queue.takeReady(0.5, busy)?.length).toBe(2);

    // Company due at 0.3 that did not come: at 0.4 the group runs without it.
    queue.add(call('n', 1, 0, { readyAt: 2 }));
    queue.add(call('n', 1, 0.1, { readyAt: 2.1 }));
    expect(queue.takeReady(0.2, busy)).toBeUndefined();
    expect(queue.takeReady(0.4, busy)?.length).toBe(2);
  });

  it('preferred sizes are the powers of two up to the maximum', () => {
    expect([0, 1, 2, 3, 5, 8, 20, 31].map((rows) => nextPreferredSize(rows, 32))).toEqual([1, 2, 4, 4, 8, 16, 32, 32]);
    expect(nextPreferredSize(9, 12)).toBe(12);
  });

  it('releases a full group at once and never exceeds maxBatchSize rows (FIFO)', () => {
    const queue = new BatchQueue();
    [2, 1, 2, 1].forEach((rows, index) => queue.add(call('m', rows, index)));
    const first = queue.takeReady(0, busy)!;
    expect(first.map((pending) => pending.rows)).toEqual([2, 1]);
    expect(queue.count).toBe(2);
    expect(queue.takeReady(100, busy)!.map((pending) => pending.rows)).toEqual([2, 1]);
  });

  it('a call larger than the batch still runs (alone)', () => {
    const queue = new BatchQueue();
    queue.add(call('m', 9, 0));
    queue.add(call('m', 1, 0));
    expect(queue.takeReady(0, busy)!.map((pending) => pending.rows)).toEqual([9]);
  });

  it('serves the ready group whose oldest call waited longest, and removes single calls', () => {
    const queue = new BatchQueue();
    const late = call('b', 1, 3);
    queue.add(call('a', 1, 2));
    queue.add(late);
    queue.add(call('c', 1, 1));
    expect(queue.remove(late)).toBe(true);
    expect(queue.remove(late)).toBe(false);
    expect(queue.takeReady(100, busy)![0]!.batchKey).toBe('c');
    expect(queue.takeReady(100, busy)![0]!.batchKey).toBe('a');
    expect(queue.takeReady(100, busy)).toBeUndefined();
  });
});
