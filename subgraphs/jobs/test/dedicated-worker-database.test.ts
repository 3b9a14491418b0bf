import type { DataSource } from 'typeorm';
import { serviceData } from '@tessera/platform';
import { databaseUrlOnServer, dedicatedWorkerAccountUser, localServiceDatabaseUrls, migrateDeployment, openServiceDataSource, tenantSchemaName } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, waitForStatus } from './job-support';

/** The local second MariaDB (scripts/local-region-mariadb.sh), a region's own server. */
const euServer = `127.0.0.1:${process.env['TESSERA_REGION_DB_PORT'] ?? '3307'}`;

/** What MariaDB answers a statement an account holds no right for. */
const refused = new Set(['ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

/**
 * A login of an account that no longer exists: MariaDB answers it as a failed authentication, as
 * 1045 or, depending on the authentication exchange it feigns for an unknown user, 1698; both are
 * "Access denied" for that user, never a connection or TLS failure.
 */
const accountGone = { code: expect.stringMatching(/^ER_ACCESS_DENIED_(NO_PASSWORD_)?ERROR$/) as unknown as string };

async function attempt(db: DataSource, sql: string, params: unknown[] = []): Promise<'allowed' | 'refused'> {
  try {
    await db.query(sql, params);
    return 'allowed';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== undefined && refused.has(code)) return 'refused';
    throw error;
  }
}

/** The statements a worker's rights are about, on `tenant`'s schema; none changes a row when allowed (no row is selected to insert; IGNORE: strict mode would otherwise want the other columns). */
const statements = (tenant: TestTenant) => {
  const schema = `\`${tenantSchemaName(tenant.id)}\``;
  return {
    readMeters: `SELECT meter, amount FROM ${schema}.usage_meters`,
    addToMeter: `INSERT IGNORE INTO ${schema}.usage_meters (hour, meter, amount) SELECT NOW(), 'jobWorkerMs', 0 FROM DUAL WHERE FALSE`,
    resetMeters: `UPDATE ${schema}.usage_meters SET amount = 0 WHERE FALSE`,
    readBudgets: `SELECT meter, monthly_limit FROM ${schema}.usage_budgets`,
    raiseBudgetAlert: `INSERT IGNORE INTO ${schema}.usage_budget_alerts (meter) SELECT 'jobWorkerMs' FROM DUAL WHERE FALSE`,
    writeAuditOutbox: `INSERT IGNORE INTO ${schema}.audit_outbox (outbox_id) SELECT NULL FROM DUAL WHERE FALSE`,
  };
};
const answers = async (db: DataSource, tenant: TestTenant) =>
  Object.fromEntries(await Promise.all(Object.entries(statements(tenant)).map(async ([name, sql]) => [name, await attempt(db, sql)] as const)));

/** Writes every service's metered amounts now (the jobs service meters a run's time when the run reports its outcome). */
async function flushMeters(stack: TestStack): Promise<void> {
  for (const runtime of new Set(Object.values(stack.platform.runtimes))) await runtime.usage.flush();
}

const setTier = `mutation($id: ID!, $tier: TenantTier!) { setTenantTier(id: $id, tier: $tier) { id tier } }`;

/**
 * Every right `db` (logged in as the shared pool's account) holds in `schema`, on a table or on the
 * whole schema, as the server lists them to the account itself.
 */
async function ownRights(db: DataSource, schema: string): Promise<unknown[]> {
  return db.query(
    `SELECT TABLE_NAME AS t, PRIVILEGE_TYPE AS p FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ?
     UNION ALL SELECT '*', PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?`,
    [schema, schema],
  );
}

/**
 * A dedicated-tier tenant's workers connect to MariaDB as their tenant's own account
 * (`tessera_workers_<tenant>`), not the shared pool's `tessera_workers`: the server itself refuses
 * that account every other tenant's directory row. Neither account holds any right in a tenant's
 * schema (meters, budgets, budget alerts, audit outbox): a run's time is metered by the jobs service
 * from the run's outcome report. Real grants, real errors.
 */
describe("dedicated workers: a database account confined to their tenant", () => {
  let stack: TestStack;
  let shared: TestTenant;
  let globex: TestTenant;
  let initech: TestTenant;
  let globexDb: DataSource;
  let sharedWorkersDb: DataSource;
  let control: string;

  const as = async (url: string) => openServiceDataSource({ ...stack.config.database, url, poolSize: 1 }, []);
  beforeAll(async () => {
    stack = await startTestStack();
    control = `\`${stack.config.database.controlSchema}\``;
    [shared, globex, initech] = await Promise.all([stack.createTenant(), stack.createTenant({ tier: 'dedicated' }), stack.createTenant({ tier: 'dedicated' })]);
    [globexDb, sharedWorkersDb] = await Promise.all([stack.workers.databaseUrl(globex.id).then(as), stack.workers.databaseUrl().then(as)]);
  }, 120_000);
  afterAll(async () => {
    await globexDb?.destroy();
    await sharedWorkersDb?.destroy();
    await stack?.stop();
  });

  it("runs the tenant's job end to end as its own account; its worker time lands in its meters (metered by the jobs service)", async () => {
    const [row] = (await globexDb.query("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS account")) as Array<{ account: string }>;
    expect(row?.account).toBe(dedicatedWorkerAccountUser(globex.id));
    const scientist = await globex.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'numbers', 'x,y\n1,2\n3,4\n');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const worker = await stack.workers.start({ dedicatedTenant: globex.id });
    expect((await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
    await worker.stop();
    await flushMeters(stack);
    const meters = (await stack.adminQuery<Array<{ amount: string }>>(`SELECT amount FROM \`${globex.schema}\`.usage_meters WHERE meter = 'jobWorkerMs'`)).map((row) => Number(row.amount));
    expect(meters.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);

  it("refuses to start a dedicated tenant's worker with the shared pool's account", async () => {
    const sharedUrl = await stack.workers.databaseUrl();
    await expect(stack.workers.start({ dedicatedTenant: globex.id, env: { DATABASE_URL: sharedUrl } })).rejects.toThrow(
      new RegExp(`DATABASE_URL: a worker of dedicated tenant ${globex.id} connects as its own account ${dedicatedWorkerAccountUser(globex.id)}`),
    );
  }, 60_000);

  it("shows the account its own tenant's directory row only, and refuses it the tenants table", async () => {
    expect(await globexDb.query(`SELECT id, tier, status FROM ${control}.dedicated_worker_tenants`)).toEqual([{ id: globex.id, tier: 'dedicated', status: 'ACTIVE' }]);
    expect(await globexDb.query(`SELECT id FROM ${control}.dedicated_worker_tenants WHERE id IN (?, ?)`, [shared.id, initech.id])).toEqual([]);
    expect(await attempt(globexDb, `SELECT id, status, region FROM ${control}.tenants WHERE id = ?`, [shared.id])).toBe('refused');
    expect(await attempt(globexDb, `SELECT id FROM ${control}.dedicated_worker_accounts`)).toBe('refused');
    // The shared pool's account keeps the directory, and has no use for the view.
    expect(await attempt(sharedWorkersDb, `SELECT id FROM ${control}.tenants WHERE id = ?`, [shared.id])).toBe('allowed');
    expect(await attempt(sharedWorkersDb, `SELECT id FROM ${control}.dedicated_worker_tenants`)).toBe('refused');
  });

  it("gives neither the account nor the shared pool's any right on a tenant's schema: its own, another dedicated or a shared tenant's", async () => {
    const none = { readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' };
    expect(await answers(globexDb, globex)).toEqual(none);
    expect(await ownRights(globexDb, globex.schema)).toEqual([]);
    expect(await answers(globexDb, shared)).toEqual(none);
    expect(await answers(globexDb, initech)).toEqual(none);
    expect(await attempt(globexDb, `SELECT id FROM \`${globex.schema}\`.jobs`)).toBe('refused');
    // The shared pool: not even its shared tenants' (its account spans them all: it could push one
    // past its budget, zero its meters or forge its audit events).
    expect(await answers(sharedWorkersDb, shared)).toEqual(none);
    expect(await ownRights(sharedWorkersDb, shared.schema)).toEqual([]);
  });

  it("gives the shared pool's account no right on any table of a dedicated tenant's schema", async () => {
    const none = { readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' };
    for (const tenant of [globex, initech]) {
      expect(await answers(sharedWorkersDb, tenant)).toEqual(none);
      expect(await ownRights(sharedWorkersDb, tenant.schema)).toEqual([]);
    }
  });

  it("whatever the tier: moved to shared, the shared pool runs its job (its time metered by the jobs service) with no right in its schema; moved back, none either; through tessera migrate too", async () => {
    const platformAdmin = await stack.platformAdminToken();
    const moved = await stack.createTenant({ tier: 'dedicated' });
    const none = { readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' };
    expect(await answers(sharedWorkersDb, moved)).toEqual(none);
    expectNoErrors(await stack.query(platformAdmin, setTier, { id: moved.id, tier: 'SHARED' }));
    expect(await answers(sharedWorkersDb, moved)).toEqual(none);
    expect(await ownRights(sharedWorkersDb, moved.schema)).toEqual([]);
    // The shared pool runs its job; the jobs service meters its worker time.
    const scientist = await moved.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'numbers', 'x,y\n1,2\n3,4\n');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const worker = await stack.workers.start();
    expect((await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
    await worker.stop();
    await flushMeters(stack);
    const meters = (await stack.adminQuery<Array<{ amount: string }>>(`SELECT amount FROM \`${moved.schema}\`.usage_meters WHERE meter = 'jobWorkerMs'`)).map((row) => Number(row.amount));
    expect(meters.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    expectNoErrors(await stack.query(platformAdmin, setTier, { id: moved.id, tier: 'DEDICATED' }));
    expect(await answers(sharedWorkersDb, moved)).toEqual(none);
    expect(await ownRights(sharedWorkersDb, moved.schema)).toEqual([]);
    await migrateDeployment(stack.migrator, serviceData);
    expect(await answers(sharedWorkersDb, moved)).toEqual(none);
    expect(await ownRights(sharedWorkersDb, moved.schema)).toEqual([]);
    expect(await answers(sharedWorkersDb, shared)).toEqual(none);
  }, 120_000);

  it("refuses the routines a tier other than the tenant's, and the tenants account cannot hand the shared pool a dedicated tenant's tables that way", async () => {
    const tenantsDb = await as(localServiceDatabaseUrls().tenants);
    try {
      await expect(tenantsDb.query(`CALL ${control}.grant_tenant_tables(?, 'shared')`, [globex.schema])).rejects.toThrow(/not the tenant's tier/);
      expect(await ownRights(sharedWorkersDb, globex.schema)).toEqual([]);
    } finally {
      await tenantsDb.destroy();
    }
  });

  it('holds no right in a tenant schema after tessera migrate either, and keeps its directory view', async () => {
    await migrateDeployment(stack.migrator, serviceData);
    expect(await answers(globexDb, globex)).toMatchObject({ addToMeter: 'refused', writeAuditOutbox: 'refused' });
    expect(await ownRights(globexDb, globex.schema)).toEqual([]);
    expect(await answers(globexDb, initech)).toMatchObject({ addToMeter: 'refused', writeAuditOutbox: 'refused' });
    expect(await globexDb.query(`SELECT id FROM ${control}.dedicated_worker_tenants`)).toEqual([{ id: globex.id }]);
  }, 120_000);

  it("takes them away and drops the account when the tenant is erased: a later tenant of the same id is not the old account's", async () => {
    const gone = await stack.createTenant({ tier: 'dedicated' });
    const goneUrl = await stack.workers.databaseUrl(gone.id);
    const goneDb = await as(goneUrl);
    try {
      expect(await attempt(goneDb, `SELECT id FROM ${control}.dedicated_worker_tenants`)).toBe('allowed');
      await stack.platform.provisioner.deprovision(gone.id);
      await stack.platform.provisioner.provision({ id: gone.id, displayName: 'Reused id', region: 'us-east-1', tier: 'shared' });
      // A session opened before the erasure keeps no right; a new one is not let in at all.
      expect(await answers(goneDb, gone)).toEqual({ readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' });
      expect(await attempt(goneDb, `SELECT id FROM ${control}.dedicated_worker_tenants`)).toBe('refused');
      await expect(as(goneUrl)).rejects.toMatchObject(accountGone);
      expect(await stack.adminQuery<unknown[]>(`SELECT 1 FROM ${control}.dedicated_worker_accounts WHERE tenant_id = ?`, [gone.id])).toEqual([]);
    } finally {
      await goneDb.destroy();
    }
  }, 120_000);
});

/**
 * A dedicated tenant of a region with a database server of its own (REGION_DATABASES): its schema is
 * on that server, so its workers' account is made there too (and its directory view stays on the
 * home server). Against the real second MariaDB.
 */
describe("dedicated workers of a region with its own database server: the account where the tenant's schema lives", () => {
  let stack: TestStack;
  let euDedicated: TestTenant;
  let euShared: TestTenant;
  let usShared: TestTenant;
  let control: string;
  const opened: DataSource[] = [];

  /** A pool as `url`'s account on `server` (undefined: the home server), on the control schema's name (a region server's anchor). */
  const as = async (url: string, server?: string) => {
    const db = await openServiceDataSource({ ...stack.config.database, url: server ? databaseUrlOnServer(url, server) : url, regionServers: undefined, poolSize: 1 }, []);
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    stack = await startTestStack({ regionDatabases: { 'eu-west-1': euServer } });
    control = `\`${stack.config.database.controlSchema}\``;
    [euDedicated, euShared, usShared] = await Promise.all([stack.createTenant({ tier: 'dedicated', region: 'eu-west-1' }), stack.createTenant({ region: 'eu-west-1' }), stack.createTenant()]);
  }, 120_000);
  afterAll(async () => {
    for (const db of opened) if (db.isInitialized) await db.destroy();
    await stack?.stop();
  });

  it("makes the account on the region's server, with no right on its tenant's schema nor another's there", async () => {
    const url = await stack.workers.databaseUrl(euDedicated.id);
    const euDb = await as(url, euServer);
    const [row] = (await euDb.query("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS account")) as Array<{ account: string }>;
    expect(row?.account).toBe(dedicatedWorkerAccountUser(euDedicated.id));
    expect(await answers(euDb, euDedicated)).toEqual({ readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' });
    expect(await answers(euDb, euShared)).toEqual({ readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' });
    expect(await attempt(euDb, `SELECT id FROM \`${euDedicated.schema}\`.jobs`)).toBe('refused');
    expect(await attempt(euDb, `SELECT tenant_id FROM ${control}.dedicated_worker_accounts`)).toBe('refused');
    // Its directory row stays on the home server, through its view; nothing of the US tenant's.
    const homeDb = await as(url);
    expect(await homeDb.query(`SELECT id, region FROM ${control}.dedicated_worker_tenants`)).toEqual([{ id: euDedicated.id, region: 'eu-west-1' }]);
    expect(await answers(homeDb, usShared)).toMatchObject({ readMeters: 'refused', addToMeter: 'refused' });
  });

  it("runs the tenant's job on its own worker; its worker time lands in the meters on the region's server (metered by the jobs service)", async () => {
    const scientist = await euDedicated.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'numbers', 'x,y\n1,2\n3,4\n');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const worker = await stack.workers.start({ dedicatedTenant: euDedicated.id });
    expect((await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
    await worker.stop();
    await flushMeters(stack);
    const meters = await stack.adminQueryOn<Array<{ amount: string }>>(euServer, `SELECT amount FROM \`${euDedicated.schema}\`.usage_meters WHERE meter = 'jobWorkerMs'`);
    expect(meters.map((row) => Number(row.amount)).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);

  it("gives the shared pool's account no right on a tenant's schema on the region's server, whatever its tier", async () => {
    const sharedDb = await as(await stack.workers.databaseUrl(), euServer);
    const none = { readMeters: 'refused', addToMeter: 'refused', resetMeters: 'refused', readBudgets: 'refused', raiseBudgetAlert: 'refused', writeAuditOutbox: 'refused' };
    const moved = await stack.createTenant({ tier: 'dedicated', region: 'eu-west-1' });
    expect(await answers(sharedDb, moved)).toEqual(none);
    expect(await ownRights(sharedDb, moved.schema)).toEqual([]);
    expect(await answers(sharedDb, euShared)).toEqual(none);
    expect(await ownRights(sharedDb, euShared.schema)).toEqual([]);
    const platformAdmin = await stack.platformAdminToken();
    expectNoErrors(await stack.query(platformAdmin, setTier, { id: moved.id, tier: 'SHARED' }));
    expect(await answers(sharedDb, moved)).toEqual(none);
    expectNoErrors(await stack.query(platformAdmin, setTier, { id: moved.id, tier: 'DEDICATED' }));
    expect(await answers(sharedDb, moved)).toEqual(none);
    // tessera migrate re-grants the region's schemas with each tenant's tier from the control plane.
    await migrateDeployment(stack.migrator, serviceData);
    expect(await answers(sharedDb, moved)).toEqual(none);
    expect(await ownRights(sharedDb, moved.schema)).toEqual([]);
    expect(await answers(sharedDb, euShared)).toEqual(none);
    // The region's routines have no tenants table: they want the tier, and the tenants account names none but the two.
    const tenantsDb = await as(localServiceDatabaseUrls().tenants, euServer);
    await expect(tenantsDb.query(`CALL ${control}.grant_tenant_tables(?, NULL)`, [moved.schema])).rejects.toThrow(/needs the tenant's tier/);
    await expect(tenantsDb.query(`CALL ${control}.grant_tenant_tables(?, 'gold')`, [moved.schema])).rejects.toThrow(/needs the tenant's tier/);
    expect(await ownRights(sharedDb, moved.schema)).toEqual([]);
  }, 120_000);

  it('drops the account on both servers when the tenant is erased', async () => {
    const url = await stack.workers.databaseUrl(euDedicated.id);
    await stack.platform.provisioner.deprovision(euDedicated.id);
    for (const server of [euServer, undefined]) {
      await expect(as(url, server)).rejects.toMatchObject(accountGone);
    }
    expect(await stack.adminQueryOn<unknown[]>(euServer, `SELECT 1 FROM ${control}.dedicated_worker_accounts WHERE tenant_id = ?`, [euDedicated.id])).toEqual([]);
    expect(await stack.adminQuery<unknown[]>(`SELECT 1 FROM ${control}.dedicated_worker_accounts WHERE tenant_id = ?`, [euDedicated.id])).toEqual([]);
  }, 120_000);
});
