/**
 * A retired (destroyed) tenant data-key version must stop opening data in every service at once,
 * not when their key caches expire: the datasets service has the key cached, the tenants service
 * destroys the version, and the datasets service's next read under it is refused. Another
 * tenant's keys in the same cache keep working.
 */
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;

beforeAll(async () => {
  stack = await startTestStack();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('a version destroyed by the tenants service no longer opens in the datasets service, which had it cached; B is untouched', async () => {
  const reader = stack.platform.runtimes.datasets.keyring;
  const owner = stack.platform.runtimes.tenants.keyring;
  const heldA = Buffer.from(await reader.keyFor(tenantA.id, 1));
  const heldB = Buffer.from(await reader.keyFor(tenantB.id, 1));
  // Cached: the same key again.
  expect((await reader.keyFor(tenantA.id, 1)).equals(heldA)).toBe(true);
  expect(await owner.rotate(tenantA.id)).toBe(2);
  expect(await owner.destroyVersion(tenantA.id, 1)).toEqual({ destroyed: true });
  await expect(reader.keyFor(tenantA.id, 1)).rejects.toThrow(/no data key version 1/);
  // B's key, cached in the same process, still opens; so does A's new version.
  expect((await reader.keyFor(tenantB.id, 1)).equals(heldB)).toBe(true);
  expect((await reader.currentKey(tenantA.id)).keyVersion).toBe(2);
  expect((await reader.keyFor(tenantA.id, 2)).length).toBe(32);
});
