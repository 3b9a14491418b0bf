import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { writableOutboxColumns } from '@tessera/audit-client';
import { serviceData } from '@tessera/platform';
import {
  controlLedgerTable,
  dedicatedWorkerAccountsTable,
  dropControlPlane,
  isMigrationHistoryTable,
  localAccountHosts,
  localServiceDatabaseUrls,
  migrateDeployment,
  migrationHistoryTable,
  openMigrationDataSource,
  databaseTlsOptions,
  openServiceDataSource,
  ownersOf,
  SchemaManager,
  serviceNames,
  tableGrants,
  templateSchemaName,
  type Privilege,
  type ServiceName,
} from '@tessera/tenancy';
import type { MigratorConfig } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import type { DataSource } from 'typeorm';

/**
 * Per-service database accounts against the real MariaDB: after `tessera migrate`, each service's
 * account (scripts/local-services.sh creates them) tries every DML statement on every table of two
 * tenant schemas and of the control plane, and gets exactly what its module declares (owned,
 * published to it, borrowed): everything else is refused by the server. No service account holds
 * DDL; the tenants account provisions and deprovisions a tenant through the definer procedures and
 * still cannot read or change the tenant's rows.
 */
const suffix = randomBytes(4).toString('hex');
// Every account requires TLS; the local MariaDB serves a certificate of the local CA.
const tlsCa = ensureLocalPki().ca;
const migrator: MigratorConfig = {
  adminUrl: process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306',
  controlSchema: `tessera_test_${suffix}`,
  accountHosts: process.env['DATABASE_ACCOUNT_HOSTS']?.split(',') ?? localAccountHosts,
  tlsCa,
};
const urls = localServiceDatabaseUrls();
const tenantA = `acct-a-${suffix}`;
const tenantB = `acct-b-${suffix}`;
const schemaOf = (tenant: string) => `tenant_${tenant.replace(/-/g, '_')}`;
const privileges: Privilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const deniedCodes = new Set(['ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_PROCACCESS_DENIED_ERROR']);

let admin: DataSource;
let tenantsDb: DataSource;
const connections = new Map<ServiceName, Connection>();
/** table → its first column, per schema: what the probe statements name. */
const columns = new Map<string, Map<string, string>>();

/** Runs `sql` as `service` inside a transaction that is rolled back: 'denied', or 'allowed' (any other outcome). */
async function attempt(service: ServiceName, sql: string): Promise<'allowed' | 'denied'> {
  const connection = connections.get(service)!;
  await connection.query('START TRANSACTION');
  try {
    await connection.query(sql);
    return 'allowed';
  } catch (error) {
    return deniedCodes.has((error as { code?: string }).code ?? '') ? 'denied' : 'allowed';
  } finally {
    await connection.query('ROLLBACK');
  }
}

function statement(privilege: Privilege, schema: string, table: string, insertColumns: readonly string[] = []): string {
  const target = `\`${schema}\`.\`${table}\``;
  // Every tenant schema has the template's tables: a schema made during the test is looked up there.
  const column = (columns.get(schema) ?? columns.get(templateSchemaName(migrator.controlSchema)))!.get(table)!;
  switch (privilege) {
    case 'SELECT':
      return `SELECT 1 FROM ${target} LIMIT 0`;
    case 'INSERT':
      // Constraint errors (no default for a column) still mean the server let the statement in. An
      // account allowed some columns only names one of them (the others would need their defaults).
      return insertColumns.length > 0 ? `INSERT INTO ${target} (\`${insertColumns[0]}\`) VALUES (NULL)` : `INSERT INTO ${target} () VALUES ()`;
    case 'UPDATE':
      return `UPDATE ${target} SET \`${column}\` = NULL WHERE 1 = 0`;
    case 'DELETE':
      return `DELETE FROM ${target} WHERE 1 = 0`;
  }
}

