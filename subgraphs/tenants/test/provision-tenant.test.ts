import { randomBytes } from 'node:crypto';
import { isKeyProviderError, type KeyProviderErrorCode } from '@tessera/key-provider';
import { serviceData } from '@tessera/platform';
import { dataKeyContext, tenantKeyName, migrationHistoryTable, migrationNames, quoteIdentifier, tenantSchemaName } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import {
  bucketOf,
  controlRows,
  deprovisionAll,
  expectOnlyError,
  footprint,
  freshTenantId,
  keyRows,
  nothing,
  objectNames,
  provisionMutation,
  schemaExists,
  snapshot,
  tablesOf,
  type ProvisionResult,
} from './support';

// The tables every tenant starts with, empty (later migrations add more; all of them must be applied).
const coreTenantTables = ['audit_events', 'dataset_uploads', 'dataset_versions', 'datasets', 'jobs', 'model_versions', 'models'];
// Each service with tenant tables keeps its own migration history in the schema, every migration applied.
const expectedHistories = serviceData
  .filter((service) => service.migrations.tenant.length > 0)
  .map((service) => ({ table: migrationHistoryTable(service.service), names: migrationNames(service.migrations.tenant) }));
const defaultLimits = { maxUploadBytes: 100 * 1024 * 1024, maxStorageBytes: 10 * 1024 * 1024 * 1024, costPerMinute: 60_000 };

async function expectUnwrapFails(promise: Promise<unknown>, code: KeyProviderErrorCode = 'KEY_UNWRAP_FAILED'): Promise<void> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(isKeyProviderError(thrown) ? thrown.code : thrown).toBe(code);
}

