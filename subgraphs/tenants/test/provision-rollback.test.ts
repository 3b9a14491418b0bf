import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, tenantSchemaName } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack } from '@tessera/testing';
import { controlRows, deprovisionAll, footprint, freshTenantId, keyRows, nothing, ownSchemas, provisionMutation, schemaExists, type ProvisionResult } from './support';

/**
 * A provisioning that fails half-way must leave nothing behind. To stop a provisioning at a
 * precise step with the real services only, a second connection holds an InnoDB gap lock on
 * the row the provisioner is about to insert (SELECT … FOR UPDATE on the missing key): the
 * provisioner's INSERT waits there, visible in PROCESSLIST, until the lock is released (or the
 * waiting statement is killed). The last tests stop this stack's S3 server, so this file has a
 * stack of its own and runs the S3-down cases last.
 */
describe('provisionTenant rollback', () => {
  let stack: TestStack;
  let admin: string;
  let survivor: string;
  const provisioned = new Set<string>();

  const control = (table: string) => `${quoteIdentifier(stack.config.database.controlSchema)}.${table}`;

  const provision = (id: string, region = 'us-east-1') => {
    provisioned.add(id);
    return stack.query<ProvisionResult>(admin, provisionMutation, { input: { id, displayName: `Rollback ${id}`, region } });
  };

  /** Holds a gap lock so that inserting `id` into `table` (keyed by `column`) waits. */
  async function holdInsertLock(table: 'tenants' | 'tenant_keys', column: 'id' | 'tenant_id', id: string): Promise<QueryRunner> {
    const runner = stack.platform.runtime.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction('REPEATABLE READ');
    const rows = (await runner.query(`SELECT * FROM ${control(table)} WHERE ${column} = ? FOR UPDATE`, [id])) as unknown[];
    expect(rows).toEqual([]);
    return runner;
  }

  async function releaseLock(runner: QueryRunner): Promise<void> {
    if (runner.isReleased) return;
    await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }

  /**
   * The processlist id of the provisioner's INSERT into `table` for `id`, once it is waiting on the
   * lock. Asked as the tenants service's own account: an account sees (and may kill) its own
   * threads only.
   */
  async function waitForBlockedInsert(table: string, id: string): Promise<number> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const rows = (await stack.platform.runtimes.tenants.db.query(
        `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO LIKE ? AND ID <> CONNECTION_ID()`,
        [`INSERT INTO %${table}%`, `%${id}%`],
      )) as Array<{ id: number | string }>;
      if (rows[0]) return Number(rows[0].id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no INSERT INTO ${table} for ${id} was seen waiting`);
  }

  function expectFailed(res: GraphQLResponse<unknown>): void {
    expect(res.data ?? null).toBeNull();
    expect(errorCodes(res)).toHaveLength(1);
    // A server-side failure, not a refusal of the request.
    expect(errorCodes(res)[0]).not.toMatch(/^(BAD_USER_INPUT|CONFLICT|FORBIDDEN)$/);
  }

  beforeAll(async () => {
    stack = await startTestStack();
    admin = await stack.platformAdminToken();
    survivor = freshTenantId('before');
    expect(expectNoErrors(await provision(survivor)).provisionTenant.created).toBe(true);
  });
  afterAll(async () => {
    if (!stack) return;
    await deprovisionAll(stack, provisioned);
    await stack.stop();
  });

  it('a failure at the last step (data key) removes the row, the migrated schema and the bucket', async () => {
    const id = freshTenantId('keyfail');
    const schemasBefore = await ownSchemas(stack);
    const lock = await holdInsertLock('tenant_keys', 'tenant_id', id);
    let pending: Promise<GraphQLResponse<ProvisionResult>> | undefined;
    try {
      pending = provision(id, 'eu-west-1');
      const blocked = await waitForBlockedInsert('tenant_keys', id);
      // Half-way: the row is PROVISIONING, the schema is migrated, the bucket exists.
      expect((await controlRows(stack, id)).map((r) => r.status)).toEqual(['PROVISIONING']);
      expect(await footprint(stack, id)).toEqual({ row: 1, keys: 0, schema: true, bucket: true });
      // The key insert now fails (its statement is killed), as a database error would.
      await stack.platform.runtimes.tenants.db.query(`KILL QUERY ${blocked}`);
      expectFailed(await pending);
    } finally {
      await releaseLock(lock);
      await pending?.catch(() => undefined);
    }
    expect(await footprint(stack, id)).toEqual(nothing);
    expect(await ownSchemas(stack)).toEqual(schemasBefore);
    expect(await controlRows(stack, id)).toEqual([]);

    // The id is free again: provisioning it now succeeds, from scratch.
    const again = expectNoErrors(await provision(id, 'eu-west-1')).provisionTenant;
    expect(again).toMatchObject({ created: true, tenant: { id, status: 'ACTIVE', region: 'eu-west-1' } });
    expect(await footprint(stack, id)).toEqual({ row: 1, keys: 1, schema: true, bucket: true });
  });

  it('the object store going down half-way (after the row is written) leaves no row, schema or key', async () => {
    const id = freshTenantId('halfway');
    const schemasBefore = await ownSchemas(stack);
    const tenantsBefore = await controlRows(stack);
    const keysBefore = await keyRows(stack);
    const lock = await holdInsertLock('tenants', 'id', id);
    let pending: Promise<GraphQLResponse<ProvisionResult>> | undefined;
    try {
      // The provisioner has checked that no schema or bucket exists and now waits to insert its row.
      pending = provision(id, 'eu-west-1');
      await waitForBlockedInsert('tenants', id);
      await stack.s3.close();
      await releaseLock(lock);
      // It goes on: row (PROVISIONING), schema created and migrated, then the bucket fails.
      expect(errorCodes(await pending)).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      await releaseLock(lock);
      await pending?.catch(() => undefined);
    }
    expect(await controlRows(stack, id)).toEqual([]);
    expect(await keyRows(stack, id)).toEqual([]);
    expect(await schemaExists(stack, tenantSchemaName(id))).toBe(false);
    expect(await ownSchemas(stack)).toEqual(schemasBefore);
    expect(await controlRows(stack)).toEqual(tenantsBefore);
    expect(await keyRows(stack)).toEqual(keysBefore);
  });

  it('with the object store down, provisioning fails cleanly every time (the tenant lock is released)', async () => {
    const id = freshTenantId('retry');
    for (let attempt = 0; attempt < 2; attempt++) {
      // The object store is a dependency that is down: retry later, not a bug.
      expect(errorCodes(await provision(id))).toEqual(['SERVICE_UNAVAILABLE']);
      expect(await controlRows(stack, id)).toEqual([]);
      expect(await keyRows(stack, id)).toEqual([]);
      expect(await schemaExists(stack, tenantSchemaName(id))).toBe(false);
    }
  });

  it('leaves the tenant provisioned before the outage intact', async () => {
    expect((await controlRows(stack, survivor)).map((r) => r.status)).toEqual(['ACTIVE']);
    expect((await keyRows(stack, survivor)).map((k) => k.version)).toEqual([1]);
    expect(await schemaExists(stack, tenantSchemaName(survivor))).toBe(true);
    // Provisioning an existing tenant again is still answered: nothing to create, S3 not needed.
    const again = expectNoErrors(await provision(survivor)).provisionTenant;
    expect(again).toMatchObject({ created: false, tenant: { id: survivor, status: 'ACTIVE' } });
  });
});
