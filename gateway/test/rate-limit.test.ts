import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createLogger } from '@tessera/config';
import { CostRateLimiter } from '../src/pipeline/cost-rate-limit';
import { SharedRateLimitSync } from '../src/shared-rate-limit';
import { expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

const currentTenantQuery = '{ currentTenant { id } }';

describe('cost bucket arithmetic (pinned clock)', () => {
  const rate = { costPerMinute: 60_000, costBurst: 5_000 };
  const refusedCode = (run: () => void): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('starts full at the burst, not at a minute, and refills at the per-minute rate', () => {
    const limiter = new CostRateLimiter();
    const t0 = 1_000_000;
    limiter.take('t', rate, 5_000, t0);
    expect(refusedCode(() => limiter.take('t', rate, 1, t0))).toBe('RATE_LIMITED');
    // 1 000 units a second: 2.5 s later 2 500 are back, not more.
    limiter.take('t', rate, 2_500, t0 + 2_500);
    expect(refusedCode(() => limiter.take('t', rate, 1, t0 + 2_500))).toBe('RATE_LIMITED');
    // A long idle period refills to the burst only.
    limiter.take('t', rate, 5_000, t0 + 600_000);
    expect(refusedCode(() => limiter.take('t', rate, 1, t0 + 600_000))).toBe('RATE_LIMITED');
  });

  it('a refused document is charged in full, into debt (at most one bucket deep): the tenant waits until it is paid back', () => {
    const limiter = new CostRateLimiter();
    const t0 = 5_000_000;
    limiter.take('d', rate, 4_990, t0); // 10 units left
    limiter.charge('d', rate, 150, t0); // 140 in debt
    expect(refusedCode(() => limiter.assertNotEmpty('d', rate, t0 + 140))).toBe('RATE_LIMITED');
    expect(refusedCode(() => limiter.assertNotEmpty('d', rate, t0 + 142))).toBeUndefined();
    // Debt is bounded: charging far more than the bucket holds never locks a tenant out for longer than a refill of two buckets.
    for (let i = 0; i < 100; i++) limiter.charge('e', rate, 1_000, t0);
    expect(refusedCode(() => limiter.assertNotEmpty('e', rate, t0 + 5_000))).toBe('RATE_LIMITED');
    expect(refusedCode(() => limiter.assertNotEmpty('e', rate, t0 + 5_002))).toBeUndefined();
  });

  it("an answer's size is charged in full, past one bucket of debt: the work was done, so a huge answer is not half forgiven", () => {
    const limiter = new CostRateLimiter();
    const t0 = 7_000_000;
    limiter.take('a', rate, 98, t0); // a predict admitted at 98 units: 4 902 left
    limiter.chargeInFull('a', rate, 78_000, t0); // its 78 MiB answer: 73 098 in debt, not 5 000
    expect(refusedCode(() => limiter.assertNotEmpty('a', rate, t0 + 73_000))).toBe('RATE_LIMITED');
    expect(refusedCode(() => limiter.assertNotEmpty('a', rate, t0 + 73_100))).toBeUndefined();
    try {
      limiter.take('a', rate, 1, t0 + 1_000);
      throw new Error('accepted');
    } catch (error) {
      expect((error as { extensions?: { retryAfterSeconds?: number } }).extensions?.retryAfterSeconds).toBe(73);
    }
  });

  it('a burst larger than a minute is capped at the minute, and the limit named in QUERY_TOO_COMPLEX is the one that binds', () => {
    const limiter = new CostRateLimiter();
    expect(refusedCode(() => limiter.take('a', { costPerMinute: 100, costBurst: 5_000 }, 101, 0))).toBe('QUERY_TOO_COMPLEX');
    limiter.take('a', { costPerMinute: 100, costBurst: 5_000 }, 100, 0);
    try {
      limiter.take('b', rate, 5_001, 0);
      throw new Error('accepted');
    } catch (error) {
      expect((error as { extensions?: unknown }).extensions).toMatchObject({ limit: 'costBurst', limitValue: 5_000, measured: 5_001 });
    }
  });
});

describe('per-tenant rate limit at the gateway', () => {
  let stack: TestStack;
  let limited: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    [limited, other] = await Promise.all([stack.createTenant({ limits: { costPerMinute: 10 } }), stack.createTenant()]);
  });
  afterAll(() => stack?.stop());

  it('the 6th quick request of a tenant with 10 cost units a minute (each request costs 2) gets RATE_LIMITED (429, retry-after); another tenant is not affected', async () => {
    const [limitedToken, otherToken] = await Promise.all([limited.token('viewer'), other.token('viewer')]);

    for (let i = 1; i <= 5; i++) {
      const res = await stack.query(limitedToken, currentTenantQuery);
      expect({ request: i, codes: errorCodes(res), status: res.status }).toEqual({ request: i, codes: [], status: 200 });
    }

    const sixth = await stack.query(limitedToken, currentTenantQuery);
    expectRefused(sixth, 429, 'RATE_LIMITED');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(sixth.errors?.[0]?.extensions?.['retryAfterSeconds']).toBe(retryAfter);

    // Another tenant, same gateway, same moment: its requests still succeed.
    for (let i = 0; i < 6; i++) {
      expect(expectNoErrors(await stack.query(otherToken, currentTenantQuery))).toEqual({ currentTenant: { id: other.id } });
    }
    // …and the limited tenant is still limited.
    expectRefused(await stack.query(limitedToken, currentTenantQuery), 429, 'RATE_LIMITED');
  });

  it('a burst is capped at costBurst and refilled at costPerMinute: a tenant idle for a minute cannot spend the minute at once', async () => {
    // 120 units a minute refill 2 a second (one request of 2 units); the bucket holds at most 10 (5
    // requests). Slow enough a refill that five requests on a loaded machine still find it empty.
    const tenant = await stack.createTenant({ limits: { costPerMinute: 120, costBurst: 10 } });
    const token = await tenant.token('viewer');
    for (let i = 1; i <= 5; i++) expect({ request: i, codes: errorCodes(await stack.query(token, currentTenantQuery)) }).toEqual({ request: i, codes: [] });
    const refused = await stack.query(token, currentTenantQuery);
    expectRefused(refused, 429, 'RATE_LIMITED');
    expect(refused.errors?.[0]?.extensions?.['retryAfterSeconds']).toBe(1);
    // The wait it names is enough: a second later the bucket has refilled (but no more than its burst).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(errorCodes(await stack.query(token, currentTenantQuery))).toEqual([]);
    // An operation that costs more than the burst can never run: QUERY_TOO_COMPLEX naming costBurst, not a retry.
    // (Once the bucket holds a unit again: an empty bucket is refused before any document is read.)
    await new Promise((resolve) => setTimeout(resolve, 700));
    const tooBig = await stack.query(token, `{ ${Array.from({ length: 6 }, (_, i) => `t${i}: currentTenant { id }`).join(' ')} }`);
    expectRefused(tooBig, 400, 'QUERY_TOO_COMPLEX');
    expect(tooBig.errors?.[0]?.extensions).toMatchObject({ limit: 'costBurst', limitValue: 10 });
  });

  it("a large answer is paid in full from the tenant's bucket, even past one bucket of debt: the next request waits for all of it", async () => {
    // 60 units a minute (one a second), at most 20 at once. The document costs a few units; its answer
    // (the schema's types with their descriptions) is some 100 KiB, a unit per KiB past the first.
    const tenant = await stack.createTenant({ limits: { costPerMinute: 60, costBurst: 20 } });
    const token = await tenant.token('viewer');
    const answered = await stack.query<{ __schema: unknown }>(token, '{ __schema { types { name description fields { name description } } } }');
    expect(errorCodes(answered)).toEqual([]);
    const answerKiB = Math.ceil(Buffer.byteLength(JSON.stringify({ data: answered.data })) / 1024);
    expect(answerKiB).toBeGreaterThan(60);
    // The answer is charged when its response closes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await stack.query(token, currentTenantQuery);
    expectRefused(next, 429, 'RATE_LIMITED');
    // Capped at one bucket of debt the wait was at most 41 s (20 left + 20 of debt + 1), whatever the answer's size.
    expect(next.errors?.[0]?.extensions?.['retryAfterSeconds']).toBeGreaterThan(answerKiB - 30);
  });

  it("a request pays for its whole body's length, not only its document's: a 300 KB string variable is one value but 300 units", async () => {
    // At most 200 units at once: a small query with a 300 KB variable costs more than the bucket can ever hold.
    const tenant = await stack.createTenant({ limits: { costPerMinute: 600, costBurst: 200 } });
    const token = await tenant.token('viewer');
    const cursor = 'a'.repeat(300 * 1024);
    const used = await stack.query(token, 'query($c: String) { datasets(first: 1, after: $c) { edges { node { id } } } }', { c: cursor });
    expectRefused(used, 400, 'QUERY_TOO_COMPLEX');
    expect(used.errors?.[0]?.extensions).toMatchObject({ limit: 'costBurst', limitValue: 200 });
    expect(used.errors?.[0]?.extensions?.['measured']).toBeGreaterThanOrEqual(299);
    // A variable the document never uses (refused by validation) is paid the same way.
    const unused = await stack.query(token, 'query($c: String) { currentTenant { id } }', { c: cursor });
    expectRefused(unused, 400, 'QUERY_TOO_COMPLEX');
    // The same query with a short cursor is answered (a typed error for the cursor, not a refusal).
    const short = await stack.query(token, 'query($c: String) { datasets(first: 1, after: $c) { edges { node { id } } } }', { c: 'a'.repeat(100) });
    expect(errorCodes(short)).toEqual(['BAD_USER_INPUT']);
  });

  it('holds across replicas: what another gateway replica admitted comes out of this one\'s budget', async () => {
    const tenant = await stack.createTenant({ limits: { costPerMinute: 10 } });
    const token = await tenant.token('viewer');
    // Replicas exchange counts per clock minute: keep the exchange below off a minute boundary.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    expect(errorCodes(await stack.query(token, currentTenantQuery))).toEqual([]);
    await stack.platform.gateway.syncRateLimits();
    // A second replica (same Redis, same key prefix) admits 4 of the tenant's requests (2 units each) and reports them.
    const otherReplica = new CostRateLimiter();
    const otherSync = new SharedRateLimitSync(otherReplica, { redis: stack.config.redis, logger: createLogger('silent') });
    try {
      for (let i = 0; i < 4; i++) otherReplica.take(tenant.id, { costPerMinute: 10, costBurst: 10 }, 2);
      await otherSync.syncNow();
    } finally {
      await otherSync.close();
    }
    await stack.platform.gateway.syncRateLimits();
    // 1 here + 4 there = 10 units, the tenant's budget per minute: this replica refuses the next one.
    expectRefused(await stack.query(token, currentTenantQuery), 429, 'RATE_LIMITED');
  });
});