describe('provisionTenant', () => {
  let stack: TestStack;
  let admin: string;
  const provisioned = new Set<string>();

  const provision = async (input: Record<string, unknown>, token?: string) => {
    if (typeof input['id'] === 'string') provisioned.add(input['id']);
    return stack.query<ProvisionResult>(token ?? admin, provisionMutation, { input });
  };

  beforeAll(async () => {
    stack = await startTestStack();
    admin = await stack.platformAdminToken();
  });
  afterAll(async () => {
    if (!stack) return;
    await deprovisionAll(stack, provisioned);
    await stack.stop();
  });

  describe('a new tenant', () => {
    const id = freshTenantId('acme');
    let first: ProvisionResult['provisionTenant'];

    beforeAll(async () => {
      first = expectNoErrors(await provision({ id, displayName: '  Acme Corp  ', region: 'eu-west-1' })).provisionTenant;
    });

    it('is returned created and ACTIVE, with the default tier and limits', () => {
      expect(first.created).toBe(true);
      expect(first.tenant).toEqual({
        id,
        displayName: 'Acme Corp',
        region: 'eu-west-1',
        tier: 'SHARED',
        status: 'ACTIVE',
        limits: defaultLimits,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });

    it('has an ACTIVE control-plane row', async () => {
      const rows = await controlRows(stack, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id, display_name: 'Acme Corp', region: 'eu-west-1', tier: 'shared', status: 'ACTIVE' });
      // Provisioned without limits: nothing of its own, every limit follows the platform default.
      const overrides = rows[0]!.limit_overrides;
      expect(typeof overrides === 'string' ? JSON.parse(overrides) : overrides).toEqual({});
      expect(new Date(rows[0]!.created_at).toISOString()).toBe(first.tenant.createdAt);
    });

    it('has its own migrated schema tenant_<id> with every tenant table', async () => {
      const schema = tenantSchemaName(id);
      expect(schema).toBe(`tenant_${id.replace(/-/g, '_')}`);
      expect(await schemaExists(stack, schema)).toBe(true);
      expect(await tablesOf(stack, schema)).toEqual(expect.arrayContaining([...coreTenantTables, ...expectedHistories.map((history) => history.table)]));
      expect(expectedHistories.length).toBeGreaterThan(0);
      for (const history of expectedHistories) {
        const migrations = (await stack.platform.runtime.db.query(`SELECT name FROM ${quoteIdentifier(schema)}.${quoteIdentifier(history.table)} ORDER BY id`)) as Array<{ name: string }>;
        expect({ table: history.table, names: migrations.map((m) => m.name) }).toEqual(history);
      }
      for (const table of coreTenantTables.filter((t) => t !== 'audit_events')) {
        const rows = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`)) as Array<{ n: number | string }>;
        expect({ table, rows: Number(rows[0]?.n) }).toEqual({ table, rows: 0 });
      }
      // The tenant's own audit trail starts with its provisioning and its first data key (in the outbox or already chained), nothing else.
      const audited = (await stack.platform.runtime.db.query(
        `SELECT action FROM ${quoteIdentifier(schema)}.audit_outbox UNION ALL SELECT action FROM ${quoteIdentifier(schema)}.audit_events`,
      )) as Array<{ action: string }>;
      expect(audited.map((row) => row.action).sort()).toEqual(['key.create', 'tenant.provision']);
    });

    it('has its own empty bucket tessera-<id>', async () => {
      expect(bucketOf(stack, id)).toBe(`tessera-${id}`);
      expect(await stack.platform.runtime.objectStore.bucketExists(`tessera-${id}`)).toBe(true);
      expect(await objectNames(stack, `tessera-${id}`)).toEqual([]);
    });

    it('has exactly one ACTIVE data key, stored only wrapped by the key provider and bound to the tenant', async () => {
      const keys = await keyRows(stack, id);
      expect(keys.map((k) => ({ version: k.version, status: k.status, kekVersion: k.kek_version }))).toEqual([{ version: 1, status: 'ACTIVE', kekVersion: 1 }]);
      const wrapped = keys[0]!.wrapped_key;
      expect(wrapped.startsWith('vault:v1:')).toBe(true);

      const provider = stack.platform.runtime.keyProvider!;
      // Two layers: the platform KEK opens to the wrap under the tenant's own key, which opens to the data key.
      const inner = (await provider.unwrap(wrapped, dataKeyContext(id, 1))).toString('utf8');
      expect(inner.startsWith('vault:v1:')).toBe(true);
      expect(await provider.keyExists(tenantKeyName(id))).toBe(true);
      const dataKey = await provider.withKey(tenantKeyName(id)).unwrap(inner, dataKeyContext(id, 1));
      expect(dataKey).toHaveLength(32);
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(wrapped).not.toContain(dataKey.toString(encoding).replace(/=+$/, ''));
      // The key the platform uses for this tenant is exactly that one.
      const current = await stack.platform.runtime.keyring.currentKey(id);
      expect(current.keyVersion).toBe(1);
      expect(current.dataKey.equals(dataKey)).toBe(true);

      await expectUnwrapFails(provider.unwrap(wrapped, dataKeyContext(freshTenantId('other'), 1)));
      await expectUnwrapFails(provider.unwrap(wrapped, dataKeyContext(id, 2)));
      // Under another key service (another KEK) the same wrap opens nowhere.
      const forged = `vault:v1:${randomBytes(60).toString('base64')}`;
      await expectUnwrapFails(provider.unwrap(forged, dataKeyContext(id, 1)));
    });

    it("lets the new tenant's admin create a dataset, stored in the tenant's own schema", async () => {
      const token = await stack.issueToken({ tenant: id, roles: ['admin'] });
      const res = await stack.query<{ createDataset: { id: string; name: string } }>(
        token,
        'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }',
        { input: { name: 'first-dataset' } },
      );
      const created = expectNoErrors(res).createDataset;
      expect(created.name).toBe('first-dataset');
      const rows = (await stack.platform.runtime.db.query(`SELECT id, name FROM ${quoteIdentifier(tenantSchemaName(id))}.datasets`)) as Array<{ id: string; name: string }>;
      expect(rows).toEqual([{ id: created.id, name: 'first-dataset' }]);
      const current = expectNoErrors(await stack.query<{ currentTenant: { id: string } }>(token, '{ currentTenant { id } }'));
      expect(current.currentTenant.id).toBe(id);
    });

    it('is idempotent: the same id again returns created: false and changes nothing', async () => {
      const before = await snapshot(stack);
      const again = expectNoErrors(await provision({ id, displayName: 'Acme Corp', region: 'eu-west-1', tier: 'SHARED' })).provisionTenant;
      expect(again.created).toBe(false);
      expect(again.tenant).toEqual(first.tenant);
      // A different display name or limits do not rewrite the existing tenant either.
      const renamed = expectNoErrors(
        await provision({ id, displayName: 'Something Else', region: 'eu-west-1', limits: { costPerMinute: 1 } }),
      ).provisionTenant;
      expect(renamed).toEqual({ created: false, tenant: first.tenant });
      const after = await snapshot(stack);
      expect(after).toEqual(before);
      expect((await keyRows(stack, id)).map((k) => k.version)).toEqual([1]);
      // The dataset written above is still there: the schema was not re-created.
      const rows = (await stack.platform.runtime.db.query(`SELECT name FROM ${quoteIdentifier(tenantSchemaName(id))}.datasets`)) as unknown[];
      expect(rows).toHaveLength(1);
    });

    it.each([
      ['another region', { region: 'us-east-1' }],
      ['another tier', { region: 'eu-west-1', tier: 'DEDICATED' }],
    ])('refuses the same id with %s (CONFLICT) and changes nothing', async (_label, change) => {
      const before = await snapshot(stack);
      expectOnlyError(await provision({ id, displayName: 'Acme Corp', ...change }), 'CONFLICT');
      expect(await snapshot(stack)).toEqual(before);
    });
  });

  it('provisions a tenant exactly once when the same id is requested concurrently', async () => {
    const id = freshTenantId('race');
    const results = await Promise.all(Array.from({ length: 4 }, () => provision({ id, displayName: 'Race', region: 'us-east-1', tier: 'DEDICATED' })));
    const payloads = results.map((res) => expectNoErrors(res).provisionTenant);
    expect(payloads.map((p) => p.created).sort()).toEqual([false, false, false, true]);
    expect(new Set(payloads.map((p) => p.tenant.createdAt)).size).toBe(1);
    expect(payloads.every((p) => p.tenant.tier === 'DEDICATED' && p.tenant.status === 'ACTIVE')).toBe(true);
    expect(await footprint(stack, id)).toEqual({ row: 1, keys: 1, schema: true, bucket: true });
  });

  it('applies the limits it is given', async () => {
    const id = freshTenantId('limits');
    const limits = { maxUploadBytes: 1024, maxStorageBytes: 4096, costPerMinute: 30 };
    const res = expectNoErrors(await provision({ id, displayName: 'Limited', region: 'us-east-1', limits })).provisionTenant;
    expect(res.tenant.limits).toEqual(limits);
    const rows = await controlRows(stack, id);
    // Only what was set is stored: every other limit follows the platform default.
    expect(rows.map((r) => (typeof r.limit_overrides === 'string' ? JSON.parse(r.limit_overrides) : r.limit_overrides))).toEqual([limits]);
  });

  it('provisions a SHARED tenant when tier is an explicit null, as when it is left out', async () => {
    const id = freshTenantId('nulltier');
    const res = expectNoErrors(await provision({ id, displayName: 'Null Tier', region: 'us-east-1', tier: null })).provisionTenant;
    expect(res.created).toBe(true);
    expect(res.tenant.tier).toBe('SHARED');
    expect((await controlRows(stack, id)).map((r) => r.tier)).toEqual(['shared']);
  });

  describe('storage that exists without a control-plane row is not adopted', () => {
    it('refuses (CONFLICT) when a schema tenant_<id> already exists, and leaves that schema untouched', async () => {
      const id = freshTenantId('squat');
      const schema = quoteIdentifier(tenantSchemaName(id));
      // The squatter is created as the migrator: the service account may not create schemas.
      const db = { query: (sql: string) => stack.adminQuery(sql) };
      await db.query(`CREATE DATABASE ${schema}`);
      try {
        await db.query(`CREATE TABLE ${schema}.precious (v VARCHAR(16) NOT NULL)`);
        await db.query(`INSERT INTO ${schema}.precious (v) VALUES ('keep-me')`);
        const before = await snapshot(stack);

        expectOnlyError(await provision({ id, displayName: 'Squatter', region: 'us-east-1' }), 'CONFLICT');

        expect(await snapshot(stack)).toEqual(before);
        expect(await footprint(stack, id)).toEqual({ ...nothing, schema: true });
        expect(await tablesOf(stack, tenantSchemaName(id))).toEqual(['precious']);
        expect(await db.query(`SELECT v FROM ${schema}.precious`)).toEqual([{ v: 'keep-me' }]);
      } finally {
        provisioned.delete(id);
        await db.query(`DROP DATABASE IF EXISTS ${schema}`);
      }
    });

    it('refuses (CONFLICT) when the bucket tessera-<id> already exists, and leaves its objects untouched', async () => {
      const id = freshTenantId('bucket');
      const bucket = bucketOf(stack, id);
      const s3 = stack.platform.runtime.objectStore;
      await s3.makeBucket(bucket, 'us-east-1');
      try {
        await s3.putObject(bucket, 'someone-elses/file.txt', Buffer.from('not yours'));
        const before = await snapshot(stack);

        expectOnlyError(await provision({ id, displayName: 'Bucket squatter', region: 'us-east-1' }), 'CONFLICT');

        expect(await snapshot(stack)).toEqual(before);
        expect(await footprint(stack, id)).toEqual({ ...nothing, bucket: true });
        expect(await objectNames(stack, bucket)).toEqual(['someone-elses/file.txt']);
      } finally {
        await s3.removeObject(bucket, 'someone-elses/file.txt').catch(() => undefined);
        await s3.removeBucket(bucket).catch(() => undefined);
      }
    });
  });

  describe('bad input is refused with BAD_USER_INPUT and creates nothing', () => {
    const valid = () => ({ id: freshTenantId('valid'), displayName: 'Valid Name', region: 'us-east-1' });

    const badIds: Array<[string, string]> = [
      ['uppercase', 'Acme-Corp'],
      ['underscore', 'acme_corp'],
      ['path traversal', '../x'],
      ['one character', 'a'],
      ['40 characters', `a${'b'.repeat(39)}`],
      ['SQL injection', "x'; DROP DATABASE tessera_control; --"],
      ['trailing hyphen', 'tenant-'],
      ['leading hyphen', '-abc'],
      ['double hyphen', 'a--b'],
      ['empty', ''],
      ['whitespace around', ' acme '],
    ];

    it.each(badIds)('id: %s', async (_label, id) => {
      const before = await snapshot(stack);
      const res = await stack.query(admin, provisionMutation, { input: { ...valid(), id } });
      expectOnlyError(res, 'BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.['field']).toBe('id');
      expect(await snapshot(stack)).toEqual(before);
    });

    it('id: an injection aimed at the control-plane schema itself', async () => {
      const control = stack.config.database.controlSchema;
      const before = await snapshot(stack);
      for (const id of [`x\`; DROP DATABASE ${control}; --`, `x'; DROP DATABASE ${control}; --`, `${control}`, `x/../../${control}`]) {
        expectOnlyError(await stack.query(admin, provisionMutation, { input: { ...valid(), id } }), 'BAD_USER_INPUT');
      }
      expect(await schemaExists(stack, control)).toBe(true);
      expect(await snapshot(stack)).toEqual(before);
    });

    const badOthers: Array<[string, Record<string, unknown>, string]> = [
      ['empty display name', { displayName: '' }, 'displayName'],
      ['blank display name', { displayName: '   ' }, 'displayName'],
      ['display name over 128 characters', { displayName: 'x'.repeat(129) }, 'displayName'],
      ['display name with a control character', { displayName: 'Acme\u0000Corp' }, 'displayName'],
      ['unknown region', { region: 'mars-1' }, 'region'],
      ['empty region', { region: '' }, 'region'],
      ['region differing only in case', { region: 'US-EAST-1' }, 'region'],
      ['zero upload limit', { limits: { maxUploadBytes: 0 } }, 'limits.maxUploadBytes'],
      ['negative upload limit', { limits: { maxUploadBytes: -1 } }, 'limits.maxUploadBytes'],
      ['zero storage limit', { limits: { maxStorageBytes: 0 } }, 'limits.maxStorageBytes'],
      ['negative storage limit', { limits: { maxStorageBytes: -1024 } }, 'limits.maxStorageBytes'],
      ['fractional storage limit', { limits: { maxStorageBytes: 1.5 } }, 'limits.maxStorageBytes'],
      ['storage limit beyond safe integers', { limits: { maxStorageBytes: 1e300 } }, 'limits.maxStorageBytes'],
      ['zero request rate', { limits: { costPerMinute: 0 } }, 'limits.costPerMinute'],
      ['negative request rate', { limits: { costPerMinute: -5 } }, 'limits.costPerMinute'],
    ];

    it.each(badOthers)('%s', async (_label, change, field) => {
      const input = { ...valid(), ...change };
      const before = await snapshot(stack);
      const res = await provision(input);
      expectOnlyError(res, 'BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.['field']).toBe(field);
      expect(await snapshot(stack)).toEqual(before);
      expect(await footprint(stack, input.id)).toEqual(nothing);
    });
  });

  it('only a platform admin may provision (a tenant admin gets FORBIDDEN and nothing is created)', async () => {
    const tenant = await stack.createTenant();
    const id = freshTenantId('sneaky');
    const before = await snapshot(stack);
    expectOnlyError(await provision({ id, displayName: 'Sneaky', region: 'us-east-1' }, await tenant.token('admin')), 'FORBIDDEN');
    expect(await snapshot(stack)).toEqual(before);
    expect(await footprint(stack, id)).toEqual(nothing);
  });
});
