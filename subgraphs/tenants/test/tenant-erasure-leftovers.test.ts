/**
 * What an erasure must not leave behind outside the schema, bucket and control-plane rows that
 * tenant-erasure.test.ts scans: the tenant's id inside the job rings (a Redis list of tenant ids
 * and its membership set, shared by every tenant of a pool, and a dedicated tenant's own ring),
 * its admin's subject on the request row, and, in the services that cached them, the erased
 * tenant's data keys, which a tenant provisioned again under the same id must never be written with.
 * And what it must not take with it: another tenant's id in the security log that merely ends in
 * the erased one's.
 */
import { randomBytes } from 'node:crypto';
import { drainSecurityOutbox, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import { decryptBuffer } from '@tessera/crypto';
import { openRedis } from '@tessera/job-queue';
import { quoteIdentifier, TenantKeyring } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createErasureRunner, createProvisioner } from '../src/server';

let stack: TestStack;
const control = () => quoteIdentifier(stack.config.database.controlSchema);

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

/**
 * The runner as the service builds it. Its wait before the last Redis sweep is 300 ms here, not
 * 1 s: still longer than the gateway's 250 ms rate-limit exchange it is there for, and no test of
 * this file looks at rate-limit counters (the rings and the data keys are swept by the first pass).
 */
const erasureConfig = () => ({ audit: stack.platform.ports.audit, erasureRedisSettleMs: 300 });

/** A dataset with one version, uploaded through the gateway as a browser does it. */
async function datasetVersion(token: string, csv: string): Promise<{ datasetId: string; versionId: string }> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation { createDataset(input: { name: "kept-or-not" }) { id } }`)).createDataset.id;
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'data.csv', byteSize: Buffer.byteLength(csv) },
    }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: csv });
  expect(put.status).toBe(200);
  const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload;
  return { datasetId, versionId: version.id };
}

/** Requested by the tenant's own admin, the grace period moved into the past, the runner run. */
async function erase(tenant: TestTenant, adminToken: string): Promise<string> {
  const requested = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminToken, `mutation($confirm: String!) { requestTenantErasure(confirm: $confirm) { id } }`, { confirm: tenant.id })).requestTenantErasure;
  await runErasure(requested.id);
  return requested.id;
}

/** The grace period moved into the past, the runner run. */
async function runErasure(requestId: string): Promise<void> {
  await stack.adminQuery(`UPDATE ${control()}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), requestId]);
  const runtime = stack.platform.runtimes.tenants;
  const built = createErasureRunner(runtime, erasureConfig(), createProvisioner(runtime, { regions: stack.config.regions }))!;
  try {
    expect(await built.runner.runDue()).toEqual([requestId]);
  } finally {
    await built.announcer.close();
  }
}

