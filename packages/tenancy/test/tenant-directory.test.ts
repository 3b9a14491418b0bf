import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
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
});
