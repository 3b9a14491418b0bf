import { randomBytes } from 'node:crypto';
import type { MigratorConfig } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { serviceData } from '@tessera/platform';
import {
  dropControlPlane,
  isMigrationHistoryTable,
  localAccountHosts,
  migrateDeployment,
  migrateServiceSchema,
  migrationHistoryTable,
  migrationNames,
  migrationOrder,
  openMigrationDataSource,
  ownersOf,
  quoteIdentifier,
  singleSequenceHistoryTable,
  singleSequenceMigrations,
  templateSchemaName,
  tenantSchemaName,
  type MigrationClass,
  type Plane,
} from '@tessera/tenancy';
import type { DataSource } from 'typeorm';
import { controlPlaneMigrations as singleSequenceControl } from './fixtures/single-sequence-migrations/control';
import { tenantPlaneMigrations as singleSequenceTenant } from './fixtures/single-sequence-migrations/tenant';

/**
 * Each service's migrations against the real MariaDB: run one service at a time, they create
 * exactly the tables its declaration owns and touch no other; and a deployment the single
 * migration sequence of earlier releases made (that sequence is kept here, as a fixture, only for
 * this) upgrades to exactly the tables, keys, histories and seed rows a fresh migrate makes, and
 * keeps the old shared history so the previous release still finds nothing to do.
 */
const suffix = randomBytes(4).toString('hex');
const tlsCa = ensureLocalPki().ca;
const adminUrl = process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306';
const accountHosts = process.env['DATABASE_ACCOUNT_HOSTS']?.split(',') ?? localAccountHosts;
const deployment = (name: string): MigratorConfig => ({ adminUrl, controlSchema: `tessera_test_${suffix}_${name}`, accountHosts, tlsCa });
const singleSequence: Record<Plane, MigrationClass[]> = { control: singleSequenceControl, tenant: singleSequenceTenant };
const charset = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

let admin: DataSource;

async function tablesOf(schema: string): Promise<string[]> {
  const rows = (await admin.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [schema])) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/** Every table's definition as the server prints it, by table name. */
async function definitions(schema: string, options: { ignoreAutoIncrement?: boolean } = {}): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of await tablesOf(schema)) {
    const [row] = (await admin.query(`SHOW CREATE TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`)) as Array<Record<string, string>>;
    const ddl = row!['Create Table']!;
    result[table] = options.ignoreAutoIncrement ? ddl.replace(/ AUTO_INCREMENT=\d+/, '') : ddl;
  }
  return result;
}

async function histories(schema: string): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of (await tablesOf(schema)).filter(isMigrationHistoryTable)) {
    const rows = (await admin.query(`SELECT name FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)} ORDER BY id`)) as Array<{ name: string }>;
    result[table] = rows.map((row) => row.name);
  }
  return result;
}

async function createSchema(schema: string): Promise<void> {
  await admin.query(`CREATE DATABASE ${quoteIdentifier(schema)} ${charset}`);
}

