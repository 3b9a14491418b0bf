import { errorCodes, expectNoErrors, postGraphQL, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

describe('gateway authentication and tenant resolution', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('answers a tenant user with a valid token from the real issuer', async () => {
    const res = await stack.query<{ currentTenant: { id: string; status: string } }>(await acme.token('viewer'), '{ currentTenant { id status } }');
    expect(expectNoErrors(res).currentTenant).toEqual({ id: acme.id, status: 'ACTIVE' });
  });
});
