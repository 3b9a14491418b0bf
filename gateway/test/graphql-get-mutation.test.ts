import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * GET /graphql runs queries only. A mutation sent that way is refused with the registry's code for
 * the status it gets: 405 `METHOD_NOT_ALLOWED` with `allow: POST` (README, Errors: each code has one
 * HTTP status). Before, Apollo answered 405 with `BAD_REQUEST`, the code of a 400. Nothing runs.
 */
describe('a mutation over GET /graphql', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    token = await tenant.token('admin');
  });
  afterAll(() => stack?.stop());

  const get = (query: string) =>
    fetch(`${stack.graphqlUrl}?${new URLSearchParams({ query }).toString()}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': '1' } });

  it('is 405 METHOD_NOT_ALLOWED with allow: POST, and creates nothing', async () => {
    const response = await get('mutation { createDataset(input: { name: "over-get" }) { id } }');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const answer = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(answer.errors.map((error) => error.extensions.code)).toEqual(['METHOD_NOT_ALLOWED']);
    expect(answer.data).toBeUndefined();
    const listed = (await (await get('{ datasets { edges { node { name } } } }')).json()) as { data: { datasets: { edges: Array<{ node: { name: string } }> } } };
    expect(listed.data.datasets.edges.map((edge) => edge.node.name)).not.toContain('over-get');
  });

  it('a query over GET still runs', async () => {
    const response = await get('{ currentTenant { id } }');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { currentTenant: { id: tenant.id } } });
  });
});
