/**
 * Erasure with the tenants service split from the audit service, as `tessera tenants` and
 * `tessera audit` run in production: the tenants process holds no audit signing key (its
 * environment has none), so the runner asks the audit service to pseudonymise the security log
 * and sign the receipt through the audit port, over mutual TLS and signed with the tenants
 * service's own key. The receipt verifies offline with the published public keys. No other
 * service gets those methods: a datasets certificate is refused at the handshake, the metrics
 * service (a legitimate caller of other audit methods) is FORBIDDEN, and the tenants service
 * itself cannot have a receipt signed for a tenant that still exists.
 */
import { randomUUID } from 'node:crypto';
import { auditPortClient } from '@tessera/audit/ports';
import { drainSecurityOutbox, tenantIdHash, verifyErasureReceiptJws, type ErasureReceiptPayload, type UnsignedErasureReceipt } from '@tessera/audit-client';
import { createServiceTokenSigner, serviceTokenHeader, type Principal } from '@tessera/auth';
import { portsCalledBy, remotePorts, subgraphEnvironment, withAbsentPorts, type ServicePorts } from '@tessera/platform';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { quoteIdentifier } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { JWK } from 'jose';
import { createErasureRunner, createProvisioner } from '../src/server';

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let remote: ServicePorts;

beforeAll(async () => {
  stack = await startTestStack();
  a = await stack.createTenant();
  b = await stack.createTenant();
  const subgraphs = stack.platform.subgraphs;
  // What `tessera tenants` builds from its environment: HTTP clients of the owners' ports, signed as tenants.
  remote = withAbsentPorts(
    await remotePorts(
      'tenants',
      { SERVICE_KEY: stack.tenantsServiceKey as never, DATASETS_PORT_URL: subgraphs.datasets.url, MODELS_PORT_URL: subgraphs.models.url, AUDIT_PORT_URL: subgraphs.audit.url, JOBS_PORT_URL: subgraphs.jobs.url },
      portsCalledBy.tenants,
      stack.pki.identity('tenants'),
    ),
  );
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const control = () => quoteIdentifier(stack.config.database.controlSchema);
const erasureActor = (tenantId: string): Principal => ({ kind: 'user', subject: 'system:tenant-erasure', tenantId, roles: [], clientId: undefined, requestId: 'split-test', sourceIp: undefined });
const unsignedFor = (tenantId: string): UnsignedErasureReceipt => ({
  type: 'tessera.erasure-receipt',
  version: 1,
  requestId: randomUUID(),
  tenantIdHash: tenantIdHash(tenantId),
  region: 'us-east-1',
  requestedAt: new Date().toISOString(),
  erasedAt: new Date().toISOString(),
  destroyed: { schema: { name: 'x', dropped: true }, buckets: [], keys: [], redisKeys: 0, controlPlaneRows: {} },
  kept: [],
});

describe('erasure with the tenants service split from the audit service', () => {
  it('the tenants process holds no audit signing key: its environment schema has none', () => {
    expect('AUDIT_SIGNING_KEY' in subgraphEnvironment('tenants').shape).toBe(false);
    expect('AUDIT_SIGNING_KEY' in subgraphEnvironment('audit').shape).toBe(true);
    expect('AUDIT_PORT_URL' in subgraphEnvironment('tenants').shape).toBe(true);
  });

  it('completes an erasure through the audit port over mutual TLS; the receipt verifies offline with the published keys', async () => {
    const adminA = await a.token('admin');
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminA, `mutation($c: String!) { requestTenantErasure(confirm: $c) { id } }`, { c: a.id })).requestTenantErasure;
    await stack.adminQuery(`UPDATE ${control()}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: remote.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.runner.stop();
      await built.announcer.close();
    }
    const [row] = await stack.adminQuery<Array<{ status: string; receipt: string; tenant_id: string | null; tenant_pseudonym: string }>>(`SELECT status, receipt, tenant_id, tenant_pseudonym FROM ${control()}.tenant_erasures WHERE id = ?`, [erasure.id]);
    expect(row).toMatchObject({ status: 'ERASED', tenant_id: null });
    // Offline: nothing but the receipt and the keys the audit service publishes.
    const published = expectNoErrors(await stack.query<{ auditSigningKeys: Array<{ publicJwk: string }> }>(await b.token('admin'), `{ auditSigningKeys { publicJwk } }`)).auditSigningKeys;
    const verified = await verifyErasureReceiptJws(row!.receipt, published.map((key) => JSON.parse(key.publicJwk) as JWK));
    expect(verified.valid).toBe(true);
    const payload = (verified as { payload: ErasureReceiptPayload }).payload;
    expect(payload).toMatchObject({ requestId: erasure.id, tenantIdHash: tenantIdHash(a.id), tenantPseudonym: row!.tenant_pseudonym });
    expect(payload.securityLog!.pseudonymisedEvents).toBeGreaterThan(0);
    // And online, where the audit service answers it.
    const online = expectNoErrors(await stack.query<{ verifyErasureReceipt: { valid: boolean } }>(await stack.platformAdminToken(), `query($r: String!) { verifyErasureReceipt(receipt: $r) { valid } }`, { r: row!.receipt })).verifyErasureReceipt;
    expect(online.valid).toBe(true);
  }, 120_000);

  it('refuses a receipt for a tenant that still exists, and a payload naming another tenant than the call acts for', async () => {
    await expect(remote.audit.signErasureReceipt(erasureActor(b.id), { payload: unsignedFor(b.id) })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(remote.audit.signErasureReceipt(erasureActor(b.id), { payload: unsignedFor(a.id) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it("refuses to pseudonymise the security log of a tenant that still exists: B's entries keep their names and no rewrite is recorded", async () => {
    const entries = () => stack.adminQuery<Array<{ seq: number | string; tenant_id: string | null; actor_subject: string; hash: string }>>(`SELECT seq, tenant_id, actor_subject, hash FROM ${control()}.security_events WHERE tenant_id = ? ORDER BY seq`, [b.id]);
    // An entry that names B and its actor: a platform admin's suspension and resume (both logs).
    const platformAdmin = await stack.platformAdminToken();
    for (const change of ['suspendTenant', 'resumeTenant']) expectNoErrors(await stack.query(platformAdmin, `mutation($id: ID!) { ${change}(id: $id) { id } }`, { id: b.id }));
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const before = await entries();
    expect(before.length).toBeGreaterThan(0);
    const requestId = randomUUID();
    await expect(remote.audit.pseudonymiseSecurityLog(erasureActor(b.id), { requestId })).rejects.toMatchObject({ code: 'CONFLICT', extensions: { reason: 'TENANT_NOT_ERASED' } });
    expect(await entries()).toEqual(before);
    const rewrites = await stack.adminQuery<unknown[]>(`SELECT 1 FROM ${control()}.security_log_rewrites WHERE erasure_request_id = ?`, [requestId]);
    expect(rewrites).toEqual([]);
  });

  it('no other service may use the erasure methods: a datasets certificate is refused at the handshake, the metrics service is FORBIDDEN', async () => {
    const audit = stack.platform.subgraphs.audit.url;
    const body = JSON.stringify({ actor: { tenantId: b.id, subject: 'system:tenant-erasure', roles: [], requestId: 'r-1' }, input: { requestId: randomUUID() } });
    const tenantsToken = await (await createServiceTokenSigner('tenants', stack.tenantsServiceKey))({ port: 'audit', body });
    const post = (as: string, token: string) =>
      mutualTlsPortFetch(stack.pki.identity(as), 'audit')(`${audit}/internal/ports/audit/pseudonymiseSecurityLog`, { method: 'POST', headers: { 'content-type': 'application/json', [serviceTokenHeader]: token }, body });
    await expect(post('datasets', tenantsToken)).rejects.toThrow();
    // The tenants service's own token over another service's certificate: the two proofs disagree.
    const mismatched = await post('metrics', tenantsToken);
    expect(mismatched.status).toBe(401);
    // Metrics may call the audit port, but not these methods.
    const asMetrics = auditPortClient({
      baseUrl: audit,
      sign: await createServiceTokenSigner('metrics', stack.metricsServiceKey),
      fetch: mutualTlsPortFetch(stack.pki.identity('metrics'), 'audit'),
    });
    await expect(asMetrics.signErasureReceipt(erasureActor(b.id), { payload: unsignedFor(b.id) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(asMetrics.pseudonymiseSecurityLog(erasureActor(b.id), { requestId: randomUUID() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // B's security-log entries are untouched by all of this.
    const [mentions] = await stack.adminQuery<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM ${control()}.security_log_rewrites WHERE tenant_pseudonym IN (SELECT tenant_pseudonym FROM ${control()}.tenant_erasures WHERE tenant_id_hash = ?)`, [tenantIdHash(b.id)]);
    expect(Number(mentions!.n)).toBe(0);
  });
});
