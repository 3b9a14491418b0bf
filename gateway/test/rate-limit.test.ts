import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createLogger } from '@tessera/config';
import { CostRateLimiter } from '../src/pipeline/cost-rate-limit';
import { SharedRateLimitSync } from '../src/shared-rate-limit';
import { expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

const currentTenantQuery = '{ currentTenant { id } }';

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
      for (let i = 0; i < 4; i++) otherReplica.take(tenant.id, 10, 2);
      await otherSync.syncNow();
    } finally {
      await otherSync.close();
    }
    await stack.platform.gateway.syncRateLimits();
    // 1 here + 4 there = 10 units, the tenant's budget per minute: this replica refuses the next one.
    expectRefused(await stack.query(token, currentTenantQuery), 429, 'RATE_LIMITED');
  });
});
