import { randomUUID } from 'node:crypto';
import { fetchClientCredentialsToken, registerClient } from '@tessera/dev-issuer/client';
import { startIssuerProcess, type RunningIssuerProcess } from '@tessera/local-infra';
import { errorCodes, expectNoErrors, postGraphQL, startTestStack, testAudience, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import {
  claimsOf,
  countDatasets,
  createDatasetMutation,
  expectRefused,
  flipSignatureByte,
  hmacCopy,
  resignWithForeignKey,
  sleep,
  unsignedCopy,
} from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

const currentTenantQuery = '{ currentTenant { id status } }';

describe('gateway authentication and tenant resolution', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  /** Every refused call below tries to write; none of them may create a row. */
  const attemptWrite = (token: string | undefined, headers: Record<string, string> = {}) =>
    postGraphQL(stack.graphqlUrl, token, createDatasetMutation, { input: { name: `refused-${Date.now()}` } }, headers);

  it('answers a tenant user with a valid token from the real issuer', async () => {
    const res = await stack.query<{ currentTenant: { id: string; status: string } }>(await acme.token('viewer'), currentTenantQuery);
    expect(expectNoErrors(res).currentTenant).toEqual({ id: acme.id, status: 'ACTIVE' });
  });

  describe('UNAUTHENTICATED (401)', () => {
    let datasetsBefore: number;
    beforeAll(async () => {
      datasetsBefore = await countDatasets(stack, acme);
    });
    afterAll(async () => {
      // Every refused write of this block left the tenant's data as it was.
      expect(await countDatasets(stack, acme)).toBe(datasetsBefore);
    });

    it('refuses a request without an Authorization header', async () => {
      expectRefused(await attemptWrite(undefined), 401, 'UNAUTHENTICATED');
    });

    it('refuses an upload through the gateway without a token', async () => {
      const response = await fetch(`${stack.gatewayUrl}/uploads/datasets/${randomUUID()}`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
      expect(response.status).toBe(401);
      expect(errorCodes((await response.json()) as Pick<GraphQLResponse, 'errors'>)).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses a malformed Authorization header', async () => {
      const valid = await acme.token('admin');
      for (const authorization of [`Basic ${Buffer.from('user:pass').toString('base64')}`, 'Bearer', `Token ${valid}`, `Bearer ${valid} extra`, `Bearer "${valid}"`]) {
        const res = await attemptWrite(undefined, { authorization });
        expectRefused(res, 401, 'UNAUTHENTICATED');
      }
    });

    it('refuses a garbage token', async () => {
      for (const garbage of ['not-a-jwt', 'aaaa.bbbb.cccc', `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.e30.`]) {
        expectRefused(await attemptWrite(garbage), 401, 'UNAUTHENTICATED');
      }
    });

    it('refuses an expired token', async () => {
      const token = await stack.issueToken({ tenant: acme.id, roles: ['admin'], tokenTtlSeconds: 1 });
      const { iat, exp } = claimsOf(token);
      expect(typeof exp === 'number' && typeof iat === 'number' ? exp - iat : undefined).toBe(1);
      await sleep(2_500);
      expect(Date.now() / 1000).toBeGreaterThan(exp!);
      const res = await attemptWrite(token);
      expectRefused(res, 401, 'UNAUTHENTICATED');
      // Refused for its expiry, not for anything else about it (issuer, audience, signature are all genuine).
      expect(res.errors?.[0]?.message).toBe('The access token has expired.');
    });

    it('refuses a forged token: valid claims and kid, signed by another key', async () => {
      const valid = await acme.token('admin');
      const forged = await resignWithForeignKey(valid);
      expect(claimsOf(forged)).toEqual(claimsOf(valid));
      expectRefused(await attemptWrite(forged), 401, 'UNAUTHENTICATED');
    });

    it('refuses a token whose signature bytes were altered', async () => {
      const valid = await acme.token('admin');
      expectRefused(await attemptWrite(flipSignatureByte(valid)), 401, 'UNAUTHENTICATED');
    });

    it('refuses a token issued for another audience', async () => {
      const token = await stack.issueToken({ tenant: acme.id, roles: ['admin'], resource: 'https://other.example' });
      expect(claimsOf(token).aud).toBe('https://other.example');
      const res = await attemptWrite(token);
      expectRefused(res, 401, 'UNAUTHENTICATED');
      expect(res.errors?.[0]?.message).toMatch(/audience/i);
    });

    it('refuses a token from another issuer, even with the right audience and tenant', async () => {
      let other: RunningIssuerProcess | undefined;
      try {
        other = await startIssuerProcess({ audience: testAudience, tls: stack.pki.files('oidc') });
        const client = await registerClient(other.issuerUrl, other.registrationToken, { tenant: acme.id, roles: ['admin'] });
        const token = await fetchClientCredentialsToken(other.issuerUrl, client.clientId, client.clientSecret);
        expect(claimsOf(token)).toMatchObject({ iss: other.issuerUrl, aud: testAudience, tenant: acme.id });
        expectRefused(await attemptWrite(token), 401, 'UNAUTHENTICATED');
      } finally {
        await other?.stop();
      }
    });

    it('refuses an unsigned (alg: none) token with the right claims', async () => {
      const valid = await acme.token('admin');
      expectRefused(await attemptWrite(unsignedCopy(valid)), 401, 'UNAUTHENTICATED');
    });

    it('refuses an HS256 token with the right claims, keyed with the issuer public key', async () => {
      const valid = await acme.token('admin');
      const discovery = (await (await fetch(`${stack.issuer.issuerUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
      const jwks = await (await fetch(discovery.jwks_uri)).text();
      for (const secret of [new TextEncoder().encode(jwks), new TextEncoder().encode('a-shared-secret-nobody-configured')]) {
        expectRefused(await attemptWrite(await hmacCopy(valid, secret)), 401, 'UNAUTHENTICATED');
      }
    });
  });

  describe('tenant resolution: FORBIDDEN (403)', () => {
    it('refuses a valid token naming a tenant that does not exist', async () => {
      const token = await stack.issueToken({ tenant: 'tnosuchtenant', roles: ['admin'] });
      expectRefused(await attemptWrite(token), 403, 'FORBIDDEN');
    });

    it('refuses a valid token with no tenant claim and no platform_admin role', async () => {
      const token = await stack.issueToken({ roles: ['admin'] });
      expect(claimsOf(token)).not.toHaveProperty('tenant');
      expectRefused(await stack.query(token, currentTenantQuery), 403, 'FORBIDDEN');
    });

    it('a token naming a tenant is never a platform operator, whatever roles it claims: it cannot change its own limits or see other tenants', async () => {
      const token = await stack.issueToken({ tenant: acme.id, roles: ['admin', 'platform_admin'] });
      const setLimits = 'mutation L($id: ID!) { setTenantLimits(id: $id, limits: { costPerMinute: 10000000 }) { id } }';
      expectRefused(await stack.query(token, setLimits, { id: acme.id }), 200, 'FORBIDDEN');
      expectRefused(await stack.query(token, '{ tenants { id } }'), 200, 'FORBIDDEN');
      expectRefused(await stack.query(token, 'mutation S($id: ID!) { suspendTenant(id: $id) { id } }', { id: acme.id }), 200, 'FORBIDDEN');
      // Still the tenant's admin in its own tenant.
      expect(expectNoErrors(await stack.query<{ currentTenant: { id: string } }>(token, '{ currentTenant { id } }')).currentTenant.id).toBe(acme.id);
      const overridden = expectNoErrors(await stack.query<{ currentTenant: { overriddenLimits: string[]; status: string } }>(await acme.token('viewer'), '{ currentTenant { status overriddenLimits } }'));
      expect(overridden.currentTenant).toEqual({ status: 'ACTIVE', overriddenLimits: [] });
    });

    it('refuses the users of a suspended tenant, and lets them back in on resume', async () => {
      const tenant = await stack.createTenant();
      const viewer = await tenant.token('viewer');
      const admin = await tenant.token('admin');
      const operator = await stack.platformAdminToken();
      expect(expectNoErrors(await stack.query(viewer, currentTenantQuery))).toEqual({ currentTenant: { id: tenant.id, status: 'ACTIVE' } });

      const suspended = await stack.query(operator, 'mutation S($id: ID!) { suspendTenant(id: $id) { id status } }', { id: tenant.id });
      expect(expectNoErrors(suspended)).toEqual({ suspendTenant: { id: tenant.id, status: 'SUSPENDED' } });

      expectRefused(await stack.query(viewer, currentTenantQuery), 403, 'FORBIDDEN');
      const datasetsBefore = await countDatasets(stack, tenant);
      expectRefused(await postGraphQL(stack.graphqlUrl, admin, createDatasetMutation, { input: { name: 'while-suspended' } }), 403, 'FORBIDDEN');
      expect(await countDatasets(stack, tenant)).toBe(datasetsBefore);

      const resumed = await stack.query(operator, 'mutation R($id: ID!) { resumeTenant(id: $id) { id status } }', { id: tenant.id });
      expect(expectNoErrors(resumed)).toEqual({ resumeTenant: { id: tenant.id, status: 'ACTIVE' } });
      expect(expectNoErrors(await stack.query(viewer, currentTenantQuery))).toEqual({ currentTenant: { id: tenant.id, status: 'ACTIVE' } });
    });
  });
});
