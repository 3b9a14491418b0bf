import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { countEvents } from '../src/data/audit-volume.repository';

/** tenantUsage counts the audit trail on every call: the count must not read the whole trail. */
describe('countEvents: the size of a long trail, without reading the trail', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  const events = 20_000;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    // What provisioning chained, then a chain continued as the relay numbers it: seq without gaps.
    const [chainedRow] = (await stack.adminQuery(`SELECT COALESCE(MAX(seq), 0) AS chained FROM \`${tenant.schema}\`.audit_events`)) as Array<{ chained: number | string }>;
    await stack.adminQuery(
      `INSERT INTO \`${tenant.schema}\`.audit_events (seq, id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json, prev_hash, hash)
       WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
            n(i) AS (SELECT 1 + a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x FROM d a, d b, d c, d e, d f WHERE a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x < ${events})
       SELECT ? + i, UUID(), NOW(3), 'u', 'viewer', 'dataset.create', 'Dataset', NULL, 'SUCCESS', '{}', REPEAT('0', 64), REPEAT('0', 64) FROM n`,
      [Number(chainedRow!.chained)],
    );
    for (let i = 0; i < 3; i++) {
      await stack.adminQuery(
        `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json) VALUES (?, NOW(3), 'u', 'viewer', 'dataset.create', 'Dataset', NULL, 'SUCCESS', '{}')`,
        [randomUUID()],
      );
    }
  });
  afterAll(() => stack?.stop());

  it('counts the chain and the outbox exactly, reading a few index entries instead of every event', async () => {
    const scope = await stack.platform.runtimes.audit.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const [totalRow] = (await stack.adminQuery(`SELECT (SELECT COUNT(*) FROM \`${tenant.schema}\`.audit_events) + (SELECT COUNT(*) FROM \`${tenant.schema}\`.audit_outbox) AS \`rows\``)) as Array<{ rows: number | string }>;
    const rows = Number(totalRow!.rows);
    expect(rows).toBeGreaterThanOrEqual(events + 3);
    const { count, rowsRead } = await scope.db(async (manager) => {
      const reads = async (m: EntityManager) =>
        ((await m.query("SHOW SESSION STATUS LIKE 'Handler_read%'")) as Array<{ Variable_name: string; Value: string }>).reduce((sum, row) => sum + Number(row.Value), 0);
      const before = await reads(manager);
      const counted = await countEvents(manager);
      return { count: counted, rowsRead: (await reads(manager)) - before };
    });
    expect(count).toBe(rows);
    // SHOW STATUS itself reads a handful of rows; counting the chain's rows read every event.
    expect(rowsRead).toBeLessThan(200);
  });
});
