import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { firstDataReadAt } from '../src/data/audit-volume.repository';

/**
 * Where the data-read series starts: the anomaly detector asks every pass until the tenant's first
 * read, so the answer must not cost a read of every event of a long trail that holds none.
 */
describe('firstDataReadAt: the first read of a long trail, without reading the trail', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  const events = 20_000;
  const start = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    // A chain of creations and predictions, one a second: no read, download or export among them.
    await stack.adminQuery(
      `INSERT INTO \`${tenant.schema}\`.audit_events (seq, id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json, prev_hash, hash)
       WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
            n(i) AS (SELECT 1 + a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x FROM d a, d b, d c, d e, d f WHERE a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x < ${events})
       SELECT 1000000 + i, UUID(), FROM_UNIXTIME(${start / 1000} + i), 'u', 'viewer', IF(i % 3 = 0, 'model.predict', 'dataset.create'), 'Dataset', NULL, 'SUCCESS', '{}', REPEAT('0', 64), REPEAT('0', 64) FROM n`,
    );
    // The index statistics a trail that grew over time has (a bulk insert refreshes them only later, in the background).
    await stack.adminQuery(`ANALYZE TABLE \`${tenant.schema}\`.audit_events`);
  });
  afterAll(() => stack?.stop());

  /** firstDataReadAt on the tenant's schema, with the index and table rows the statement read (session handler counters). */
  async function firstReadWithCost(): Promise<{ first: string | null; rowsRead: number }> {
    const scope = await stack.platform.runtimes.audit.scopes.forPrincipal({ kind: 'user', subject: 'system:anomaly-detection', tenantId: tenant.id, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    return scope.db(async (manager) => {
      const reads = async (m: EntityManager) =>
        ((await m.query("SHOW SESSION STATUS LIKE 'Handler_read%'")) as Array<{ Variable_name: string; Value: string }>).reduce((sum, row) => sum + Number(row.Value), 0);
      const before = await reads(manager);
      const first = await firstDataReadAt(manager);
      const after = await reads(manager);
      // SHOW STATUS itself reads a handful of rows; a scan of the trail reads every event.
      return { first, rowsRead: after - before };
    });
  }

  async function insertEvent(table: 'audit_events' | 'audit_outbox', action: string, at: number, seq?: number): Promise<void> {
    const columns = 'id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json';
    const values = "?, ?, 'reader', 'viewer', ?, 'Dataset', NULL, 'SUCCESS', '{}'";
    if (table === 'audit_events') {
      await stack.adminQuery(`INSERT INTO \`${tenant.schema}\`.audit_events (seq, ${columns}, prev_hash, hash) VALUES (?, ${values}, REPEAT('0', 64), REPEAT('0', 64))`, [seq, randomUUID(), new Date(at), action]);
    } else {
      await stack.adminQuery(`INSERT INTO \`${tenant.schema}\`.audit_outbox (${columns}) VALUES (${values})`, [randomUUID(), new Date(at), action]);
    }
  }

  it('a trail without reads answers null, reading a few index entries per distinct action, not every event', async () => {
    const { first, rowsRead } = await firstReadWithCost();
    expect(first).toBeNull();
    expect(rowsRead).toBeLessThan(500);
  });

  it('finds the earliest read, download or export, in the chain or still in the outbox', async () => {
    await insertEvent('audit_events', 'dataset.read', start + 9_000_000, 2_000_000);
    await insertEvent('audit_events', 'model.download', start + 7_000_000, 2_000_001);
    await insertEvent('audit_events', 'dataset.reader_added', start + 1_000_000, 2_000_002); // not a read: the suffix is `.read` exactly
    expect(await firstReadWithCost()).toEqual({ first: iso(start + 7_000_000), rowsRead: expect.any(Number) });
    expect((await firstReadWithCost()).rowsRead).toBeLessThan(500);
    await insertEvent('audit_outbox', 'audit.export', start + 5_000_000);
    expect((await firstReadWithCost()).first).toBe(iso(start + 5_000_000));
  });
});
