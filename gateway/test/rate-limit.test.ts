import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
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
    [limited, other] = await Promise.all([stack.createTenant({ limits: { requestsPerMinute: 5 } }), stack.createTenant()]);
  });
  afterAll(() => stack?.stop());

  it('the 6th quick request of a 5/min tenant gets RATE_LIMITED (429, retry-after); another tenant is not affected', async () => {
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
});
