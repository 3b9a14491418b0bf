import { errors, TesseraError } from '@tessera/errors';
import { RateLimitHold } from '../src/pipeline/rate-limit-hold';

/** On jest's fake clock: what is asserted is the order of events, not how long anything took. */
describe('RateLimitHold', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const settled = (promise: Promise<void>) => {
    const state = { done: false };
    void promise.then(() => (state.done = true));
    return state;
  };

  it('holds a RATE_LIMITED answer for holdMs (or retry-after when shorter), nothing else', async () => {
    const hold = new RateLimitHold({ holdMs: 250, maxHeld: 10 });
    const limited = settled(hold.hold(errors.rateLimited(30)));
    const other = settled(hold.hold(new TesseraError('QUERY_TOO_COMPLEX', 'too deep')));
    await jest.advanceTimersByTimeAsync(249);
    expect([limited.done, other.done]).toEqual([false, true]);
    await jest.advanceTimersByTimeAsync(1);
    expect(limited.done).toBe(true);
  });

  it('never holds more than maxHeld answers at once: the next one goes out at once', async () => {
    const hold = new RateLimitHold({ holdMs: 1_000, maxHeld: 2 });
    const first = settled(hold.hold(errors.rateLimited(5)));
    const second = settled(hold.hold(errors.rateLimited(5)));
    const third = settled(hold.hold(errors.rateLimited(5)));
    await jest.advanceTimersByTimeAsync(0);
    expect([first.done, second.done, third.done]).toEqual([false, false, true]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect([first.done, second.done]).toEqual([true, true]);
    // Released slots are usable again.
    const fourth = settled(hold.hold(errors.rateLimited(5)));
    await jest.advanceTimersByTimeAsync(0);
    expect(fourth.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(fourth.done).toBe(true);
  });

  it('a tenant refused again within a second is held four times as long (never past retry-after); a first refusal, or another tenant\'s, is not', async () => {
    const hold = new RateLimitHold({ holdMs: 250, maxHeld: 10 });
    const t0 = Date.now();
    const first = settled(hold.hold(errors.rateLimited(5), 'noisy', t0));
    const repeat = settled(hold.hold(errors.rateLimited(5), 'noisy', t0 + 10));
    const shortRetry = settled(hold.hold(errors.rateLimited(1) /* retry-after 1 s */, 'noisy', t0 + 20));
    const otherTenant = settled(hold.hold(errors.rateLimited(5), 'quiet', t0 + 30));
    await jest.advanceTimersByTimeAsync(250);
    expect([first.done, repeat.done, shortRetry.done, otherTenant.done]).toEqual([true, false, false, true]);
    await jest.advanceTimersByTimeAsync(750);
    expect([repeat.done, shortRetry.done]).toEqual([true, true]);
    // A client that waited out its retry-after (at least a second) is a first refusal again.
    const later = settled(hold.hold(errors.rateLimited(5), 'noisy', t0 + 1_100));
    await jest.advanceTimersByTimeAsync(250);
    expect(later.done).toBe(true);
  });

  it('holdMs 0 sends every answer at once', async () => {
    const hold = new RateLimitHold({ holdMs: 0, maxHeld: 10 });
    const limited = settled(hold.hold(errors.rateLimited(5)));
    await jest.advanceTimersByTimeAsync(0);
    expect(limited.done).toBe(true);
  });
});
