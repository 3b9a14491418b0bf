/**
 * A whole erasure, on real services: a tenant with a dataset, audit events and a service account
 * with an API key; its erasure requested through the gateway, the grace period over, the runner
 * run. Then a scan of MariaDB (schema, every control-plane table with a tenant_id), the object
 * store, Redis and the key provider finds nothing of it; a copy of an encrypted object and of its
 * wrapped key rows taken before no longer decrypts; the receipt verifies and a tampered one does
 * not; the other tenant is untouched.
 */
import { canonicalEvent, chainHash, drainSecurityOutbox, securityEventColumns } from '@tessera/audit-client';
import { decryptBuffer } from '@tessera/crypto';
import { openRedis } from '@tessera/job-queue';
import { dataKeyContext, quoteIdentifier, tenantKeyName } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createErasureRunner, createProvisioner } from '../src/server';
import { tenantIdHash, verifyErasureReceiptJws, type ErasureReceiptPayload } from '../src/domain/erasure-receipt';
import type { JWK } from 'jose';
import { CheckpointSigner } from '../../audit/src/domain/checkpoint-signer';

async function newDataset(stack: TestStack, token: string, name: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name } })).createDataset.id;
}

/** The staged upload, as a browser does it: reserve, PUT through the gateway, complete. */
async function uploadVersion(stack: TestStack, token: string, datasetId: string, csv: Buffer): Promise<void> {
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'data.csv', byteSize: csv.length },
    }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: csv });
  if (put.status !== 200) throw new Error(`upload failed: ${await put.text()}`);
  expectNoErrors(await stack.query(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
}

const requestMutation = `mutation($tenantId: ID, $confirm: String!) { requestTenantErasure(tenantId: $tenantId, confirm: $confirm) { id status } }`;
const erasureQuery = `query($id: ID!) { tenantErasure(id: $id) { id tenantId tenantIdHash status erasedAt receipt } }`;
const verifyQuery = `query($receipt: String!) { verifyErasureReceipt(receipt: $receipt) { valid reason keyId payload } }`;

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  a = await stack.createTenant();
  b = await stack.createTenant();
  admin = await stack.platformAdminToken();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const control = () => quoteIdentifier(stack.config.database.controlSchema);

async function objectsOf(tenant: TestTenant): Promise<Map<string, Buffer>> {
  const store = stack.platform.runtime.objectStore;
  const objects = new Map<string, Buffer>();
  for await (const item of store.listObjectsV2(tenant.bucket, '', true)) {
    if (!item.name) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await store.getObject(tenant.bucket, item.name)) chunks.push(chunk as Buffer);
    objects.set(item.name, Buffer.concat(chunks));
  }
  return objects;
}

