import { hourStart, monthStart, UsageAccumulator } from '../src';

const hour = 3_600_000;
const at = Date.UTC(2026, 0, 31, 23, 59, 59, 999);

describe('UsageAccumulator', () => {
  it('sums per tenant, hour and meter, and drains to empty', () => {
    const accumulator = new UsageAccumulator();
    accumulator.add('t1', 'costUnits', 10, at);
    accumulator.add('t1', 'costUnits', 5, at - 1000);
    accumulator.add('t1', 'costUnits', 1, at + 1); // the next hour (and month)
    accumulator.add('t1', 'inferenceMs', 2.5, at);
    accumulator.add('t2', 'costUnits', 7, at);
    expect(accumulator.pending('t1')).toEqual(new Map([['costUnits', 16], ['inferenceMs', 2.5]]));
    const drained = accumulator.drain();
    expect(accumulator.isEmpty).toBe(true);
    expect(drained.get('t1')).toEqual(
      expect.arrayContaining([
        { hourStart: hourStart(at), meter: 'costUnits', amount: 15 },
        { hourStart: hourStart(at) + hour, meter: 'costUnits', amount: 1 },
        { hourStart: hourStart(at), meter: 'inferenceMs', amount: 2.5 },
      ]),
    );
    expect(drained.get('t2')).toEqual([{ hourStart: hourStart(at), meter: 'costUnits', amount: 7 }]);
  });

  it('ignores amounts that would corrupt a sum only ever added to', () => {
    const accumulator = new UsageAccumulator();
    for (const amount of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) accumulator.add('t1', 'downloadBytes', amount, at);
    expect(accumulator.isEmpty).toBe(true);
  });

  it('merges rows back into their own hours (a failed write retried later)', () => {
    const accumulator = new UsageAccumulator();
    accumulator.add('t1', 'jobWorkerMs', 3, at);
    const rows = accumulator.drain().get('t1')!;
    accumulator.add('t1', 'jobWorkerMs', 4, at);
    accumulator.merge('t1', rows);
    expect(accumulator.drain().get('t1')).toEqual([{ hourStart: hourStart(at), meter: 'jobWorkerMs', amount: 7 }]);
  });

  it('months start on the first UTC day', () => {
    expect(monthStart(new Date(at)).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(monthStart(new Date(at + 1)).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});
