import { errorCodes, startTestStack, type TestStack } from '@tessera/testing';

/**
 * Many tenants exporting their audit trails at once, more than the audit service's pool holds
 * connections (the test stack's pool has 8): each export holds one connection for its lock, and
 * must not wait forever for another one its neighbours' exports hold.
 */
const tenantsExporting = 24;

const exportMutation = 'mutation($from: DateTime!, $to: DateTime!) { exportAuditEvents(from: $from, to: $to) { objectKey } }';

/** A hang must fail the test, not the whole run: the outcome, or `hung` once `ms` have passed. */
function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe('audit exports of many tenants at once', () => {
  let stack: TestStack;
  let hung = false;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
    if (stack && !hung) await stack.stop();
  });

  it('finishes every export, each asked by its own tenant’s auditor', async () => {
    const tenants = await Promise.all(Array.from({ length: tenantsExporting }, () => stack.createTenant()));
    const tokens = await Promise.all(tenants.map((tenant) => tenant.token('auditor')));
    const period = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    const outcome = await orHung(Promise.all(tokens.map((token) => stack.query<{ exportAuditEvents: { objectKey: string } }>(token, exportMutation, period))), 45_000);
    hung = outcome === 'hung';
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    expect(outcome.map((result) => errorCodes(result))).toEqual(tenants.map(() => []));
    expect(outcome.every((result) => typeof result.data?.exportAuditEvents.objectKey === 'string')).toBe(true);
  }, 60_000);
});
