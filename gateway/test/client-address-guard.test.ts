import { TesseraError } from '@tessera/errors';
import { ClientAddressGuard, type AddressAdmission } from '../src/pipeline/client-address-guard';
import { clientAddressKey } from '../src/pipeline/client-address-key';
import { AuthFailureWindows, type AuthFailure } from '../src/pipeline/auth-failure-windows';

/** A clock the test moves by hand. */
function manualClock(startMs = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
}

function refusal(run: () => unknown): TesseraError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
}

describe('client address keys', () => {
  it('keys IPv4 as itself, IPv4-mapped IPv6 as its IPv4, IPv6 by its /64, nothing as one key', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});

describe('ClientAddressGuard (pure, pinned clock)', () => {
  const token = (n: number) => `header.payload-${n}.signature`;

  /** One request that fails authentication, as guardAuthentication reports it. */
  const fail = (guard: ClientAddressGuard, address: string, presented?: string) => {
    const admission = guard.admit(address, presented);
    guard.recordFailure(admission, presented);
  };

  it('lets an address fail its budget, then refuses it before verification with RATE_LIMITED and retryAfterSeconds', () => {
    const clock = manualClock();
    const guard = new ClientAddressGuard({ failuresPerMinute: 6, now: clock.now });
    for (let i = 0; i < 6; i++) fail(guard, '198.51.100.1', token(i));
    const refused = refusal(() => guard.admit('198.51.100.1', token(99)));
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(refused?.httpStatus).toBe(429);
    expect(refused?.extensions['retryAfterSeconds']).toBe(10); // one failure back every 60 s / 6
    // Another address is not affected.
    expect(refusal(() => guard.admit('198.51.100.2', token(99)))).toBeUndefined();
    // The budget refills continuously: one failure's worth after 10 s.
    clock.advance(10_000);
    expect(refusal(() => fail(guard, '198.51.100.1'))).toBeUndefined();
    expect(refusal(() => guard.admit('198.51.100.1', undefined))?.code).toBe('RATE_LIMITED');
  });

  it('reserves a unit per request before verification, so concurrent forged requests cannot overrun the budget', () => {
    const guard = new ClientAddressGuard({ failuresPerMinute: 5, now: manualClock().now });
    fail(guard, '198.51.100.3'); // tracked from now on
    const inFlight: AddressAdmission[] = [];
    const refusals: Array<TesseraError | undefined> = [];
    for (let i = 0; i < 50; i++) {
      refusals.push(
        refusal(() => {
          inFlight.push(guard.admit('198.51.100.3', token(i)));
        }),
      );
    }
    expect(inFlight).toHaveLength(4);
    expect(refusals.filter((r) => r?.code === 'RATE_LIMITED')).toHaveLength(46);
    // Requests that authenticate give their unit back.
    for (const admission of inFlight) guard.recordVerified(admission, undefined);
    expect(refusal(() => guard.admit('198.51.100.3', undefined))).toBeUndefined();
  });

  it('lets a token it verified recently through a locked-out shared address; a changed or unknown token stays refused', () => {
    const guard = new ClientAddressGuard({ failuresPerMinute: 3, now: manualClock().now });
    const colleague = token(1);
    guard.recordVerified(guard.admit('192.0.2.10', colleague), colleague);
    for (let i = 0; i < 3; i++) fail(guard, '192.0.2.10', `forged-${i}`);
    expect(refusal(() => guard.admit('192.0.2.10', 'forged-next'))?.code).toBe('RATE_LIMITED');
    expect(refusal(() => guard.admit('192.0.2.10', `${colleague}x`))?.code).toBe('RATE_LIMITED');
    expect(refusal(() => guard.admit('192.0.2.10', colleague))).toBeUndefined();
    // A remembered token that then fails (e.g. its tenant was suspended) is forgotten at once.
    fail(guard, '192.0.2.10', colleague);
    expect(refusal(() => guard.admit('192.0.2.10', colleague))?.code).toBe('RATE_LIMITED');
  });

  it('forgets remembered tokens after their time and the least recently used past the cap', () => {
    const clock = manualClock();
    const guard = new ClientAddressGuard({ failuresPerMinute: 1, maxRememberedTokens: 2, rememberTokenMs: 60_000, now: clock.now });
    for (const n of [1, 2, 3]) guard.recordVerified({ key: 'x', reserved: false }, token(n));
    fail(guard, '192.0.2.20');
    expect(refusal(() => guard.admit('192.0.2.20', token(1)))?.code).toBe('RATE_LIMITED'); // evicted by token 3
    expect(refusal(() => guard.admit('192.0.2.20', token(3)))).toBeUndefined();
    clock.advance(60_001);
    fail(guard, '192.0.2.20'); // the minute refilled one unit; spend it again
    expect(refusal(() => guard.admit('192.0.2.20', token(3)))?.code).toBe('RATE_LIMITED'); // expired
  });

  it('does not charge what is not the client failing (release), and tracks a bounded number of addresses', () => {
    const guard = new ClientAddressGuard({ failuresPerMinute: 2, maxTrackedAddresses: 100, now: manualClock().now });
    fail(guard, '192.0.2.30');
    for (let i = 0; i < 10; i++) guard.release(guard.admit('192.0.2.30', undefined));
    expect(refusal(() => guard.admit('192.0.2.30', undefined))).toBeUndefined();
    // Clients that always authenticate are never tracked; failing ones up to the cap.
    for (let i = 0; i < 1_000; i++) guard.recordVerified(guard.admit(`10.0.${i >> 8}.${i & 255}`, undefined), undefined);
    expect(guard.trackedAddresses).toBe(1);
    for (let i = 0; i < 1_000; i++) fail(guard, `10.1.${i >> 8}.${i & 255}`);
    expect(guard.trackedAddresses).toBe(100);
  });
});

describe('AuthFailureWindows (pure, pinned clock)', () => {
  const failure = (sourceIp: string, claimedTenant: string | null, n: number, action = 'auth.failure'): AuthFailure => ({
    action,
    claimedTenant,
    sourceIp,
    subject: `mallory-${n % 3}`,
    reason: 'The access token signature is invalid.',
    tokenPresent: true,
    requestId: `req-${n}`,
  });

  it('10 000 failures from several addresses naming one tenant: one record per (source, minute) at once, one summary per window, counts add up', () => {
    const clock = manualClock();
    const windows = new AuthFailureWindows({ now: clock.now });
    const sources = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '2001:db8:1:2::5', '2001:db8:1:2::6'];
    let recordedNow = 0;
    const summaries = [];
    for (let i = 0; i < 10_000; i++) {
      if (i === 5_000) {
        clock.advance(60_000); // the next minute: the first minute's windows end
        summaries.push(...windows.takeEnded());
      }
      if (windows.add(failure(sources[i % sources.length]!, 'tvictim', i)).recordNow) recordedNow += 1;
    }
    summaries.push(...windows.takeAll());
    // The two IPv6 addresses share a /64, hence four sources per minute.
    expect(recordedNow).toBe(8);
    expect(summaries).toHaveLength(8);
    expect(recordedNow + summaries.reduce((sum, s) => sum + s.count, 0)).toBe(10_000);
    expect(summaries.find((s) => s.source === '203.0.113.1')).toMatchObject({ claimedTenant: 'tvictim', count: 999, subject: '*', subjects: 3, tokenPresent: true });
    expect(summaries.find((s) => s.source === '2001:db8:1:2::/64')).toMatchObject({ count: 1_999 });
    expect(windows.openWindows).toBe(0);
  });

  it('a single failure leaves no summary; one subject is named in its summary', () => {
    const windows = new AuthFailureWindows({ now: manualClock().now });
    expect(windows.add(failure('192.0.2.1', 'tvictim', 0)).recordNow).toBe(true);
    expect(windows.takeAll()).toEqual([]);
    windows.add(failure('192.0.2.1', 'tvictim', 3));
    windows.add(failure('192.0.2.1', 'tvictim', 6));
    expect(windows.takeAll()).toEqual([expect.objectContaining({ count: 1, subject: 'mallory-0', subjects: 1, lastRequestId: 'req-6' })]);
  });

  it("folds many addresses naming one tenant into the tenant's source '*' window, and many tenants into one tenant-less window", () => {
    const windows = new AuthFailureWindows({ now: manualClock().now, maxSourcesPerTenant: 4, maxWindows: 50 });
    let recordedNow = 0;
    for (let i = 0; i < 10_000; i++) if (windows.add(failure(`198.51.${i >> 8}.${i & 255}`, 'tvictim', i)).recordNow) recordedNow += 1;
    expect(recordedNow).toBe(5); // four sources, then '*'
    const folded = windows.takeAll();
    expect(folded.find((s) => s.source === '*')).toMatchObject({ claimedTenant: 'tvictim', count: 9_995 });

    for (let i = 0; i < 10_000; i++) windows.add(failure('198.51.100.9', `t${i.toString(16).padStart(6, '0')}`, i));
    expect(windows.openWindows).toBe(51); // 50 tenants, then one window for the rest
    const summaries = windows.takeAll();
    expect(summaries).toEqual([expect.objectContaining({ claimedTenant: null, source: '*', count: 9_949 })]);
  });

  it('keeps auth.failure and access.denied apart', () => {
    const windows = new AuthFailureWindows({ now: manualClock().now });
    expect(windows.add(failure('192.0.2.1', 'tvictim', 0)).recordNow).toBe(true);
    expect(windows.add(failure('192.0.2.1', 'tvictim', 1, 'access.denied')).recordNow).toBe(true);
    expect(windows.add(failure('192.0.2.1', 'tvictim', 2, 'access.denied')).recordNow).toBe(false);
  });
});
