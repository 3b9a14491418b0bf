import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';

/** The local second MariaDB (scripts/local-region-mariadb.sh), a region's own server. */
const euPort = Number(process.env['TESSERA_REGION_DB_PORT'] ?? '3307');

const setTier = `mutation($id: ID!, $tier: TenantTier!) { setTenantTier(id: $id, tier: $tier) { id tier } }`;

/**
 * setTenantTier re-grants the tenant's schema on its region's server before it answers (the grants
 * follow the tier). With that server unreachable (a relay in front of the real second MariaDB,
 * switched off) the change fails and leaves the tier as it was; once the server is back, the same
 * call goes through. The shared pool's account holds no right in the tenant's schema at any point
 * (workers hold none in any tenant schema: their run time is metered by the jobs service).
 */
describe("setTenantTier with the region's database server unreachable", () => {
  let stack: TestStack;
  let relay: TcpSwitch;
  let tenant: TestTenant;
  let platformAdmin: string;
  let sharedDb: DataSource;

  // Every right the shared pool's account holds in the tenant's schema, as the server lists them to it.
  const sharedRights = async () =>
    sharedDb.query(
      `SELECT TABLE_NAME AS t, PRIVILEGE_TYPE AS p FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ?
       UNION ALL SELECT '*', PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?`,
      [tenant.schema, tenant.schema],
    );

  beforeAll(async () => {
    relay = new TcpSwitch('127.0.0.1', euPort);
    await relay.on();
    const euServer = `127.0.0.1:${relay.port}`;
    stack = await startTestStack({ regionDatabases: { 'eu-west-1': euServer } });
    tenant = await stack.createTenant({ region: 'eu-west-1' });
    platformAdmin = await stack.platformAdminToken();
    const url = new URL(await stack.workers.databaseUrl());
    url.host = `127.0.0.1:${euPort}`;
    sharedDb = await openServiceDataSource({ ...stack.config.database, url: url.toString(), regionServers: undefined, poolSize: 1 }, []);
  }, 120_000);
  afterAll(async () => {
    await relay?.on();
    await sharedDb?.destroy();
    await stack?.stop();
    await relay?.off();
  });

  it('fails, and the tier stays as it was; the same call succeeds once the server is back; the shared pool holds no right in the schema throughout', async () => {
    expect(await sharedRights()).toEqual([]);
    await relay.off();
    const failed = await stack.query(platformAdmin, setTier, { id: tenant.id, tier: 'DEDICATED' });
    expect(errorCodes(failed)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await stack.adminQuery(`SELECT tier FROM \`${stack.config.database.controlSchema}\`.tenants WHERE id = ?`, [tenant.id])).toEqual([{ tier: 'shared' }]);
    expect(await sharedRights()).toEqual([]);

    await relay.on();
    expect(expectNoErrors(await stack.query<{ setTenantTier: { tier: string } }>(platformAdmin, setTier, { id: tenant.id, tier: 'DEDICATED' })).setTenantTier.tier).toBe('DEDICATED');
    expect(await sharedRights()).toEqual([]);
  }, 120_000);
});
