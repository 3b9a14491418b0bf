import { randomUUID } from 'node:crypto';
import { appendOnlyTables, quoteIdentifier } from '@tessera/tenancy';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * Append-only by grants: the service account (DATABASE_URL, the pool every request uses) holds
 * table-level rights only, given by the migrations: INSERT + SELECT on audit tables, DML on the
 * rest, nothing on DDL. Proven against the real MariaDB, as that account.
 */
describe('audit tables are append-only for the service account', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  const denied = { code: 'ER_TABLEACCESS_DENIED_ERROR' };

  const service = (sql: string, params: unknown[] = []) => stack.platform.runtime.db.query(sql, params);
  const inTenant = (table: string) => `${quoteIdentifier(tenant.schema)}.${quoteIdentifier(table)}`;
  const inControl = (table: string) => `${quoteIdentifier(stack.config.database.controlSchema)}.${quoteIdentifier(table)}`;

  /** The service account's own grants, as the server reports them, on one schema: table → privileges. */
  async function grantsOn(schema: string): Promise<Record<string, string[]>> {
    const rows = (await service('SHOW GRANTS')) as Array<Record<string, string>>;
    const out: Record<string, string[]> = {};
    for (const line of rows.flatMap((row) => Object.values(row))) {
      const match = /^GRANT (.+) ON `([^`]+)`\.`([^`]+)` TO /.exec(line);
      if (!match || match[2] !== schema) continue;
      out[match[3]!] = match[1]!.split(',').map((p) => p.trim().toUpperCase()).sort();
    }
    return out;
  }

  const eventRow = (seq: number) => [seq, randomUUID(), new Date(), 'probe', 'admin', 'probe.insert', 'Probe', '{}', '0'.repeat(64), 'f'.repeat(64)];
  const insertEvent = (table: string, seq: number) =>
    service(
      `INSERT INTO ${table} (seq, id, occurred_at, actor_subject, actor_roles, action, target_type, outcome, details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, 'SUCCESS', ?, ?, ?)`,
      eventRow(seq),
    );

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('the service account may INSERT and SELECT audit_events, but UPDATE, DELETE, TRUNCATE, ALTER and DROP are refused', async () => {
    const table = inTenant('audit_events');
    await insertEvent(table, 900_001);
    expect(await service(`SELECT action FROM ${table} WHERE seq = ?`, [900_001])).toEqual([{ action: 'probe.insert' }]);
    await expect(service(`UPDATE ${table} SET actor_subject = 'mallory' WHERE seq = ?`, [900_001])).rejects.toMatchObject(denied);
    await expect(service(`DELETE FROM ${table} WHERE seq = ?`, [900_001])).rejects.toMatchObject(denied);
    await expect(service(`TRUNCATE TABLE ${table}`)).rejects.toMatchObject(denied);
    await expect(service(`ALTER TABLE ${table} ADD COLUMN sneaky INT NULL`)).rejects.toMatchObject(denied);
    await expect(service(`DROP TABLE ${table}`)).rejects.toMatchObject(denied);
    // Nothing changed: the row is still there, exactly as written.
    expect(await service(`SELECT actor_subject FROM ${table} WHERE seq = ?`, [900_001])).toEqual([{ actor_subject: 'probe' }]);
  });

  it('the same holds for audit_checkpoints and the platform security log (security_events, security_checkpoints)', async () => {
    await service(`INSERT INTO ${inTenant('audit_checkpoints')} (seq, head_hash, signed_at, key_id, jws, object_key) VALUES (900001, ?, ?, 'k', 'x.y.z', 'o')`, ['a'.repeat(64), new Date()]);
    await insertEvent(inControl('security_events'), 900_001);
    await service(`INSERT INTO ${inControl('security_checkpoints')} (seq, head_hash, signed_at, key_id, jws) VALUES (900001, ?, ?, 'k', 'x.y.z')`, ['a'.repeat(64), new Date()]);
    for (const table of [inTenant('audit_checkpoints'), inControl('security_events'), inControl('security_checkpoints')]) {
      expect(await service(`SELECT seq FROM ${table} WHERE seq = 900001`)).toEqual([{ seq: 900001 }]);
      await expect(service(`UPDATE ${table} SET seq = 900002 WHERE seq = 900001`)).rejects.toMatchObject(denied);
      await expect(service(`DELETE FROM ${table} WHERE seq = 900001`)).rejects.toMatchObject(denied);
    }
  });

  it('ordinary tables (the outbox, datasets) keep full DML for the service account', async () => {
    const outbox = inTenant('audit_outbox');
    const id = randomUUID();
    await service(
      `INSERT INTO ${outbox} (id, occurred_at, actor_subject, actor_roles, action, target_type, outcome, details_json) VALUES (?, ?, 'probe', 'admin', 'probe', 'Probe', 'SUCCESS', '{}')`,
      [id, new Date()],
    );
    await service(`UPDATE ${outbox} SET action = 'probe.updated' WHERE id = ?`, [id]);
    expect(await service(`SELECT action FROM ${outbox} WHERE id = ?`, [id])).toEqual([{ action: 'probe.updated' }]);
    await service(`DELETE FROM ${outbox} WHERE id = ?`, [id]);
    const datasetId = randomUUID();
    await service(`INSERT INTO ${inTenant('datasets')} (id, name, status, created_by, created_at, updated_at) VALUES (?, 'grant-probe', 'ACTIVE', 'probe', NOW(3), NOW(3))`, [datasetId]);
    await service(`UPDATE ${inTenant('datasets')} SET description = 'changed' WHERE id = ?`, [datasetId]);
    await service(`DELETE FROM ${inTenant('datasets')} WHERE id = ?`, [datasetId]);
    expect(await service(`SELECT id FROM ${inTenant('datasets')} WHERE id = ?`, [datasetId])).toEqual([]);
    // The migration history is the migrator's: readable, not writable.
    expect(((await service(`SELECT name FROM ${inTenant('schema_migrations')}`)) as unknown[]).length).toBeGreaterThan(0);
    await expect(service(`DELETE FROM ${inTenant('schema_migrations')}`)).rejects.toMatchObject(denied);
  });

  it('every table of a tenant schema and of the control plane carries exactly its class of grant (generic over new migrations)', async () => {
    for (const schema of [tenant.schema, stack.config.database.controlSchema]) {
      const tables = ((await stack.adminQuery("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [schema])) as Array<{ name: string }>).map((t) => t.name);
      const expected = Object.fromEntries(
        tables.map((table) => [
          table,
          appendOnlyTables.has(table) ? ['INSERT', 'SELECT'] : table === 'schema_migrations' ? ['SELECT'] : ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
        ]),
      );
      expect(await grantsOn(schema)).toEqual(expected);
    }
    expect(appendOnlyTables.has('audit_events')).toBe(true);
  });

  it('holds no database-level grant (it could not be narrowed per table) and cannot create or drop schemas', async () => {
    const rows = (await service('SHOW GRANTS')) as Array<Record<string, string>>;
    const lines = rows.flatMap((row) => Object.values(row));
    expect(lines.filter((line) => /ON `[^`]*`\.\*/.test(line))).toEqual([]);
    await expect(service('CREATE DATABASE `tenant_grant_probe`')).rejects.toMatchObject({ code: 'ER_DBACCESS_DENIED_ERROR' });
    await expect(service(`DROP DATABASE ${quoteIdentifier(tenant.schema)}`)).rejects.toMatchObject({ code: 'ER_DBACCESS_DENIED_ERROR' });
  });

  it('deprovisioning revokes the grants (MySQL would keep them past DROP DATABASE)', async () => {
    const doomed = await stack.createTenant();
    expect(Object.keys(await grantsOn(doomed.schema))).toContain('audit_events');
    await stack.platform.provisioner.deprovision(doomed.id);
    expect(await grantsOn(doomed.schema)).toEqual({});
  });
});
