import { BatchQueue, type PendingCall } from '../src/batch-queue';

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

describe('BatchQueue', () => {
  it('holds a group until its delay passes, then releases it', () => {
    const queue = new BatchQueue();
    queue.add(call('m', 1, 0));
    queue.add(call('m', 1, 1));
    expect(queue.takeReady(4)).toBeUndefined();
    expect(queue.nextReadyAt(4)).toBe(5);
    expect(queue.takeReady(5)?.length).toBe(2);
    expect(queue.count).toBe(0);
  });

  it('releases a full group at once and never exceeds maxBatchSize rows (FIFO)', () => {
    const queue = new BatchQueue();
    [2, 1, 2, 1].forEach((rows, index) => queue.add(call('m', rows, index)));
    const first = queue.takeReady(0)!;
    expect(first.map((pending) => pending.rows)).toEqual([2, 1]);
    expect(queue.count).toBe(2);
    expect(queue.takeReady(100)!.map((pending) => pending.rows)).toEqual([2, 1]);
  });

  it('a call larger than the batch still runs (alone)', () => {
    const queue = new BatchQueue();
    queue.add(call('m', 9, 0));
    queue.add(call('m', 1, 0));
    expect(queue.takeReady(0)!.map((pending) => pending.rows)).toEqual([9]);
  });

  it('serves the ready group whose oldest call waited longest, and removes single calls', () => {
    const queue = new BatchQueue();
    const late = call('b', 1, 3);
    queue.add(call('a', 1, 2));
    queue.add(late);
    queue.add(call('c', 1, 1));
    expect(queue.remove(late)).toBe(true);
    expect(queue.remove(late)).toBe(false);
    expect(queue.takeReady(100)![0]!.batchKey).toBe('c');
    expect(queue.takeReady(100)![0]!.batchKey).toBe('a');
    expect(queue.takeReady(100)).toBeUndefined();
  });
});