/** The control-plane row the provisioner writes before it creates a tenant's schema (as the tenants account). */
async function registerTenant(id: string): Promise<void> {
  await tenantsDb.query(
    `INSERT INTO \`${migrator.controlSchema}\`.tenants (id, display_name, region, tier, status, limit_overrides, created_at, updated_at) VALUES (?, ?, 'us-east-1', 'shared', 'PROVISIONING', '{}', NOW(3), NOW(3))`,
    [id, id],
  );
}

async function tablesOf(schema: string): Promise<string[]> {
  const rows = (await admin.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [schema])) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

beforeAll(async () => {
  await migrateDeployment(migrator, serviceData);
  admin = await openMigrationDataSource(migrator, undefined, []);
  tenantsDb = await openServiceDataSource({ url: urls.tenants, controlSchema: migrator.controlSchema, poolSize: 2, tlsCa }, []);
  const schemas = new SchemaManager(tenantsDb, migrator);
  for (const tenant of [tenantA, tenantB]) {
    await registerTenant(tenant);
    await schemas.createTenantSchema(tenant, 'us-east-1', 'shared');
  }
  for (const service of serviceNames) connections.set(service, await createConnection({ uri: urls[service], ...databaseTlsOptions(tlsCa) }));
  for (const schema of [schemaOf(tenantA), schemaOf(tenantB), migrator.controlSchema, templateSchemaName(migrator.controlSchema)]) {
    const rows = (await admin.query('SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND ORDINAL_POSITION = 1', [schema])) as Array<{ t: string; c: string }>;
    columns.set(schema, new Map(rows.map((row) => [row.t, row.c])));
  }
}, 120_000);

afterAll(async () => {
  for (const connection of connections.values()) await connection.end().catch(() => undefined);
  const schemas = tenantsDb ? new SchemaManager(tenantsDb, migrator) : undefined;
  for (const tenant of [tenantA, tenantB]) await schemas?.dropTenantSchema(tenant).catch(() => undefined);
  await tenantsDb?.destroy();
  await admin?.destroy();
  await dropControlPlane(migrator);
});

describe('ownership declarations', () => {
  it('every table the migrations create has exactly one owner, and every owned table exists', async () => {
    // Each service's migration history, the grant list and the provisioning routines' ledger are the migrator's alone.
    const migratorOnly = (table: string) => isMigrationHistoryTable(table) || table === 'service_table_grants' || table === controlLedgerTable || table === dedicatedWorkerAccountsTable;
    for (const [plane, schema] of [['tenant', templateSchemaName(migrator.controlSchema)], ['control', migrator.controlSchema]] as const) {
      const tables = (await tablesOf(schema)).filter((table) => !migratorOnly(table)).sort();
      expect([...ownersOf(serviceData, plane).keys()].sort()).toEqual(tables);
    }
  });

  it('no service borrows another service’s table: what one needs of another comes through that service’s port', () => {
    const borrowed = serviceData.flatMap((service) => service.borrows.map((b) => `${service.service} ${b.privileges.join('/')} ${b.table}`));
    expect(borrowed).toEqual([]);
  });
});

