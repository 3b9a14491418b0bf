import { randomBytes } from 'node:crypto';
import { createLogger } from '@tessera/config';
import { createTenantChangeListener } from '@tessera/service-kit';
import { createTestRedisUsers, type TestRedisUsers } from '@tessera/testing';
import { createTenantChangeAnnouncer } from '../src/domain/tenant-change-announcer';

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The tenants service's announcement of a changed tenant reaches every service on the shared
 * channel, and a process that serves one tenant (a dedicated worker) on that tenant's own channel:
 * the one-tenant listener hears its tenant's changes and never another tenant's. Real Redis, each
 * side as its own ACL user: the tenants service announces, a service and a dedicated worker listen.
 */
describe('tenant change announcements: the shared channel and each tenant\'s own', () => {
  let users: TestRedisUsers;
  beforeAll(async () => {
    users = await createTestRedisUsers(`tcc-${randomBytes(4).toString('hex')}`);
  });
  afterAll(() => users?.close());

  it("reaches every listener of the shared channel, and a one-tenant listener for its tenant's changes only", async () => {
    const heardByAll: string[] = [];
    const heardByAcmeOnly: string[] = [];
    const refusals: string[] = [];
    const logger = { ...createLogger('silent'), warn: (message: string) => refusals.push(message) };
    const listen = (redis: typeof users.shared, heard: string[], onlyTenant?: string) =>
      createTenantChangeListener({ redis, directory: { invalidate: (tenantId: string) => heard.push(tenantId), clear: () => undefined }, logger, onlyTenant });
    const all = listen(users.byService?.['datasets'] ?? users.shared, heardByAll);
    // acme's dedicated worker's own Redis user, which may subscribe to acme's channel and no other.
    const acmeOnly = listen(await users.worker('acme'), heardByAcmeOnly, 'acme');
    const announcer = createTenantChangeAnnouncer(users.byService?.['tenants'] ?? users.shared, createLogger('silent'));
    await all.start();
    await acmeOnly.start();
    try {
      await announcer.tenantChanged('globex');
      await announcer.tenantChanged('acme');
      await announcer.tenantChanged('initech');
      await until(() => heardByAll.length === 3, 'the shared listener to hear all three');
      await until(() => heardByAcmeOnly.length === 1, "acme's listener to hear acme's");
      // Every announcement went out before acme's listener could have heard any later one: it
      // heard acme's alone, and nothing of globex or initech arrives after it either.
      await announcer.tenantChanged('globex');
      await until(() => heardByAll.length === 4, 'the shared listener to hear the fourth');
      expect(heardByAll).toEqual(['globex', 'acme', 'initech', 'globex']);
      expect(heardByAcmeOnly).toEqual(['acme']);
      expect(refusals).toEqual([]);
    } finally {
      await announcer.close();
      await all.close();
      await acmeOnly.close();
    }
  });
});