/** Every job ring and membership set of this stack, with its members. */
async function rings(): Promise<Record<string, string[]>> {
  const client = openRedis(stack.config.redis, 'erasure-rings', 'request');
  try {
    const found: Record<string, string[]> = {};
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${stack.config.redis.keyPrefix}:jobs:ring*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found[key] = (await client.type(key)) === 'list' ? await client.lrange(key, 0, -1) : await client.smembers(key);
    } while (cursor !== '0');
    return found;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

describe('after an erasure', () => {
  it("no job ring holds the tenant's id (shared pool, and a dedicated tenant's own ring), another tenant's entries stay; the request row keeps no admin subject", async () => {
    // No worker runs: each tenant's profile job stays queued, so each tenant sits in its pool's ring.
    // The three tenants are independent: set up at once.
    const [shared, dedicated, kept] = await Promise.all([stack.createTenant(), stack.createTenant({ tier: 'dedicated' }), stack.createTenant()]);
    const admins = new Map<string, string>();
    await Promise.all(
      [shared, dedicated, kept].map(async (tenant) => {
        const token = await stack.issueToken({ tenant: tenant.id, roles: ['admin'] });
        admins.set(tenant.id, token);
        const { versionId } = await datasetVersion(token, 'x,y\n1,2\n3,4\n');
        expectNoErrors(await stack.query(token, `mutation($id: ID!) { submitProfileJob(input: { datasetVersionId: $id }) { id } }`, { id: versionId }));
      }),
    );
    const members = (all: Record<string, string[]>) => Object.entries(all).filter(([, ids]) => ids.length > 0);
    const before = await rings();
    for (const tenant of [shared, dedicated, kept]) expect(members(before).some(([, ids]) => ids.includes(tenant.id))).toBe(true);

    const requestIds = [await erase(shared, admins.get(shared.id)!), await erase(dedicated, admins.get(dedicated.id)!)];

    const after = await rings();
    for (const tenant of [shared, dedicated]) {
      expect(members(after).filter(([key, ids]) => ids.includes(tenant.id) || key.includes(tenant.id))).toEqual([]);
    }
    // The other tenant of the shared pool is still in its ring and its membership set.
    expect(members(after).filter(([, ids]) => ids.includes(kept.id)).map(([key]) => key).sort()).toEqual(members(before).filter(([, ids]) => ids.includes(kept.id)).map(([key]) => key).sort());

    // The request rows: no tenant id, no subject of the admins who asked.
    const rows = await stack.adminQuery<Array<Record<string, unknown>>>(`SELECT tenant_id, requested_by, status FROM ${control()}.tenant_erasures WHERE id IN (?, ?)`, requestIds);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({ tenant_id: null, requested_by: '', status: 'ERASED' });
    }
  }, 180_000);

  it("the security log's entries about another tenant whose id ends in '-<erased id>' keep that id; the erased tenant's own entries do not", async () => {
    const erased = `c${randomBytes(4).toString('hex')}`;
    const other = `acme-${erased}`;
    const admin = await stack.platformAdminToken();
    const provision = `mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id } } }`;
    await Promise.all([erased, other].map(async (id) => expectNoErrors(await stack.query(admin, provision, { input: { id, displayName: `Tenant ${id}`, region: 'us-east-1' } }))));
    // Entries naming the other tenant: its provisioning, a suspension and a resume, by the platform admin.
    for (const mutation of ['suspendTenant', 'resumeTenant']) expectNoErrors(await stack.query(admin, `mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id: other }));
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const entriesOf = (tenantId: string) =>
      stack.adminQuery<Array<{ seq: number; action: string; target_id: string | null; details_json: unknown }>>(`SELECT seq, action, target_id, details_json FROM ${control()}.security_events WHERE tenant_id = ? ORDER BY seq`, [tenantId]);
    const before = await entriesOf(other);
    expect(before.filter((entry) => entry.target_id === other).length).toBeGreaterThanOrEqual(3);

    const erasedAdmin = await stack.issueToken({ tenant: erased, roles: ['admin'] });
    await erase({ id: erased, bucket: `tessera-${erased}`, schema: `tenant_${erased}`, token: async () => erasedAdmin }, erasedAdmin);

    expect(await entriesOf(other)).toEqual(before);
    expect(await entriesOf(erased)).toEqual([]);
    await stack.platform.provisioner.deprovision(other);
  }, 180_000);

  it("the security log's platform admins and another tenant's people keep their names when the erased id is a word in them (a platform admin 'platform-<id>', a member 'bob@<id>.com' of another tenant)", async () => {
    // Tenant ids are words a platform admin picks (`admin`, `acme`), so they turn up inside other
    // names: the demo's platform admin is `platform-admin`, another company's staff write from `@acme.com`.
    const erased = `w${randomBytes(4).toString('hex')}`;
    const other = `o${randomBytes(4).toString('hex')}`;
    const admin = await stack.platformAdminToken();
    const provision = `mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id } } }`;
    await Promise.all([erased, other].map(async (id) => expectNoErrors(await stack.query(admin, provision, { input: { id, displayName: `Tenant ${id}`, region: 'us-east-1' } }))));
    const operator: Principal = { kind: 'user', subject: `platform-${erased}`, tenantId: undefined, roles: ['platform_admin'], clientId: `console-${erased}`, requestId: 'r-operator', sourceIp: '203.0.113.7' };
    const member: Principal = { kind: 'user', subject: `bob@${erased}.com`, tenantId: other, roles: ['admin'], clientId: 'console', requestId: 'r-member', sourceIp: '203.0.113.8' };
    await stack.platform.runtime.db.transaction(async (manager) => {
      await recordSecurityEvent(manager, operator, { tenantId: other, action: 'tenant.suspend', targetType: 'Tenant', targetId: other, outcome: 'SUCCESS' });
      await recordSecurityEvent(manager, member, { tenantId: other, action: 'key.rotate', targetType: 'Tenant', targetId: other, outcome: 'SUCCESS' });
    });
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const named = () =>
      stack.adminQuery<Array<{ actor_subject: string; actor_client: string | null; source_ip: string | null; tenant_id: string | null }>>(
        `SELECT actor_subject, actor_client, source_ip, tenant_id FROM ${control()}.security_events WHERE request_id IN ('r-operator', 'r-member') ORDER BY seq`,
      );
    const before = await named();
    expect(before.map((row) => row.actor_subject)).toEqual([operator.subject, member.subject]);

    const erasedAdmin = await stack.issueToken({ tenant: erased, roles: ['admin'] });
    await erase({ id: erased, bucket: `tessera-${erased}`, schema: `tenant_${erased}`, token: async () => erasedAdmin }, erasedAdmin);

    expect(await named()).toEqual(before);
    await stack.platform.provisioner.deprovision(other);
  }, 180_000);

  it("the security log keeps no subject or e-mail address of the tenant's members that a platform admin named in its entries, though they never acted themselves", async () => {
    const id = `m${randomBytes(4).toString('hex')}`;
    const tag = randomBytes(4).toString('hex');
    const [firstAdminEmail, invitedSubject, invitedEmail] = [`first-admin-${tag}@example.com`, `invited-subject-${tag}`, `invited-${tag}@example.com`];
    const admin = await stack.platformAdminToken();
    expectNoErrors(await stack.query(admin, `mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id } } }`, { input: { id, displayName: `Tenant ${id}`, region: 'us-east-1', initialAdmin: { email: firstAdminEmail } } }));
    const invite = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`;
    expectNoErrors(await stack.query(admin, invite, { input: { tenantId: id, subject: invitedSubject, role: 'VIEWER' } }));
    expectNoErrors(await stack.query(admin, invite, { input: { tenantId: id, email: invitedEmail, role: 'VIEWER' } }));
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const people = [firstAdminEmail, invitedSubject, invitedEmail];
    const mentions = async () => {
      const rows = await stack.adminQuery<Array<Record<string, unknown>>>(`SELECT * FROM ${control()}.security_events`);
      return people.filter((person) => rows.some((row) => JSON.stringify(row).includes(person)));
    };
    expect(await mentions()).toEqual(people);

    // Asked by the platform admin: none of those people ever acted in the tenant's entries.
    const requested = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(admin, `mutation($id: ID!, $confirm: String!) { requestTenantErasure(tenantId: $id, confirm: $confirm) { id } }`, { id, confirm: id })).requestTenantErasure;
    await runErasure(requested.id);
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    expect(await mentions()).toEqual([]);
    // The platform admin who named them keeps its name.
    const [adminSubject] = await stack.adminQuery<Array<{ actor_subject: string }>>(`SELECT actor_subject FROM ${control()}.security_events WHERE action = 'tenant.provision' AND target_id LIKE 'p:%' ORDER BY seq DESC LIMIT 1`);
    expect(adminSubject!.actor_subject).not.toMatch(/^p:/);
  }, 180_000);

  it("an erasure that keeps failing (its tenant's region is not served here) does not hold up another tenant's erasure due after it", async () => {
    const [stuck, next, admin] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.platformAdminToken()]);
    const request = `mutation($id: ID!, $confirm: String!) { requestTenantErasure(tenantId: $id, confirm: $confirm) { id } }`;
    // Which is due first is set below, whatever order the requests were made in.
    const ids = await Promise.all(
      [stuck, next].map(async (tenant) => expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(admin, request, { id: tenant.id, confirm: tenant.id })).requestTenantErasure.id),
    );
    // The first is due first; its tenant's record names a region whose store this service does not hold.
    await stack.adminQuery(`UPDATE ${control()}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 2000), ids[0]]);
    await stack.adminQuery(`UPDATE ${control()}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), ids[1]]);
    await stack.adminQuery(`UPDATE ${control()}.tenants SET region = 'ap-south-1' WHERE id = ?`, [stuck.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, erasureConfig(), createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([ids[1]]);
      expect(await built.runner.runDue()).toEqual([]);
      const rows = await stack.adminQuery<Array<{ id: string; status: string }>>(`SELECT id, status FROM ${control()}.tenant_erasures WHERE id IN (?, ?)`, ids);
      expect(Object.fromEntries(rows.map((row) => [row.id, row.status]))).toEqual({ [ids[0]!]: 'RUNNING', [ids[1]!]: 'ERASED' });
      expect(await stack.platform.runtime.tenants.find(next.id)).toBeUndefined();
      // Its region served again: the stuck one finishes on a later pass.
      await stack.adminQuery(`UPDATE ${control()}.tenants SET region = 'us-east-1' WHERE id = ?`, [stuck.id]);
      expect(await built.runner.runDue()).toEqual([ids[0]]);
    } finally {
      await built.announcer.close();
    }
  }, 180_000);

  // One tenant erased and provisioned again under its id serves both claims: the gateway had its API
  // key cached and the datasets service its data key, both before the erasure.
  it("a tenant provisioned again under the erased id at once refuses the erased tenant's API key (the gateway had it cached) and is written with its own new data key, not the erased tenant's one a service still had cached", async () => {
    const tenant = await stack.createTenant();
    const admin = await stack.issueToken({ tenant: tenant.id, roles: ['admin'] });
    // The datasets service now holds the tenant's data key in its cache.
    await datasetVersion(admin, 'a,b\n1,2\n');
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, `mutation { createServiceAccount(input: { name: "bot", role: VIEWER }) { id } }`)).createServiceAccount;
    const key = expectNoErrors(await stack.query<{ createApiKey: { secret: string } }>(admin, `mutation($id: ID!) { createApiKey(input: { serviceAccountId: $id }) { secret } }`, { id: account.id })).createApiKey.secret;
    const datasets = `{ datasets { edges { node { name } } } }`;
    expect(expectNoErrors(await stack.query<{ datasets: { edges: unknown[] } }>(key, datasets)).datasets.edges).toHaveLength(1);
    await erase(tenant, admin);

    await stack.platform.provisioner.provision({ id: tenant.id, displayName: 'Provisioned again', region: 'us-east-1', tier: 'shared' });
    const newAdmin = await stack.issueToken({ tenant: tenant.id, roles: ['admin'] });
    const { datasetId } = await datasetVersion(newAdmin, 'p,q\n7,8\n');
    const answer = await stack.query<{ datasets: { edges: unknown[] } }>(key, datasets);
    expect(answer.data?.datasets ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');

    // Read back with nothing cached: the new tenant's key rows, through a keyring of its own.
    const keyring = new TenantKeyring(stack.platform.runtime.db, stack.config.database.controlSchema, stack.platform.runtime.keyProvider);
    const [datasetKey] = await stack.adminQuery<Array<{ wrapped_key: string }>>(`SELECT wrapped_key FROM \`${tenant.schema}\`.dataset_keys WHERE dataset_id = ?`, [datasetId]);
    const store = stack.platform.runtime.objectStore;
    const objectKey = await (async () => {
      for await (const item of store.listObjectsV2(tenant.bucket, `datasets/${datasetId}/`, true)) if (item.name) return item.name;
      throw new Error('no object of the dataset');
    })();
    const chunks: Buffer[] = [];
    for await (const chunk of await store.getObject(tenant.bucket, objectKey)) chunks.push(chunk as Buffer);
    const tenantKey = (version: number) => keyring.keyFor(tenant.id, version);
    const plain = await decryptBuffer(Buffer.concat(chunks), {
      associatedData: `${tenant.id}/${objectKey}`,
      resolveKey: async (version) =>
        version !== 0 ? tenantKey(version) : decryptBuffer(Buffer.from(datasetKey!.wrapped_key, 'base64'), { resolveKey: tenantKey, associatedData: `${tenant.id}/dataset_keys/${datasetId}` }),
    });
    expect(plain.toString('utf8')).toContain('7,8');
  }, 180_000);
});
