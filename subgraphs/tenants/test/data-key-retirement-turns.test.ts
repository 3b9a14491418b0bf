/**
 * A retirement of a tenant data-key version counts what is still under it (the owners' counts,
 * then the header of every object in the tenant's bucket: seconds for a large bucket) while it
 * holds the version's row, a transaction's connection and one of the tenants service's
 * lock-holder turns. Those turns are shared by every tenant's locked work (rotations, re-encryption
 * and rotation runs, erasures); one tenant's work holds at most its share of them. The retirement
 * took its turn without naming its tenant, so one tenant's admin retiring a few versions at once
 * (parallel requests, each scanning a large bucket) held every turn, and another tenant's key
 * rotation waited until they had all counted. Now it takes one of its tenant's share.
 */
import { lockHoldersAtOnce, lockHoldersPerTenant } from '@tessera/tenancy';
import { startTestStack, type TestStack } from '@tessera/testing';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe("a tenant's data-key retirements", () => {
  it("hold at most the tenant's share of the lock-holder turns: another tenant rotates while they count", async () => {
    const [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const keyring = stack.platform.runtimes.tenants.keyring;
    const db = stack.platform.runtimes.tenants.db;
    const turns = lockHoldersAtOnce(db);
    expect(lockHoldersPerTenant(db)).toBeLessThan(turns);
    // B has older versions to retire, one per turn of the whole pool.
    for (let i = 0; i < turns; i++) await keyring.rotate(b.id);

    // B's retirements count slowly (a large bucket): each holds until released.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let counting = 0;
    const retirements = Array.from({ length: turns }, (_, i) =>
      keyring.destroyVersion(b.id, i + 1, { reason: 'requested' }, async () => {
        counting++;
        await held;
        return 1; // still in use: nothing is destroyed
      }),
    );
    try {
      const deadline = Date.now() + 5_000;
      while (counting < lockHoldersPerTenant(db) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(counting).toBeGreaterThanOrEqual(1);

      // A rotates meanwhile, within a few seconds (before, it waited for every one of B's counts).
      const rotated = await Promise.race([keyring.rotate(a.id).then(() => 'rotated'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
      expect(rotated).toBe('rotated');
      expect(counting).toBeLessThanOrEqual(lockHoldersPerTenant(db));
    } finally {
      release();
    }
    expect(await Promise.all(retirements)).toEqual(Array.from({ length: turns }, () => ({ dependents: 1 })));
    expect((await keyring.versions(a.id)).map((entry) => entry.version)).toEqual([1, 2]);
    expect((await keyring.versions(b.id)).length).toBe(turns + 1);
  });
});