/** Rows of `tenantId` in every control-plane table that has a tenant_id column, the security log excepted (kept, see README). */
async function controlRowsOf(tenantId: string): Promise<Record<string, number>> {
  const tables = await stack.adminQuery<Array<{ name: string }>>(`SELECT TABLE_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'tenant_id'`, [stack.config.database.controlSchema]);
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    if (name.startsWith('security_')) continue;
    const rows = await stack.adminQuery<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM ${control()}.${quoteIdentifier(name)} WHERE tenant_id = ?`, [tenantId]);
    if (Number(rows[0]!.n) > 0) found[name] = Number(rows[0]!.n);
  }
  return found;
}

const securityColumns = ['tenant_id', 'actor_subject', 'actor_client', 'target_id', 'source_ip', 'request_id', 'details_json'] as const;

/** Every security-log entry (chained or still in the outbox) holding one of `texts` in any column. */
async function securityLogMentions(texts: string[]): Promise<Array<{ seq: unknown; column: string; text: string }>> {
  const found: Array<{ seq: unknown; column: string; text: string }> = [];
  for (const table of ['security_events', 'security_outbox']) {
    const rows = await stack.adminQuery<Array<Record<string, unknown>>>(`SELECT * FROM ${control()}.${table}`);
    for (const row of rows) {
      for (const column of securityColumns) {
        const value = row[column] === null || row[column] === undefined ? '' : typeof row[column] === 'string' ? (row[column] as string) : JSON.stringify(row[column]);
        for (const text of texts) if (value.includes(text)) found.push({ seq: row['seq'] ?? row['outbox_id'], column, text });
      }
    }
  }
  return found;
}

/** Signs the security log's current head as the audit service's periodic checkpoint does, so the erasure's rewrite has a signed head to cross. */
async function checkpointSecurityLog(): Promise<number> {
  await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
  const [head] = await stack.adminQuery<Array<{ seq: number | string; hash: string }>>(`SELECT seq, hash FROM ${control()}.security_events ORDER BY seq DESC LIMIT 1`);
  const signer = await CheckpointSigner.fromJwk(stack.config.auditChain!.signingKey as JWK);
  const time = new Date();
  const jws = await signer.sign({ chain: 'platform', tenantId: null, seq: Number(head!.seq), headHash: head!.hash, time: time.toISOString() });
  await stack.adminQuery(`INSERT IGNORE INTO ${control()}.security_checkpoints (seq, head_hash, signed_at, key_id, jws) VALUES (?, ?, ?, ?, ?)`, [Number(head!.seq), head!.hash, time, signer.keyId, jws]);
  return Number(head!.seq);
}

const verifySecurityLogQuery = `{ verifySecurityLog { valid reason firstBadSequence checkpointsChecked checkedEvents } }`;

async function redisKeysWith(text: string): Promise<string[]> {
  const client = openRedis(stack.config.redis, 'erasure-scan', 'request');
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `*${text}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/**
 * Decrypts a copied object with nothing but copied key rows and the key provider: the tenant's data
 * key (two provider layers), and for an object under its dataset's own key (header version 0), that
 * dataset's key row, wrapped by the tenant's data key.
 */
async function decryptWith(tenantId: string, rows: Array<{ version: number; wrapped_key: string }>, datasetKeys: Array<{ dataset_id: string; wrapped_key: string }>, objectKey: string, sealed: Buffer): Promise<Buffer> {
  const provider = stack.platform.runtime.keyProvider!;
  const tenantKey = async (version: number): Promise<Buffer> => {
    const row = rows.find((candidate) => Number(candidate.version) === version)!;
    const inner = (await provider.unwrap(row.wrapped_key, dataKeyContext(tenantId, version))).toString('utf8');
    return provider.withKey(tenantKeyName(tenantId)).unwrap(inner, dataKeyContext(tenantId, version));
  };
  return decryptBuffer(sealed, {
    associatedData: `${tenantId}/${objectKey}`,
    resolveKey: async (version) => {
      if (version !== 0) return tenantKey(version);
      const datasetId = objectKey.split('/')[1]!;
      const row = datasetKeys.find((candidate) => candidate.dataset_id === datasetId)!;
      return decryptBuffer(Buffer.from(row.wrapped_key, 'base64'), { resolveKey: tenantKey, associatedData: `${tenantId}/dataset_keys/${datasetId}` });
    },
  });
}

describe('erasing a tenant', () => {
  it('leaves nothing of it in MariaDB, the object store, Redis or the key provider; copies taken before do not decrypt; the receipt verifies; the other tenant is untouched', async () => {
    // Tenant A has data: a dataset (encrypted objects), audit events, a service account with an API key.
    const adminA = await stack.issueToken({ tenant: a.id, roles: ['admin'] });
    const dataset = await newDataset(stack, adminA, 'to-erase');
    await uploadVersion(stack, adminA, dataset, Buffer.from('x,y\n1,2\n3,4\n'));
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(adminA, `mutation { createServiceAccount(input: { name: "bot", role: VIEWER }) { id } }`)).createServiceAccount;
    expectNoErrors(await stack.query(adminA, `mutation($id: ID!) { createApiKey(input: { serviceAccountId: $id }) { secret } }`, { id: account.id }));
    const adminB = await stack.issueToken({ tenant: b.id, roles: ['admin'] });
    const datasetB = await newDataset(stack, adminB, 'kept');
    await uploadVersion(stack, adminB, datasetB, Buffer.from('p,q\n5,6\n'));

    // The backup someone could hold: A's objects and its wrapped key rows.
    const backupObjects = await objectsOf(a);
    expect(backupObjects.size).toBeGreaterThan(0);
    const backupRows = await stack.adminQuery<Array<{ version: number; wrapped_key: string }>>(`SELECT version, wrapped_key FROM ${control()}.tenant_keys WHERE tenant_id = ?`, [a.id]);
    const backupDatasetKeys = await stack.adminQuery<Array<{ dataset_id: string; wrapped_key: string }>>(`SELECT dataset_id, wrapped_key FROM \`${a.schema}\`.dataset_keys`);
    const [sampleKey, sampleSealed] = [...backupObjects.entries()].find(([key]) => key.startsWith('datasets/'))!;
    const readable = await decryptWith(a.id, backupRows, backupDatasetKeys, sampleKey, sampleSealed).then(
      () => true,
      () => false,
    );
    const bObjectsBefore = await objectsOf(b);
    const bRowsBefore = await controlRowsOf(b.id);

    // Requested by A's own admin (so the security log names A's people, not only A), then the grace
    // period is over (moved into the past rather than waited for).
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminA, requestMutation, { confirm: a.id })).requestTenantErasure;
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const [requested] = await stack.adminQuery<Array<{ actor_subject: string; actor_client: string | null }>>(
      `SELECT actor_subject, actor_client FROM ${control()}.security_events WHERE tenant_id = ? AND action = 'tenant.erasure.request'`,
      [a.id],
    );
    const aPeople = [requested!.actor_subject, ...(requested!.actor_client ? [requested!.actor_client] : [])];
    expect((await securityLogMentions([a.id, ...aPeople])).length).toBeGreaterThan(1);
    const checkpointed = await checkpointSecurityLog();
    await stack.adminQuery(`UPDATE ${control()}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    // The audit port signs and pseudonymises (in-process here; split-erasure.test.ts runs it over mutual TLS).
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    expect(await built.runner.runDue()).toEqual([erasure.id]);
    expect(await built.runner.runDue()).toEqual([]); // nothing left to do
    await built.announcer.close();

    // The security log: no entry names A or its people any more; the chain and the checkpoint signed before still verify.
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    expect(await securityLogMentions([a.id, ...aPeople])).toEqual([]);
    const logCheck = expectNoErrors(await stack.query<{ verifySecurityLog: { valid: boolean; checkpointsChecked: number } }>(admin, verifySecurityLogQuery)).verifySecurityLog;
    expect(logCheck).toMatchObject({ valid: true });
    expect(logCheck.checkpointsChecked).toBeGreaterThanOrEqual(1);
    const [crossed] = await stack.adminQuery<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM ${control()}.security_checkpoints WHERE seq >= ? AND seq <= ?`, [checkpointed, checkpointed]);
    expect(Number(crossed!.n)).toBe(1);

    // MariaDB: no schema, no control-plane row.
    expect(await stack.adminQuery<unknown[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [a.schema])).toEqual([]);
    expect(await controlRowsOf(a.id)).toEqual({});
    // The object store: no bucket.
    expect(await stack.platform.runtime.objectStore.bucketExists(a.bucket)).toBe(false);
    // Redis: no key naming the tenant.
    expect(await redisKeysWith(a.id)).toEqual([]);
    // The key provider: its key gone; the backup no longer decrypts.
    expect(await stack.platform.runtime.keyProvider!.keyExists(tenantKeyName(a.id))).toBe(false);
    expect(readable).toBe(true);
    await expect(decryptWith(a.id, backupRows, backupDatasetKeys, sampleKey, sampleSealed)).rejects.toMatchObject({ code: 'KEY_UNWRAP_FAILED' });

    // The receipt: fetched by request id after the tenant is gone, signed, listing what went.
    const done = expectNoErrors(await stack.query<{ tenantErasure: { tenantId: string | null; tenantIdHash: string; status: string; receipt: string } }>(admin, erasureQuery, { id: erasure.id })).tenantErasure;
    expect(done).toMatchObject({ tenantId: null, status: 'ERASED', tenantIdHash: tenantIdHash(a.id) });
    const verified = expectNoErrors(await stack.query<{ verifyErasureReceipt: { valid: boolean; payload: string } }>(admin, verifyQuery, { receipt: done.receipt })).verifyErasureReceipt;
    expect(verified.valid).toBe(true);
    const payload = JSON.parse(verified.payload) as ErasureReceiptPayload;
    expect(payload.destroyed.schema).toEqual({ name: a.schema, dropped: true });
    expect(payload.destroyed.buckets[0]).toMatchObject({ bucket: a.bucket, objects: backupObjects.size, bytes: [...backupObjects.values()].reduce((sum, o) => sum + o.length, 0) });
    expect(payload.destroyed.keys[0]).toMatchObject({ keyId: tenantKeyName(a.id), dataKeyVersions: [1] });
    expect(payload.destroyed.controlPlaneRows).toMatchObject({ tenants: 1, tenant_keys: 1, service_accounts: 1, api_keys: 1 });
    expect(payload.tenantPseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.securityLog!.pseudonymisedEvents).toBeGreaterThan(1);
    expect(payload.securityLog!.rewriteId).toMatch(/^[0-9a-f-]{36}$/);
    // The log's pseudonym of A is the receipt's, shortened: its entries can still be tied to the receipt.
    const [pseudonymised] = await stack.adminQuery<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM ${control()}.security_events WHERE tenant_id = ?`, [`p:${payload.tenantPseudonym.slice(0, 30)}`]);
    expect(Number(pseudonymised!.n)).toBeGreaterThan(1);
    // Offline, with the published public key only.
    const published = expectNoErrors(await stack.query<{ auditSigningKeys: Array<{ publicJwk: string }> }>(adminB, `{ auditSigningKeys { publicJwk } }`)).auditSigningKeys;
    expect((await verifyErasureReceiptJws(done.receipt, published.map((key) => JSON.parse(key.publicJwk) as JWK))).valid).toBe(true);
    const [head, body, signature] = done.receipt.split('.');
    const altered = JSON.parse(Buffer.from(body!, 'base64url').toString()) as ErasureReceiptPayload;
    altered.destroyed.buckets[0]!.objects += 1;
    const tampered = `${head}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
    expect(expectNoErrors(await stack.query<{ verifyErasureReceipt: { valid: boolean; reason: string } }>(admin, verifyQuery, { receipt: tampered })).verifyErasureReceipt).toMatchObject({ valid: false, reason: 'BAD_SIGNATURE' });
    expect(errorCodes(await stack.query(adminB, verifyQuery, { receipt: done.receipt }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(adminB, erasureQuery, { id: erasure.id }))).toEqual(['NOT_FOUND']);

    // Tenant B: every object and row as before.
    const bObjectsAfter = await objectsOf(b);
    expect([...bObjectsAfter.keys()].sort()).toEqual([...bObjectsBefore.keys()].sort());
    for (const [key, value] of bObjectsBefore) if (!key.startsWith('audit/')) expect(bObjectsAfter.get(key)!.equals(value)).toBe(true);
    expect(await controlRowsOf(b.id)).toMatchObject(bRowsBefore);
    expect(await stack.platform.runtime.keyProvider!.keyExists(tenantKeyName(b.id))).toBe(true);
  }, 120_000);

  it('a rewrite of a security-log entry without a signed record is caught, even when its hashes are recomputed', async () => {
    // Whoever holds the audit database password can call the rewrite routine, but not sign: the trace row it leaves gives it away.
    const schema = control();
    await stack.query(undefined, `{ currentTenant { id } }`); // an unauthenticated call: one more security-log entry
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const [head] = await stack.adminQuery<Array<Record<string, unknown>>>(`SELECT * FROM ${schema}.security_events ORDER BY seq DESC LIMIT 1`);
    const seq = Number(head!['seq']);
    const forged = { ...head!, actor_subject: 'someone-else' };
    const hash = chainHash(String(head!['prev_hash']), canonicalEvent('platform', seq, forged, securityEventColumns));
    await stack.adminQuery(`CALL ${schema}.rewrite_security_event(UUID(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      seq,
      head!['hash'],
      head!['tenant_id'],
      'someone-else',
      head!['actor_client'],
      head!['target_id'],
      head!['source_ip'],
      typeof head!['details_json'] === 'string' ? head!['details_json'] : JSON.stringify(head!['details_json']),
      head!['prev_hash'],
      hash,
    ]);
    const check = expectNoErrors(await stack.query<{ verifySecurityLog: { valid: boolean; reason: string; firstBadSequence: number } }>(admin, verifySecurityLogQuery)).verifySecurityLog;
    expect(check).toMatchObject({ valid: false, reason: 'UNSIGNED_REWRITE', firstBadSequence: seq });
  }, 60_000);
});
