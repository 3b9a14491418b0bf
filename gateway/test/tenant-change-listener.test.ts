import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger, redisConnectionOptions, type RedisConfig } from '@tessera/config';
import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { createTenantChangeListener } from '@tessera/service-kit';
import { tenantChangedChannel } from '@tessera/tenancy';

const account = redisAccountFromEnvironment();

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What a process does when the tenants service announces a changed tenant (real Redis pub/sub):
 * its cached record is dropped at once, and the service's own follow-up (the jobs service routes
 * the tenant's queue to its tier's pool) runs one at a time per tenant, the last run after the
 * last announcement, so an older run cannot finish after a newer one and undo it.
 */
describe('tenant change listener', () => {
  const redis: RedisConfig = { url: account.url, keyPrefix: `tcl-${randomBytes(4).toString('hex')}`, tlsCaFile: account.tlsCaFile };
  let publisher: Redis;

  beforeAll(async () => {
    publisher = new Redis(account.url, { ...redisConnectionOptions(redis), lazyConnect: true });
    await publisher.connect();
  });
  afterAll(() => publisher?.quit());

  it("runs a tenant's follow-up one at a time, once more after announcements made during a run, and other tenants' beside it", async () => {
    const invalidated: string[] = [];
    const runs: Array<{ tenantId: string; startedAfter: number; finish: () => void }> = [];
    let announced = 0;
    let running = 0;
    let mostAtOnceForA = 0;
    const listener = createTenantChangeListener({
      redis,
      directory: { invalidate: (tenantId: string) => invalidated.push(tenantId), clear: () => undefined },
      logger: createLogger('silent'),
      onChanged: (tenantId) =>
        new Promise<void>((resolve) => {
          if (tenantId === 'acme') mostAtOnceForA = Math.max(mostAtOnceForA, ++running);
          runs.push({
            tenantId,
            startedAfter: announced,
            finish: () => {
              if (tenantId === 'acme') running -= 1;
              resolve();
            },
          });
        }),
    });
    await listener.start();
    try {
      const announce = async (tenantId: string) => {
        announced += 1;
        await publisher.publish(tenantChangedChannel(redis.keyPrefix!), JSON.stringify({ tenantId }));
      };
      await announce('acme');
      await until(() => runs.length === 1, "acme's first run");
      // Three more for acme while its first run is still going, and one for globex.
      await announce('acme');
      await announce('acme');
      await announce('globex');
      await announce('acme');
      await until(() => invalidated.length === 5, 'every announcement to drop the cached record');
      expect(invalidated).toEqual(['acme', 'acme', 'acme', 'globex', 'acme']);
      // globex's run does not wait for acme's; acme's second does not start while its first runs.
      await until(() => runs.some((run) => run.tenantId === 'globex'), "globex's run");
      expect(runs.filter((run) => run.tenantId === 'acme')).toHaveLength(1);

      runs[0]!.finish();
      await until(() => runs.filter((run) => run.tenantId === 'acme').length === 2, "acme's run after the announcements made during its first");
      const second = runs.filter((run) => run.tenantId === 'acme')[1]!;
      // It started after the last announcement, so it reads the latest record.
      expect(second.startedAfter).toBe(5);
      second.finish();
      runs.find((run) => run.tenantId === 'globex')!.finish();
      // Nothing more was asked for: three announcements during one run make one more run, not three.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(runs.filter((run) => run.tenantId === 'acme')).toHaveLength(2);
      expect(mostAtOnceForA).toBe(1);
    } finally {
      for (const run of runs) run.finish();
      await listener.close();
    }
  });
});
