import { RelaySchedule } from '../src/domain/relay-schedule';

describe('RelaySchedule: warm tenants every pass, every tenant every full sweep', () => {
  const schedule = () => new RelaySchedule({ fullSweepIntervalMs: 10_000, warmForMs: 60_000 });

  it('the first pass is a full sweep; the next one only after the interval', () => {
    const s = schedule();
    expect(s.fullSweepDue(0)).toBe(true);
    s.startFullSweep(['a', 'b', 'c'], 1_000);
    expect(s.all()).toEqual(['a', 'b', 'c']);
    expect(s.fullSweepDue(10_999)).toBe(false);
    expect(s.fullSweepDue(11_000)).toBe(true);
  });

  it('a tenant whose outbox held events is warm for warmForMs, then cools down', () => {
    const s = schedule();
    s.startFullSweep(['a', 'b'], 0);
    expect(s.warm(0)).toEqual([]);
    s.markActive('b', 1_000);
    expect(s.warm(2_000)).toEqual(['b']);
    expect(s.warm(61_000)).toEqual(['b']);
    expect(s.warm(61_001)).toEqual([]);
  });

  it('a tenant gone from the list at a full sweep is no longer warm', () => {
    const s = schedule();
    s.startFullSweep(['a', 'b'], 0);
    s.markActive('a', 0);
    s.markActive('b', 0);
    s.startFullSweep(['b'], 10_000);
    expect(s.warm(10_001)).toEqual(['b']);
  });
});
