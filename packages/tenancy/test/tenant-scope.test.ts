import { randomUUID } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import type { Principal } from '@tessera/auth';
import { TesseraError } from '@tessera/errors';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { databaseTlsOptions, parseDatabaseUrl, quoteIdentifier, type TenantScope } from '../src';

function principal(tenantId: string | undefined): Principal {
  return { kind: 'user', subject: 's', tenantId, roles: ['admin'], clientId: undefined, requestId: 'r', sourceIp: undefined };
}

/** The mysql2 pool behind the runtime's TypeORM DataSource. */
interface Mysql2Pool {
  config: { connectionLimit: number };
  _allConnections: { length: number };
}

const insertDataset = 'INSERT INTO datasets (id, name, description, status, created_by, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, NOW(3), NOW(3))';

describe('TenantScope: one pool, per-tenant schemas', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let scopeA: TenantScope;
  let scopeB: TenantScope;
  let controlSchema: string;

  beforeAll(async () => {
    stack = await startTestStack();
    controlSchema = stack.config.database.controlSchema;
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    scopeA = await stack.platform.runtime.scopes.forPrincipal(principal(a.id));
    scopeB = await stack.platform.runtime.scopes.forPrincipal(principal(b.id));
  });
  afterAll(() => stack?.stop());

  const db = () => stack.platform.runtime.db;

  /** Dataset names in a tenant's schema, read directly (not through a scope). */
  async function namesIn(tenant: TestTenant): Promise<string[]> {
    const rows = (await db().query(`SELECT name FROM ${quoteIdentifier(tenant.schema)}.datasets ORDER BY name`)) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  }

  /** The current default schema of MySQL connections, by connection id (from PROCESSLIST). */
  async function schemaOfConnections(ids: number[]): Promise<Map<number, string | null>> {
    const rows = (await db().query(`SELECT ID AS id, DB AS db FROM information_schema.PROCESSLIST WHERE ID IN (${ids.map(() => '?').join(', ')})`, ids)) as Array<{
      id: number | string;
      db: string | null;
    }>;
    return new Map(rows.map((row) => [Number(row.id), row.db]));
  }

  /**
   * Runs `n` queries at once on the pool (each holds its connection briefly, so they spread over
   * connections) and reports what each borrowed connection looked like.
   */
  async function poolConnections(n: number): Promise<Array<{ db: string | null; inTransaction: number }>> {
    const rows = await Promise.all(
      Array.from(
        { length: n },
        () => db().query('SELECT DATABASE() AS db, @@in_transaction AS tx, SLEEP(0.02) AS s') as Promise<Array<{ db: string | null; tx: number | string }>>,
      ),
    );
    return rows.map((r) => ({ db: r[0]!.db, inTransaction: Number(r[0]!.tx) }));
  }

  it("is bound to the principal's tenant: its schema and its bucket", () => {
    expect(scopeA.tenant.id).toBe(a.id);
    expect(scopeA.schema).toBe(a.schema);
    expect(scopeA.bucket.bucketName).toBe(a.bucket);
    expect(scopeB.schema).toBe(b.schema);
    expect(scopeB.bucket.bucketName).toBe(b.bucket);
  });

  it("runs db() on the tenant's own schema", async () => {
    expect(await scopeA.db((m) => m.query('SELECT DATABASE() AS db'))).toEqual([{ db: a.schema }]);
    expect(await scopeB.db((m) => m.query('SELECT DATABASE() AS db'))).toEqual([{ db: b.schema }]);
  });

  it("a row inserted through A's scope is visible through A's scope only", async () => {
    const id = randomUUID();
    await scopeA.db((m) => m.query(insertDataset, [id, 'a-only', 'ACTIVE', 's']));

    expect(await scopeA.db((m) => m.query('SELECT id, name FROM datasets WHERE id = ?', [id]))).toEqual([{ id, name: 'a-only' }]);
    expect(await scopeB.db((m) => m.query('SELECT id FROM datasets WHERE id = ?', [id]))).toEqual([]);
    expect(await namesIn(a)).toContain('a-only');
    expect(await namesIn(b)).not.toContain('a-only');
    // B may use the same name: it is another table in another schema.
    await scopeB.db((m) => m.query(insertDataset, [randomUUID(), 'a-only', 'ACTIVE', 's']));
    expect(await namesIn(b)).toEqual(['a-only']);
  });

  it('gives every pooled connection back on the control schema, after success and after a throw', async () => {
    const poolSize = stack.config.database.poolSize;
    const used = new Set<number>();
    const inScope = async (scope: TenantScope, fail: boolean) =>
      scope.db(async (m) => {
        const rows = (await m.query('SELECT CONNECTION_ID() AS cid, DATABASE() AS db, SLEEP(0.03) AS s')) as Array<{ cid: number | string; db: string }>;
        used.add(Number(rows[0]!.cid));
        expect(rows[0]!.db).toBe(scope.schema);
        if (fail) throw new Error('boom');
        return rows;
      });

    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(Array.from({ length: poolSize * 2 }, (_, i) => inScope(i % 2 ? scopeA : scopeB, i % 3 === 0)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.length).toBe(Array.from({ length: poolSize * 2 }, (_, i) => i % 3 === 0).filter(Boolean).length);
      for (const r of rejected) expect((r.reason as Error).message).toBe('boom');
    }
    // The work really was spread over several pooled connections.
    expect(used.size).toBeGreaterThan(1);
    expect(used.size).toBeLessThanOrEqual(poolSize);

    // Each connection a scope used now sits on the control schema…
    const schemas = await schemaOfConnections([...used]);
    for (const cid of used) expect({ cid, db: schemas.get(cid) }).toEqual({ cid, db: controlSchema });

    // …and whatever borrows a pooled connection next starts on the control schema, never a tenant's.
    for (let round = 0; round < 10; round++) {
      for (const row of await poolConnections(poolSize)) expect(row.db).toBe(controlSchema);
    }
  });

  it('transaction(): all writes land, or (when fn throws) none do', async () => {
    await scopeA.transaction(async (m) => {
      await m.query(insertDataset, [randomUUID(), 'tx-committed-1', 'ACTIVE', 's']);
      await m.query(insertDataset, [randomUUID(), 'tx-committed-2', 'ACTIVE', 's']);
    });
    expect(await namesIn(a)).toEqual(expect.arrayContaining(['tx-committed-1', 'tx-committed-2']));

    const before = await namesIn(a);
    await expect(
      scopeA.transaction(async (m) => {
        await m.query(insertDataset, [randomUUID(), 'tx-rolled-back', 'ACTIVE', 's']);
        // Visible inside the transaction…
        expect(await m.query('SELECT name FROM datasets WHERE name = ?', ['tx-rolled-back'])).toEqual([{ name: 'tx-rolled-back' }]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // …gone after it.
    expect(await namesIn(a)).toEqual(before);

    // A failing statement half-way (duplicate name) undoes the statements before it.
    await expect(
      scopeA.transaction(async (m) => {
        await m.query(insertDataset, [randomUUID(), 'tx-first-of-two', 'ACTIVE', 's']);
        await m.query(insertDataset, [randomUUID(), 'tx-committed-1', 'ACTIVE', 's']);
      }),
    ).rejects.toThrow(/Duplicate/);
    expect(await namesIn(a)).toEqual(before);

    // And the pool is left clean: no open transaction, no tenant schema on any connection.
    for (const row of await poolConnections(stack.config.database.poolSize)) expect(row).toEqual({ db: controlSchema, inTransaction: 0 });
  });

  it('has per-tenant data keys', async () => {
    const keyA = await scopeA.currentDataKey();
    const keyB = await scopeB.currentDataKey();
    expect(keyA.keyVersion).toBe(1);
    expect(keyB.keyVersion).toBe(1);
    expect(keyA.dataKey.equals(keyB.dataKey)).toBe(false);
    expect((await scopeA.resolveDataKey(1)).equals(keyA.dataKey)).toBe(true);
  });

  it("an object written through A's bucket is not visible through B's", async () => {
    const key = await scopeA.currentDataKey();
    await scopeA.bucket.putEncryptedBuffer('isolation/check.txt', Buffer.from('only for A'), key);
    expect(await scopeA.bucket.listKeys('isolation/')).toEqual(['isolation/check.txt']);
    expect(await scopeB.bucket.listKeys('isolation/')).toEqual([]);
    expect(await scopeB.bucket.exists('isolation/check.txt')).toBe(false);
    expect((await scopeA.bucket.getDecryptedBuffer('isolation/check.txt', scopeA.resolveDataKey)).toString()).toBe('only for A');
  });

  it('refuses a scope for a principal without an active tenant (FORBIDDEN)', async () => {
    const suspended = await stack.createTenant();
    await stack.platform.provisioner.setSuspended(suspended.id, true);
    for (const tenantId of [undefined, 'nobody-here', '../x', `${a.id}'--`, suspended.id]) {
      const attempt = stack.platform.runtime.scopes.forPrincipal(principal(tenantId));
      await expect(attempt).rejects.toBeInstanceOf(TesseraError);
      await expect(attempt).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    }
    await stack.platform.provisioner.setSuspended(suspended.id, false);
    expect((await stack.platform.runtime.scopes.forPrincipal(principal(suspended.id))).tenant.id).toBe(suspended.id);
  });

  describe('one pool for all tenants', () => {
    /**
     * More tenants than the bound on the datasets account's threads (pool size 8, + 2): a pool or a
     * connection per tenant would open at least 12 threads, and fails the bound as 20 tenants did.
     * Five queries per tenant keep the 60 at once on the pool that 20 tenants × 3 were.
     */
    const tenantCount = 12;
    const queriesPerTenant = 5;
    let tenants: TestTenant[];
    let monitor: Connection;
    // The pool under test is one service's (datasets): its account is its alone, so the server's
    // thread list for that user is exactly that pool (an account sees its own threads).
    const service = () => stack.platform.runtimes.datasets;
    const account = 'tessera_datasets';

    beforeAll(async () => {
      tenants = [];
      for (let i = 0; i < tenantCount; i += 4) tenants.push(...(await Promise.all(Array.from({ length: 4 }, () => stack.createTenant()))));
      const server = parseDatabaseUrl(stack.config.databaseAccounts?.datasets ?? stack.config.database.url);
      // Outside the pool under test, so watching does not take one of its connections.
      monitor = await createConnection({ host: server.host, port: server.port, user: server.username, password: server.password, ...databaseTlsOptions(stack.migrator.tlsCa) });
    });
    afterAll(() => monitor?.end());

    it('serves 12 tenants (60 queries) concurrently without ever exceeding the configured pool size', async () => {
      const configuredSize = stack.config.database.poolSize;
      const pool = (service().db.driver as unknown as { pool: Mysql2Pool }).pool;
      expect(pool.config.connectionLimit).toBe(configuredSize);

      const ours = [controlSchema, a.schema, b.schema, ...tenants.map((t) => t.schema)];
      let maxThreads = 0;
      let maxPool = 0;
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [rows] = (await monitor.query(
            `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID() AND DB IN (${ours.map(() => '?').join(', ')})`,
            [account, ...ours],
          )) as unknown as [Array<{ n: number | string }>];
          maxThreads = Math.max(maxThreads, Number(rows[0]?.n));
          maxPool = Math.max(maxPool, pool._allConnections.length);
          samples++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      const scopes = await Promise.all(tenants.map((t) => service().scopes.forPrincipal(principal(t.id))));
      const results = await Promise.all(
        scopes.flatMap((scope) =>
          Array.from({ length: queriesPerTenant }, () =>
            scope.db(async (m) => {
              const rows = (await m.query('SELECT DATABASE() AS db, CONNECTION_ID() AS cid, SLEEP(0.03) AS s, COUNT(*) AS n FROM datasets')) as Array<{
                db: string;
                cid: number | string;
              }>;
              return { tenant: scope.tenant.id, expected: scope.schema, db: rows[0]!.db, cid: Number(rows[0]!.cid) };
            }),
          ),
        ),
      );
      sampling = false;
      await sampler;

      expect(results).toHaveLength(tenantCount * queriesPerTenant);
      for (const r of results) expect({ tenant: r.tenant, db: r.db }).toEqual({ tenant: r.tenant, db: r.expected });
      const connections = new Set(results.map((r) => r.cid));
      expect(connections.size).toBeGreaterThan(1);
      expect(connections.size).toBeLessThanOrEqual(configuredSize);

      expect(samples).toBeGreaterThan(3);
      expect(maxPool).toBeGreaterThan(0);
      expect(maxPool).toBeLessThanOrEqual(configuredSize);
      expect(pool._allConnections.length).toBeLessThanOrEqual(configuredSize);
      // The datasets account's MySQL threads: its pool, and a small margin.
      expect(maxThreads).toBeGreaterThan(0);
      expect(maxThreads).toBeLessThanOrEqual(configuredSize + 2);

      // Afterwards no pooled connection is left on any tenant's schema.
      const [left] = (await monitor.query(
        `SELECT DB AS db FROM information_schema.PROCESSLIST WHERE USER = ? AND DB IN (${ours.slice(1).map(() => '?').join(', ')})`,
        [account, ...ours.slice(1)],
      )) as unknown as [Array<{ db: string }>];
      expect(left).toEqual([]);
    });
  });
});
