import { decodeProtectedHeader } from 'jose';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

const currentTenantQuery = '{ currentTenant { id } }';

describe('issuer signing-key rotation', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    // No JWKS refetch cooldown, so the gateway may look up a new kid at once.
    stack = await startTestStack({ jwksCooldownMs: 0 });
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('accepts a token signed with the new key (JWKS refetched by kid) and still accepts tokens signed with the old one', async () => {
    const tokenA = await stack.issueToken({ tenant: acme.id, roles: ['viewer'] });
    // The gateway verifies A, which makes it fetch and cache the JWKS holding only the old key.
    expect(expectNoErrors(await stack.query(tokenA, currentTenantQuery))).toEqual({ currentTenant: { id: acme.id } });

    const newKid = await stack.issuer.rotateSigningKey();
    const tokenB = await stack.issueToken({ tenant: acme.id, roles: ['viewer'] });
    const kidA = decodeProtectedHeader(tokenA).kid;
    expect(decodeProtectedHeader(tokenB).kid).toBe(newKid);
    expect(newKid).not.toBe(kidA);

    expect(expectNoErrors(await stack.query(tokenB, currentTenantQuery))).toEqual({ currentTenant: { id: acme.id } });
    expect(expectNoErrors(await stack.query(tokenA, currentTenantQuery))).toEqual({ currentTenant: { id: acme.id } });
  });
});
