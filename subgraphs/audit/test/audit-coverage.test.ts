import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { errorCodes, expectNoErrors, postGraphQL, startTestStack, testAudience, type TestStack, type TestTenant } from '@tessera/testing';
import { chainOf, securityEvents } from './audit-events-helpers';

const datasetsQuery = '{ datasets { edges { cursor } } }';

describe('audit coverage: what produces events where', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  const provisioned: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
  });

  afterAll(async () => {
    for (const id of provisioned) await stack.platform.provisioner.deprovision(id).catch(() => undefined);
    await stack?.stop();
  });

  async function forged(claims: Record<string, unknown>): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'not-the-issuers' }).setSubject('eve').setIssuer(stack.issuer.issuerUrl).setAudience(testAudience).setIssuedAt().setExpirationTime('5m').sign(privateKey);
  }

  const detailsOf = (event: { details_json: unknown }) => (typeof event.details_json === 'string' ? JSON.parse(event.details_json) : event.details_json) as Record<string, unknown>;

  it('authentication failures at the gateway: platform security log always, the claimed tenant only if it exists', async () => {
    const ghost = `ghost${randomBytes(3).toString('hex')}`;
    expect(errorCodes(await postGraphQL(stack.graphqlUrl, undefined, datasetsQuery))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await postGraphQL(stack.graphqlUrl, await forged({ tenant: tenant.id, roles: ['admin'] }), datasetsQuery))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await postGraphQL(stack.graphqlUrl, await forged({ tenant: ghost, roles: ['admin'] }), datasetsQuery))).toEqual(['UNAUTHENTICATED']);

    const failures = (await securityEvents(stack)).filter((e) => e.action === 'auth.failure');
    expect(failures.map((e) => e.tenant_id)).toEqual(expect.arrayContaining([null, tenant.id, ghost]));
    const forgedForTenant = failures.find((e) => e.tenant_id === tenant.id)!;
    expect(forgedForTenant.actor_subject).toBe('unverified:eve');
    expect(detailsOf(forgedForTenant)).toMatchObject({ tokenPresent: true });
    const anonymous = failures.find((e) => e.tenant_id === null)!;
    expect(anonymous.actor_subject).toBe('unverified:anonymous');

    const tenantLog = await chainOf(stack, tenant);
    expect(tenantLog.filter((e) => e.action === 'auth.failure').map((e) => e.actor_subject)).toEqual(['unverified:eve']);
    // The claimed tenant that does not exist has no log to write to; nothing was created for it.
    const schemas = (await stack.platform.runtime.db.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [`tenant_${ghost}`])) as unknown[];
    expect(schemas).toEqual([]);
  });

  it("authorization failures (shield denials) go to the caller's tenant log; a platform admin's to the security log", async () => {
    const viewer = await tenant.token('viewer');
    expect(errorCodes(await stack.query(viewer, 'mutation { createDataset(input: { name: "nope" }) { id } }'))).toEqual(['FORBIDDEN']);
    const denied = (await chainOf(stack, tenant)).filter((e) => e.action === 'access.denied');
    expect(denied.map((e) => e.target_id)).toContain('createDataset');

    expect(errorCodes(await stack.query(await stack.platformAdminToken(), datasetsQuery))).toEqual(['FORBIDDEN']);
    const platformDenied = (await securityEvents(stack)).filter((e) => e.action === 'access.denied' && e.tenant_id === null);
    expect(platformDenied.map((e) => e.target_id)).toContain('datasets');
  });

  it('tenant lifecycle: provision (with its first data key), suspend and resume are in the security log and the tenant log; a suspended tenant is refused and recorded', async () => {
    const admin = await stack.platformAdminToken();
    const id = `cov${randomBytes(4).toString('hex')}`;
    provisioned.push(id);
    expectNoErrors(await stack.query(admin, 'mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { created } }', { input: { id, displayName: 'Coverage', region: 'us-east-1' } }));
    const tenantToken = await stack.issueToken({ tenant: id, roles: ['admin'] });
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { suspendTenant(id: $id) { status } }', { id }));
    expect(errorCodes(await stack.query(tenantToken, datasetsQuery))).toEqual(['FORBIDDEN']);
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { resumeTenant(id: $id) { status } }', { id }));

    const platform = (await securityEvents(stack)).filter((e) => e.tenant_id === id);
    expect(platform.map((e) => e.action)).toEqual(['tenant.provision', 'key.create', 'tenant.suspend', 'access.denied', 'tenant.resume']);
    const provisionedTenant: TestTenant = { id, schema: `tenant_${id}`, bucket: `tessera-${id}`, token: async () => tenantToken };
    expect((await chainOf(stack, provisionedTenant)).map((e) => e.action)).toEqual([
      'tenant.provision',
      'key.create',
      'tenant.suspend',
      'access.denied',
      'tenant.resume',
    ]);
  });

  it('key events: a data-key rotation is recorded in both logs', async () => {
    const version = await stack.platform.runtimes.tenants.keyring.rotate(tenant.id); // the keys' owner rotates
    const inTenant = (await chainOf(stack, tenant)).filter((e) => e.action === 'key.rotate');
    expect(inTenant.map((e) => e.target_id)).toEqual([`v${version}`]);
    const inPlatform = (await securityEvents(stack)).filter((e) => e.action === 'key.rotate' && e.tenant_id === tenant.id);
    expect(inPlatform).toHaveLength(1);
  });
});
