import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { TenantDirectory, TenantStore } from '../src';

// Starts the real stack (MariaDB with the control plane): slow on a busy machine.
jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The gateway asks its directory about the tenant every failed token claims, forged ones included:
 * made-up tenant ids must not pile up in the cache for the life of the process.
 */
describe('TenantDirectory cache', () => {
  let stack: TestStack;
  let acme: TestTenant;
  const store = () => new TenantStore(stack.platform.runtime.db, stack.config.database.controlSchema);
  const madeUp = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i.toString(36)}`);

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('drops expired entries as new ones arrive: unknown ids asked once do not accumulate', async () => {
    const directory = new TenantDirectory(store(), 3_000);
    for (const id of madeUp('rv-gone', 200)) expect(await directory.find(id)).toBeUndefined();
    expect(directory.cachedEntries).toBe(200);
    await sleep(3_100);
    for (const id of madeUp('rv-next', 5)) await directory.find(id);
    expect(directory.cachedEntries).toBe(5);
    expect((await directory.requireActive(acme.id)).id).toBe(acme.id);
  });

  it('holds at most maxEntries however many ids are asked within one lifetime, and still answers each correctly', async () => {
    const directory = new TenantDirectory(store(), 60_000, 100);
    expect((await directory.requireActive(acme.id)).id).toBe(acme.id);
    for (const id of madeUp('rv-flood', 300)) expect(await directory.find(id)).toBeUndefined();
    expect(directory.cachedEntries).toBe(100);
    // acme was pushed out by the flood; it is read again, not answered as unknown.
    expect((await directory.requireActive(acme.id)).id).toBe(acme.id);
    await expect(directory.requireActive('rv-flood-0')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a record read before an invalidation and answered after it is not remembered: the next find reads the change', async () => {
    const real = store();
    // The real store, with a gate between its read and the answer: the read is made, then the
    // tenant is suspended and its entry dropped (as the change announcement does), then it answers.
    let read!: () => void;
    const made = new Promise<void>((resolve) => (read = resolve));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let gated = true;
    const slow = Object.create(real) as TenantStore;
    slow.find = async (tenantId: string) => {
      const record = await real.find(tenantId);
      if (gated) {
        gated = false;
        read();
        await gate;
      }
      return record;
    };
    const directory = new TenantDirectory(slow, 600_000);
    const platformAdmin = await stack.platformAdminToken();
    const first = directory.find(acme.id);
    await made;
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { suspendTenant(id: $id) { id } }', { id: acme.id }));
    try {
      directory.invalidate(acme.id);
      open();
      // The read in flight answers what it read...
      expect(await first).toMatchObject({ id: acme.id, status: 'ACTIVE' });
      // ...but is not kept for the cache's ten minutes: the next find reads the suspension.
      await expect(directory.requireActive(acme.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: acme.id }));
    }
  });
});