describe.each(serviceNames)('the %s account', (service) => {
  const grants = tableGrants(serviceData).filter((grant) => grant.service === service);
  const granted = new Map(grants.map((grant) => [`${grant.plane}:${grant.table}`, new Set<Privilege>([...grant.privileges, ...(grant.insertColumns.length > 0 ? ['INSERT' as const] : [])])]));
  const insertColumnsOf = new Map(grants.map((grant) => [`${grant.plane}:${grant.table}`, grant.insertColumns]));

  it.each([
    ['its tenant', () => schemaOf(tenantA), 'tenant'],
    ['another tenant', () => schemaOf(tenantB), 'tenant'],
    ['the control plane', () => migrator.controlSchema, 'control'],
  ] as const)('gets exactly its declared rights on every table of %s, and is refused the rest', async (_label, schemaName, plane) => {
    const schema = schemaName();
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const table of await tablesOf(schema)) {
      for (const privilege of privileges) {
        const result = await attempt(service, statement(privilege, schema, table, insertColumnsOf.get(`${plane}:${table}`)));
        outcomes.push(`${privilege} ${table}: ${result}`);
        expected.push(`${privilege} ${table}: ${granted.get(`${plane}:${table}`)?.has(privilege) ? 'allowed' : 'denied'}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('cannot create, alter or drop a table, or create or drop a schema', async () => {
    const a = schemaOf(tenantA);
    const ddl = [
      `CREATE TABLE \`${a}\`.probe (id INT)`,
      `CREATE TABLE \`${migrator.controlSchema}\`.probe (id INT)`,
      `ALTER TABLE \`${a}\`.datasets ADD COLUMN probe INT NULL`,
      `ALTER TABLE \`${migrator.controlSchema}\`.tenants ADD COLUMN probe INT NULL`,
      `DROP TABLE \`${a}\`.jobs`,
      `TRUNCATE TABLE \`${a}\`.audit_events`,
      `CREATE DATABASE \`tenant_probe_${suffix}\``,
      `DROP DATABASE \`${schemaOf(tenantB)}\``,
    ];
    for (const sql of ddl) expect(`${sql}: ${await attempt(service, sql)}`).toBe(`${sql}: denied`);
  });

  it('can never rewrite the audit trail (audit_events, audit_checkpoints, security_events, security_checkpoints)', async () => {
    for (const [schema, table] of [
      [schemaOf(tenantA), 'audit_events'],
      [schemaOf(tenantA), 'audit_checkpoints'],
      [migrator.controlSchema, 'security_events'],
      [migrator.controlSchema, 'security_checkpoints'],
    ] as const) {
      expect(await attempt(service, statement('UPDATE', schema, table))).toBe('denied');
      expect(await attempt(service, statement('DELETE', schema, table))).toBe('denied');
    }
  });
});

describe('what the declarations give, spelled out', () => {
  it('no service holds a right on the tenant template: it is the migrator\'s copy source, never granted (so dropping a control plane revokes nothing there)', async () => {
    const template = templateSchemaName(migrator.controlSchema);
    const tables = await tablesOf(template);
    expect(tables.length).toBeGreaterThan(0);
    for (const service of serviceNames) {
      for (const table of tables) expect(`${service} ${table}: ${await attempt(service, statement('SELECT', template, table))}`).toBe(`${service} ${table}: denied`);
    }
  });

  it('no service reads another service’s tenant tables', async () => {
    const a = schemaOf(tenantA);
    expect(await attempt('datasets', `SELECT 1 FROM \`${a}\`.jobs LIMIT 0`)).toBe('denied');
    expect(await attempt('datasets', `SELECT 1 FROM \`${a}\`.models LIMIT 0`)).toBe('denied');
    expect(await attempt('models', `SELECT 1 FROM \`${a}\`.datasets LIMIT 0`)).toBe('denied');
    expect(await attempt('gateway', `SELECT 1 FROM \`${a}\`.datasets LIMIT 0`)).toBe('denied');
    expect(await attempt('audit', `SELECT 1 FROM \`${a}\`.datasets LIMIT 0`)).toBe('denied');
    expect(await attempt('tenants', `SELECT 1 FROM \`${a}\`.audit_events LIMIT 0`)).toBe('denied');
    expect(await attempt('jobs', `UPDATE \`${a}\`.datasets SET id = NULL WHERE 1 = 0`)).toBe('denied');
    // The audit outbox is a write-in port: every service may add, nobody but audit may read it back.
    expect(await attempt('datasets', statement('INSERT', a, 'audit_outbox', writableOutboxColumns))).toBe('allowed');
    expect(await attempt('datasets', `SELECT 1 FROM \`${a}\`.audit_outbox LIMIT 0`)).toBe('denied');
    // The metrics service reads serving numbers and audit counts through the models and audit ports.
    for (const table of ['inference_stats', 'audit_events', 'audit_outbox']) expect(`metrics SELECT ${table}: ${await attempt('metrics', statement('SELECT', a, table))}`).toBe(`metrics SELECT ${table}: denied`);
    // Wrapped data keys: never for the gateway or the metrics service (they decrypt nothing, and the key provider refuses them).
    expect(await attempt('gateway', `SELECT 1 FROM \`${migrator.controlSchema}\`.tenant_keys LIMIT 0`)).toBe('denied');
    expect(await attempt('metrics', `SELECT 1 FROM \`${migrator.controlSchema}\`.tenant_keys LIMIT 0`)).toBe('denied');
  });

  it('a worker holds no right in any tenant schema (no quota ledger, meters, budgets or audit outbox) nor on the resource index or security log: its outputs are registered, and its run time metered, by their owners through the ports', async () => {
    const a = schemaOf(tenantA);
    const control = migrator.controlSchema;
    const refused: Array<[Privilege, string, string]> = [
      ['INSERT', a, 'quota_usage'],
      ['UPDATE', a, 'quota_usage'],
      ['SELECT', a, 'quota_reservations'],
      ['INSERT', a, 'quota_reservations'],
      ['DELETE', a, 'quota_reservations'],
      ['INSERT', a, 'usage_samples'],
      ['UPDATE', a, 'usage_samples'],
      ['SELECT', control, 'resource_owners'],
      ['INSERT', control, 'resource_owners'],
      ['UPDATE', control, 'resource_owners'],
      ['INSERT', control, 'security_outbox'],
      // The shared pool's account spans every shared-tier tenant: with these it could push another
      // tenant past its budget (its work refused QUOTA_EXCEEDED), zero its meters, or forge events
      // into its audit trail. The jobs service meters a run's time from the run's outcome report.
      ['SELECT', a, 'usage_meters'],
      ['INSERT', a, 'usage_meters'],
      ['UPDATE', a, 'usage_meters'],
      ['SELECT', a, 'usage_budgets'],
      ['INSERT', a, 'usage_budget_alerts'],
      ['INSERT', a, 'audit_outbox'],
    ];
    for (const [privilege, schema, table] of refused) {
      expect(`workers ${privilege} ${table}: ${await attempt('workers', statement(privilege, schema, table))}`).toBe(`workers ${privilege} ${table}: denied`);
    }
    // What a worker process does use: the tenant directory.
    const used: Array<[Privilege, string, string]> = [['SELECT', control, 'tenants']];
    for (const [privilege, schema, table] of used) {
      expect(`workers ${privilege} ${table}: ${await attempt('workers', statement(privilege, schema, table))}`).toBe(`workers ${privilege} ${table}: allowed`);
    }
  });
});

describe('who wrote an audit or security event: the server records it, no writer can choose it', () => {
  const writers = serviceNames.filter((service) => service !== 'workers');
  const outboxes = () =>
    [
      { schema: schemaOf(tenantA), table: 'audit_outbox', columns: [...writableOutboxColumns], writers },
      { schema: migrator.controlSchema, table: 'security_outbox', columns: [...writableOutboxColumns, 'tenant_id'], writers: writers.filter((service) => service !== 'audit') },
    ] as const;
  /** One event as `service` would write it, with `extra` columns besides (committed, so the server's default is seen). */
  const write = async (service: ServiceName, schema: string, table: string, columns: readonly string[], extra: Record<string, string> = {}) => {
    const id = randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const values: Record<string, unknown> = { id, occurred_at: new Date(), actor_subject: 'acme-admin', actor_roles: 'admin', action: 'dataset.delete', target_type: 'Dataset', outcome: 'SUCCESS', details_json: '{}', ...extra };
    const named = columns.filter((column) => column in values).concat(Object.keys(extra).filter((column) => !columns.includes(column)));
    await connections.get(service)!.query(`INSERT INTO \`${schema}\`.\`${table}\` (${named.map((c) => `\`${c}\``).join(', ')}) VALUES (${named.map(() => '?').join(', ')})`, named.map((c) => values[c]));
    return id;
  };

  afterAll(async () => {
    for (const { schema, table } of outboxes()) await admin.query(`DELETE FROM \`${schema}\`.\`${table}\``);
  });

  it('each service that writes an outbox is recorded as its own account, and naming a writer (even itself, even empty) is refused', async () => {
    for (const { schema, table, columns, writers: allowed } of outboxes()) {
      for (const service of allowed) {
        const id = await write(service, schema, table, columns);
        const [row] = (await admin.query(`SELECT written_by AS writer FROM \`${schema}\`.\`${table}\` WHERE id = ?`, [id])) as Array<{ writer: string }>;
        expect(`${table} ${service}: ${row?.writer.split('@')[0]}`).toBe(`${table} ${service}: tessera_${service}`);
        // The audit service owns the outboxes (it reads and empties them) and keeps the chains: it
        // could append any event to a chain itself, so its rights on them are table-wide.
        if (service === 'audit') continue;
        for (const claimed of ['tessera_datasets@127.0.0.1', `tessera_${service}@127.0.0.1`, '']) {
          const refused = await write(service, schema, table, columns, { written_by: claimed }).then(
            () => 'written',
            (error: { code?: string }) => error.code,
          );
          expect(`${table} ${service} as ${JSON.stringify(claimed)}: ${refused}`).toBe(`${table} ${service} as ${JSON.stringify(claimed)}: ER_COLUMNACCESS_DENIED_ERROR`);
        }
        // Nor can it change a row afterwards: the outbox is INSERT-only for every writer but the audit relay.
        expect(await attempt(service, `UPDATE \`${schema}\`.\`${table}\` SET written_by = 'tessera_datasets@127.0.0.1' WHERE 1 = 0`)).toBe('denied');
      }
    }
  });

  it('the routine refuses a grant-list entry that is not a plain privilege or column list: its statements run with the definer\'s rights', async () => {
    const list = `\`${migrator.controlSchema}\`.service_table_grants`;
    const [entry] = (await admin.query(`SELECT account_user AS user, account_host AS host, grant_privileges AS g, insert_columns AS c FROM ${list} WHERE table_name = 'audit_outbox' AND insert_columns <> '' LIMIT 1`)) as Array<{ user: string; host: string; g: string; c: string }>;
    const where = 'account_user = ? AND account_host = ? AND table_name = ?';
    try {
      for (const [column, value] of [
        ['insert_columns', "id`) ON *.* TO 'tessera_metrics'@'%' -- "],
        ['grant_privileges', "SELECT ON *.* TO 'tessera_metrics'@'%' -- "],
      ] as const) {
        await admin.query(`UPDATE ${list} SET ${column} = ? WHERE ${where}`, [value, entry!.user, entry!.host, 'audit_outbox']);
        await expect(new SchemaManager(tenantsDb, migrator).grantTenantTables(tenantA, 'us-east-1', 'shared')).rejects.toThrow(/not a privilege or column list/);
        await admin.query(`UPDATE ${list} SET grant_privileges = ?, insert_columns = ? WHERE ${where}`, [entry!.g, entry!.c, entry!.user, entry!.host, 'audit_outbox']);
      }
    } finally {
      await admin.query(`UPDATE ${list} SET grant_privileges = ?, insert_columns = ? WHERE ${where}`, [entry!.g, entry!.c, entry!.user, entry!.host, 'audit_outbox']);
    }
    const grants = (await connections.get('metrics')!.query('SHOW GRANTS'))[0] as Array<Record<string, string>>;
    expect(grants.flatMap((row) => Object.values(row)).filter((line) => line.includes('ON *.*') && !line.startsWith('GRANT USAGE'))).toEqual([]);
  });

  it('a migrate narrows a table-level INSERT an older version gave to INSERT on the writable columns (tenant schemas and the control plane)', async () => {
    const a = schemaOf(tenantA);
    for (const host of migrator.accountHosts) {
      await admin.query(`GRANT INSERT ON \`${a}\`.audit_outbox TO 'tessera_metrics'@'${host}'`);
      await admin.query(`GRANT INSERT ON \`${migrator.controlSchema}\`.security_outbox TO 'tessera_metrics'@'${host}'`);
      // A column it should not have (as if an older list had named it) goes too.
      await admin.query(`GRANT INSERT (written_by) ON \`${a}\`.audit_outbox TO 'tessera_jobs'@'${host}'`);
    }
    expect(await attempt('metrics', `INSERT INTO \`${a}\`.audit_outbox (written_by) VALUES ('x')`)).toBe('allowed');
    // What `tessera migrate` runs: the control plane's grants, and the routine on every tenant schema.
    await migrateDeployment(migrator, serviceData);
    await new SchemaManager(tenantsDb, migrator).grantTenantTables(tenantA, 'us-east-1', 'shared');
    for (const [service, schema, table] of [
      ['metrics', a, 'audit_outbox'],
      ['jobs', a, 'audit_outbox'],
      ['metrics', migrator.controlSchema, 'security_outbox'],
    ] as const) {
      expect(`${service} ${table} written_by: ${await attempt(service, `INSERT INTO \`${schema}\`.${table} (written_by) VALUES ('x')`)}`).toBe(`${service} ${table} written_by: denied`);
      expect(`${service} ${table}: ${await attempt(service, statement('INSERT', schema, table, writableOutboxColumns))}`).toBe(`${service} ${table}: allowed`);
    }
  }, 120_000);
});

describe('provisioning as the tenants account', () => {
  const tenantC = `acct-c-${suffix}`;
  const c = schemaOf(tenantC);

  it('creates a complete tenant schema (tables, foreign keys, seed rows, migration history) with every service’s rights', async () => {
    const schemas = new SchemaManager(tenantsDb, migrator);
    expect(await schemas.schemaExists(c)).toBe(false);
    await registerTenant(tenantC);
    await schemas.createTenantSchema(tenantC, 'us-east-1', 'shared');
    expect(await schemas.schemaExists(c)).toBe(true);
    const template = templateSchemaName(migrator.controlSchema);
    expect(await tablesOf(c)).toEqual(await tablesOf(template));
    const foreignKeys = async (schema: string) =>
      ((await admin.query('SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1, 2', [schema])) as unknown[]);
    expect(await foreignKeys(c)).toEqual(await foreignKeys(template));
    const histories = (await tablesOf(template)).filter(isMigrationHistoryTable);
    expect(histories.length).toBeGreaterThan(1);
    for (const history of histories) {
      const names = (schema: string) => admin.query(`SELECT name FROM \`${schema}\`.\`${history}\` ORDER BY id`);
      expect(await names(c)).toEqual(await names(template));
    }
    expect(await admin.query(`SELECT id FROM \`${c}\`.job_submit_guard`)).toEqual([{ id: 1 }]);
    // The services can work in it at once.
    expect(await attempt('datasets', statement('SELECT', c, 'datasets'))).toBe('allowed');
    expect(await attempt('jobs', statement('UPDATE', c, 'jobs'))).toBe('allowed');
  });

  it('but cannot read or change the tenant’s rows, nor change its tables', async () => {
    for (const table of ['datasets', 'models', 'jobs', 'audit_events', migrationHistoryTable('datasets')]) {
      expect(await attempt('tenants', statement('SELECT', c, table))).toBe('denied');
      expect(await attempt('tenants', statement('DELETE', c, table))).toBe('denied');
    }
    expect(await attempt('tenants', `ALTER TABLE \`${c}\`.datasets ADD COLUMN probe INT NULL`)).toBe('denied');
    expect(await attempt('tenants', `DROP TABLE \`${c}\`.audit_events`)).toBe('denied');
  });

  it('the procedures take tenant schema names only', async () => {
    const control = `\`${migrator.controlSchema}\``;
    for (const target of [migrator.controlSchema, 'mysql', `${c}\`; DROP DATABASE \`x`, 'tenant_']) {
      await expect(tenantsDb.query(`CALL ${control}.drop_tenant_schema(?)`, [target])).rejects.toThrow(/not a tenant schema name/);
      await expect(tenantsDb.query(`CALL ${control}.provision_tenant_schema(?, NULL)`, [target])).rejects.toThrow(/not a tenant schema name/);
    }
    expect(await tablesOf(migrator.controlSchema)).toContain('tenants');
  });

  it('the procedures create and drop only schemas of this control plane’s tenants', async () => {
    const control = `\`${migrator.controlSchema}\``;
    const stranger = `tenant_stranger_${suffix}`;
    await expect(tenantsDb.query(`CALL ${control}.provision_tenant_schema(?, NULL)`, [stranger])).rejects.toThrow(/no tenant of this control plane/);
    expect(await new SchemaManager(tenantsDb, migrator).schemaExists(stranger)).toBe(false);
    // Another deployment's tenant on the same server (here: made by the migrator) cannot be dropped.
    await admin.query(`CREATE DATABASE \`${stranger}\``);
    try {
      await expect(tenantsDb.query(`CALL ${control}.drop_tenant_schema(?)`, [stranger])).rejects.toThrow(/no tenant of this control plane/);
      expect(await new SchemaManager(tenantsDb, migrator).schemaExists(stranger)).toBe(true);
    } finally {
      await admin.query(`DROP DATABASE \`${stranger}\``);
    }
  });

  it('a tenant row named after a schema it did not create does not let the tenants account drop, fill or re-grant that schema', async () => {
    const control = `\`${migrator.controlSchema}\``;
    const squatted = `squat-${suffix}`;
    const foreign = schemaOf(squatted);
    // Another deployment's (or application's) tenant schema on the same server, with a row in it.
    await admin.query(`CREATE DATABASE \`${foreign}\``);
    await admin.query(`CREATE TABLE \`${foreign}\`.datasets (id INT PRIMARY KEY)`);
    await admin.query(`INSERT INTO \`${foreign}\`.datasets (id) VALUES (1)`);
    try {
      // The tenants account owns the tenants table, so it can register a tenant of that name.
      await registerTenant(squatted);
      for (const routine of ['drop_tenant_schema', 'provision_tenant_schema', 'grant_tenant_tables']) {
        const args = routine === 'drop_tenant_schema' ? '?' : '?, NULL';
        await expect(tenantsDb.query(`CALL ${control}.${routine}(${args})`, [foreign])).rejects.toThrow(/not made by this deployment/);
      }
      expect(await tablesOf(foreign)).toEqual(['datasets']);
      expect(await admin.query(`SELECT id FROM \`${foreign}\`.datasets`)).toEqual([{ id: 1 }]);
      expect(await attempt('datasets', statement('SELECT', foreign, 'datasets'))).toBe('denied');
    } finally {
      await tenantsDb.query(`DELETE FROM ${control}.tenants WHERE id = ?`, [squatted]);
      await admin.query(`DROP DATABASE IF EXISTS \`${foreign}\``);
    }
  });

  it('an upgrade from routines that kept no ledger enters the schemas of the existing tenants in it, and no other schema', async () => {
    const ledger = `\`${migrator.controlSchema}\`.${controlLedgerTable}`;
    const stranger = `tenant_stranger_${suffix}`;
    await admin.query(`DROP TABLE ${ledger}`);
    await admin.query(`CREATE DATABASE \`${stranger}\``);
    try {
      await migrateDeployment(migrator, serviceData);
      const rows = (await admin.query(`SELECT schema_name AS name FROM ${ledger} ORDER BY schema_name`)) as Array<{ name: string }>;
      expect(rows.map((row) => row.name)).toEqual([schemaOf(tenantA), schemaOf(tenantB), c].sort());
    } finally {
      await admin.query(`DROP DATABASE \`${stranger}\``);
    }
  }, 120_000);

  it('other services cannot call the provisioning procedures', async () => {
    const control = `\`${migrator.controlSchema}\``;
    for (const service of serviceNames.filter((s) => s !== 'tenants')) {
      expect(await attempt(service, `CALL ${control}.drop_tenant_schema('${c}')`)).toBe('denied');
      expect(await attempt(service, `CALL ${control}.provision_tenant_schema('tenant_probe_${suffix}', NULL)`)).toBe('denied');
    }
    expect(await tablesOf(c)).toContain('datasets');
  });

  it('only the audit service may call the security-log rewrite routine (erasure), and it rewrites only a row at the hash it names', async () => {
    const control = `\`${migrator.controlSchema}\``;
    const call = `CALL ${control}.rewrite_security_event(UUID(), 999999999, REPEAT('0', 64), NULL, 's', NULL, NULL, NULL, '{}', REPEAT('0', 64), REPEAT('1', 64))`;
    for (const service of serviceNames.filter((s) => s !== 'audit')) expect({ service, call: await attempt(service, call) }).toEqual({ service, call: 'denied' });
    // Allowed in, and refused by the routine itself: no row has that sequence number and hash.
    const connection = connections.get('audit')!;
    await expect(connection.query(call)).rejects.toThrow(/not at the hash named/);
    // The trace it writes is read-only for the audit account.
    expect(await attempt('audit', statement('INSERT', migrator.controlSchema, 'security_event_rewrites'))).toBe('denied');
    expect(await attempt('audit', statement('DELETE', migrator.controlSchema, 'security_log_rewrites'))).toBe('denied');
  });

  it('an account that holds no right in tenant schemas (the shared pool’s) keeps none an older version gave it: re-granting takes it away, and a schema dropped and made again under its name does not inherit it', async () => {
    // An older version gave the shared pool's account the meters and the audit outbox of every
    // shared-tier tenant; the routines handled only the accounts the grant list names, and it
    // names none for this account any more. MariaDB keeps table grants past a DROP DATABASE too.
    const staleGrant = async (schema: string) => {
      for (const host of migrator.accountHosts) {
        await admin.query(`GRANT INSERT ON \`${schema}\`.audit_outbox TO 'tessera_workers'@'${host}'`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE ON \`${schema}\`.usage_meters TO 'tessera_workers'@'${host}'`);
      }
      expect(await attempt('workers', statement('INSERT', schema, 'audit_outbox'))).toBe('allowed');
    };
    const refusedTheStaleRights = async (schema: string) => {
      expect({
        outbox: await attempt('workers', statement('INSERT', schema, 'audit_outbox')),
        meters: await attempt('workers', statement('UPDATE', schema, 'usage_meters')),
      }).toEqual({ outbox: 'denied', meters: 'denied' });
    };
    const schemas = new SchemaManager(tenantsDb, migrator);
    await staleGrant(c);
    // What `tessera migrate` (and a tier change) runs on every existing tenant schema.
    await schemas.grantTenantTables(tenantC, 'us-east-1', 'shared');
    await refusedTheStaleRights(c);

    await staleGrant(c);
    await schemas.dropTenantSchema(tenantC);
    await schemas.createTenantSchema(tenantC, 'us-east-1', 'shared');
    await refusedTheStaleRights(c);
  });

  it('deprovisioning drops the schema and every service’s rights on it', async () => {
    await new SchemaManager(tenantsDb, migrator).dropTenantSchema(tenantC);
    expect(await tablesOf(c)).toEqual([]);
    for (const service of serviceNames) {
      const grants = (await connections.get(service)!.query('SHOW GRANTS'))[0] as Array<Record<string, string>>;
      expect(grants.flatMap((row) => Object.values(row)).filter((line) => line.includes(`\`${c}\``))).toEqual([]);
    }
  });
});