/** Migrates `schema` the way earlier releases did: the whole single sequence of `plane`, or its first `count` migrations. Returns the names it ran. */
async function migrateBySingleSequence(schema: string, plane: Plane, count?: number): Promise<string[]> {
  const source = await openMigrationDataSource({ adminUrl, tlsCa }, schema, singleSequence[plane].slice(0, count), singleSequenceHistoryTable);
  try {
    return (await source.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  } finally {
    await source.destroy();
  }
}

/** A schema's definitions without the single sequence's history, which an adopted schema keeps. */
async function definitionsBesidesSingleSequence(schema: string, options: { ignoreAutoIncrement?: boolean } = {}): Promise<Record<string, string>> {
  const { [singleSequenceHistoryTable]: _kept, ...rest } = await definitions(schema, options);
  return rest;
}

beforeAll(async () => {
  admin = await openMigrationDataSource({ adminUrl, tlsCa }, undefined, []);
});

afterAll(async () => {
  await admin?.destroy();
});

describe('migration order', () => {
  it('is the catalog order, with the tenants service before the audit service (resource_owners references tenants)', () => {
    const order = migrationOrder(serviceData).map((service) => service.service);
    expect(order.indexOf('tenants')).toBeLessThan(order.indexOf('audit'));
    expect([...order].sort()).toEqual(serviceData.map((service) => service.service).sort());
  });
});

describe("each service's migrations", () => {
  const scratch = { control: `tessera_test_${suffix}_own`, tenant: `tessera_test_${suffix}_own_tpl` };

  afterAll(async () => {
    for (const schema of Object.values(scratch)) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(schema)}`);
  });

  it.each(['control', 'tenant'] as const)('create exactly the %s-plane tables their service owns, keep their own history, and change no other table', async (plane) => {
    const schema = scratch[plane];
    await createSchema(schema);
    const created: Record<string, string[]> = {};
    const changedElsewhere: string[] = [];
    for (const service of migrationOrder(serviceData)) {
      const before = await definitions(schema);
      await migrateServiceSchema({ adminUrl, tlsCa }, schema, service.service, service.migrations[plane]);
      const after = await definitions(schema);
      const history = migrationHistoryTable(service.service);
      created[service.service] = Object.keys(after).filter((table) => !(table in before) && table !== history).sort();
      changedElsewhere.push(...Object.keys(before).filter((table) => before[table] !== after[table]).map((table) => `${service.service} changed ${table}`));
      // A service with migrations on this plane records them in its own history, and only then.
      expect({ service: service.service, history: history in after }).toEqual({ service: service.service, history: service.migrations[plane].length > 0 });
    }
    const owned: Record<string, string[]> = {};
    for (const service of serviceData) owned[service.service] = service.owns.filter((table) => table.plane === plane).map((table) => table.table).sort();
    expect(created).toEqual(owned);
    expect(changedElsewhere).toEqual([]);
    // And nothing else is left in the schema: the owned tables and the histories.
    expect((await tablesOf(schema)).filter((table) => !isMigrationHistoryTable(table)).sort()).toEqual([...ownersOf(serviceData, plane).keys()].sort());
  });
});

describe('a deployment migrated by the single sequence of earlier releases', () => {
  const legacy = deployment('old');
  const fresh = deployment('new');
  const tenantId = `mig-${suffix}`;
  const tenantSchema = tenantSchemaName(tenantId);
  const provisionedId = `mig-p-${suffix}`;
  const datasetId = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => {
    // What earlier releases left: the control plane and the template, each with the one shared
    // history, and a tenant with a row of its own.
    await createSchema(legacy.controlSchema);
    await migrateBySingleSequence(legacy.controlSchema, 'control');
    await createSchema(templateSchemaName(legacy.controlSchema));
    await migrateBySingleSequence(templateSchemaName(legacy.controlSchema), 'tenant');
    await admin.query(
      `INSERT INTO ${quoteIdentifier(legacy.controlSchema)}.tenants (id, display_name, region, tier, status, limit_overrides, created_at, updated_at) VALUES (?, 'Old', 'us-east-1', 'shared', 'ACTIVE', '{}', NOW(3), NOW(3))`,
      [tenantId],
    );
    await createSchema(tenantSchema);
    await migrateBySingleSequence(tenantSchema, 'tenant');
    await admin.query(
      `INSERT INTO ${quoteIdentifier(tenantSchema)}.datasets (id, name, status, created_by, created_at, updated_at) VALUES (?, 'kept', 'ACTIVE', 'someone', NOW(3), NOW(3))`,
      [datasetId],
    );
  }, 120_000);

  afterAll(async () => {
    for (const id of [tenantId, provisionedId]) await admin.query(`CALL ${quoteIdentifier(legacy.controlSchema)}.drop_tenant_schema(?)`, [tenantSchemaName(id)]).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(tenantSchema)}`);
    await dropControlPlane(legacy);
    await dropControlPlane(fresh);
  });

  it('the fixture is the sequence adoption expects', () => {
    for (const plane of ['control', 'tenant'] as const) expect(migrationNames(singleSequence[plane])).toEqual(singleSequenceMigrations[plane]);
  });

  it('upgrades to exactly the tables, histories and seed rows of a fresh migrate, and keeps its rows', async () => {
    expect(await migrateDeployment(legacy, serviceData)).toEqual({ tenantSchemas: 1, regionServers: {} });
    await migrateDeployment(fresh, serviceData);
    const pairs: Array<[string, string, Plane, boolean]> = [
      [legacy.controlSchema, fresh.controlSchema, 'control', false],
      [templateSchemaName(legacy.controlSchema), templateSchemaName(fresh.controlSchema), 'tenant', false],
      // A tenant schema with rows: only its AUTO_INCREMENT counters may differ from the template's.
      [tenantSchema, templateSchemaName(fresh.controlSchema), 'tenant', true],
    ];
    for (const [upgraded, made, plane, ignoreAutoIncrement] of pairs) {
      // Every table identical; the adopted schema also keeps the old shared history, as it was.
      expect(await definitionsBesidesSingleSequence(upgraded, { ignoreAutoIncrement })).toEqual(await definitions(made, { ignoreAutoIncrement }));
      expect(await histories(upgraded)).toEqual(await histories(made));
      expect(await tablesOf(made)).not.toContain(singleSequenceHistoryTable);
      const kept = (await admin.query(`SELECT name FROM ${quoteIdentifier(upgraded)}.${singleSequenceHistoryTable} ORDER BY id`)) as Array<{ name: string }>;
      expect(kept.map((row) => row.name)).toEqual(singleSequenceMigrations[plane]);
    }
    expect(Object.keys(await histories(templateSchemaName(fresh.controlSchema))).length).toBeGreaterThan(1);
    const seedRows = (schema: string) =>
      admin.query(
        `SELECT 'guard' AS t, CAST(id AS CHAR) AS k, 0 AS used, 0 AS reserved FROM ${quoteIdentifier(schema)}.job_submit_guard
         UNION ALL SELECT 'quota', quota, used, reserved FROM ${quoteIdentifier(schema)}.quota_usage ORDER BY 1, 2`,
      );
    expect(await seedRows(templateSchemaName(legacy.controlSchema))).toEqual(await seedRows(templateSchemaName(fresh.controlSchema)));
    expect(await admin.query(`SELECT name FROM ${quoteIdentifier(tenantSchema)}.datasets WHERE id = ?`, [datasetId])).toEqual([{ name: 'kept' }]);
  });

  it("a second migrate changes nothing, nor does the previous release's (a rollback finds every migration of its own applied)", async () => {
    const schemas = [legacy.controlSchema, templateSchemaName(legacy.controlSchema), tenantSchema];
    const before = await Promise.all(schemas.map(async (schema) => ({ definitions: await definitions(schema), histories: await histories(schema) })));
    expect(await migrateDeployment(legacy, serviceData)).toEqual({ tenantSchemas: 1, regionServers: {} });
    expect(await migrateBySingleSequence(legacy.controlSchema, 'control')).toEqual([]);
    expect(await migrateBySingleSequence(templateSchemaName(legacy.controlSchema), 'tenant')).toEqual([]);
    expect(await migrateBySingleSequence(tenantSchema, 'tenant')).toEqual([]);
    const after = await Promise.all(schemas.map(async (schema) => ({ definitions: await definitions(schema), histories: await histories(schema) })));
    expect(after).toEqual(before);
  });

  it('a tenant provisioned afterwards is a copy of the adopted template', async () => {
    await admin.query(
      `INSERT INTO ${quoteIdentifier(legacy.controlSchema)}.tenants (id, display_name, region, tier, status, limit_overrides, created_at, updated_at) VALUES (?, 'New', 'us-east-1', 'shared', 'PROVISIONING', '{}', NOW(3), NOW(3))`,
      [provisionedId],
    );
    await admin.query(`CALL ${quoteIdentifier(legacy.controlSchema)}.provision_tenant_schema(?, NULL)`, [tenantSchemaName(provisionedId)]);
    const template = templateSchemaName(legacy.controlSchema);
    expect(await definitions(tenantSchemaName(provisionedId))).toEqual(await definitions(template));
    expect(await histories(tenantSchemaName(provisionedId))).toEqual(await histories(template));
  });
});

describe('a schema the single sequence left part-way', () => {
  const partial = deployment('part');

  afterAll(async () => {
    await dropControlPlane(partial);
  });

  it('is refused with the migrations it lacks, and left as it was', async () => {
    await createSchema(partial.controlSchema);
    await migrateBySingleSequence(partial.controlSchema, 'control', singleSequenceControl.length - 1);
    const before = await definitions(partial.controlSchema);
    await expect(migrateDeployment(partial, serviceData)).rejects.toThrow(/not to its end \(missing: LimitOverrides1764000000005; unknown: none\)/);
    expect(await definitions(partial.controlSchema)).toEqual(before);
  });
});
