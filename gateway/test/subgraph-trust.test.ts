import { randomUUID } from 'node:crypto';
import { createInternalContextSigner, generateInternalKeyPair, internalContextHeader, type Principal } from '@tessera/auth';
import { subgraphNames, type SubgraphName } from '@tessera/platform';
import { errorCodes, expectNoErrors, postToSubgraph, requestSubgraph, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { countDatasets, createDatasetMutation, expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

/** One real read per subgraph, something a tenant admin may do through the gateway. */
const probes: Record<SubgraphName, { query: string; pick: (data: Record<string, unknown>) => unknown }> = {
  datasets: { query: '{ datasets { edges { node { id name } } } }', pick: (d) => d['datasets'] },
  models: { query: '{ models { edges { node { id } } } }', pick: (d) => d['models'] },
  jobs: { query: '{ jobs { edges { node { id } } } }', pick: (d) => d['jobs'] },
  audit: { query: '{ auditEvents { edges { node { id } } } }', pick: (d) => d['auditEvents'] },
  metrics: { query: '{ tenantUsage { datasets } }', pick: (d) => d['tenantUsage'] },
  tenants: { query: '{ currentTenant { id } }', pick: (d) => d['currentTenant'] },
};

describe('gateway → subgraph trust: subgraphs answer only gateway-signed contexts (even to a holder of the gateway\'s client certificate)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let userToken: string;
  let acmeAdmin: Principal;
  /** A fresh context the real gateway key signs for `name`, bound to the gateway's client certificate (each is single-use). */
  let realContext: (name: SubgraphName) => Promise<string>;
  /** The same claims and kid, signed by another key. */
  let forgedContext: (name: SubgraphName) => Promise<string>;

  const graphqlOf = (name: SubgraphName) => `${stack.platform.subgraphs[name].url}/graphql`;
  /** Straight to the subgraph, over the mutual TLS it requires, holding the gateway's client certificate: only the context is checked. */
  const postGraphQL = <T = Record<string, unknown>>(url: string, token: string | undefined, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const name = Object.values(stack.platform.subgraphs).find((s) => url.startsWith(s.url))!.name;
    return postToSubgraph<T>(url, { subgraph: name, ca: stack.pki.ca, client: stack.pki.identity('gateway'), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }, query, variables);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
    userToken = await acme.token('admin');
    // Something to find, so "no data" below is not just an empty tenant.
    expectNoErrors(await stack.query(userToken, createDatasetMutation, { input: { name: 'visible-only-through-the-gateway' } }));

    acmeAdmin = { kind: 'user', subject: 'direct-caller', tenantId: acme.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const clientCertificate = stack.pki.identity('gateway').cert;
    const sign = await createInternalContextSigner(stack.config.internalContextKeys.privateJwk, { clientCertificate });
    realContext = (name) => sign(acmeAdmin, name);
    // Same claims and even the same kid as the gateway's key; only the signing key differs.
    const attacker = await generateInternalKeyPair();
    const forge = await createInternalContextSigner({ ...attacker.privateJwk, kid: stack.config.internalContextKeys.privateJwk.kid }, { clientCertificate });
    forgedContext = (name) => forge(acmeAdmin, name);
  });
  afterAll(() => stack?.stop());

  it.each(subgraphNames)('%s: refuses a direct call without any headers', async (name) => {
    expectRefused(await postGraphQL(graphqlOf(name), undefined, probes[name].query), 401, 'UNAUTHENTICATED');
  });

  it.each(subgraphNames)('%s: refuses a direct call with a valid user access token as Bearer', async (name) => {
    expectRefused(await postGraphQL(graphqlOf(name), userToken, probes[name].query), 401, 'UNAUTHENTICATED');
  });

  it.each(subgraphNames)('%s: refuses a direct call with a forged x-tessera-context', async (name) => {
    const res = await postGraphQL(graphqlOf(name), undefined, probes[name].query, {}, { [internalContextHeader]: await forgedContext(name) });
    expectRefused(res, 401, 'UNAUTHENTICATED');
  });

  it.each(subgraphNames)('%s: refuses the federation SDL (_service) without a gateway-signed context', async (name) => {
    const res = await postGraphQL(graphqlOf(name), undefined, '{ _service { sdl } }', {}, { [internalContextHeader]: await forgedContext(name) });
    expectRefused(res, 401, 'UNAUTHENTICATED');
  });

  it.each(subgraphNames)('%s: answers the same call with a context signed by the real gateway key (the check is the signature)', async (name) => {
    const res = await postGraphQL<Record<string, unknown>>(graphqlOf(name), undefined, probes[name].query, {}, { [internalContextHeader]: await realContext(name) });
    expect(errorCodes(res)).toEqual([]);
    expect(probes[name].pick(expectNoErrors(res))).toBeTruthy();
  });

  it('the real context reads tenant A data straight from the subgraph', async () => {
    const real = await postGraphQL<{ datasets: { edges: Array<{ node: { name: string } }> } }>(graphqlOf('datasets'), undefined, probes.datasets.query, {}, {
      [internalContextHeader]: await realContext('datasets'),
    });
    expect(expectNoErrors(real).datasets.edges.map((e) => e.node.name)).toEqual(['visible-only-through-the-gateway']);
  });

  it('refuses a forged-context write and leaves the tenant data unchanged', async () => {
    const before = await countDatasets(stack, acme);
    const res = await postGraphQL(graphqlOf('datasets'), undefined, createDatasetMutation, { input: { name: 'forged-write' } }, { [internalContextHeader]: await forgedContext('datasets') });
    expectRefused(res, 401, 'UNAUTHENTICATED');
    expect(await countDatasets(stack, acme)).toBe(before);
  });

  describe('direct upload route PUT /internal/uploads/:id', () => {
    const put = (headers: Record<string, string>) =>
      requestSubgraph(`${stack.platform.subgraphs.datasets.url}/internal/uploads/${randomUUID()}`, {
        subgraph: 'datasets',
        ca: stack.pki.ca,
        client: stack.pki.identity('gateway'),
        method: 'PUT',
        headers: { 'content-type': 'text/csv', ...headers },
        body: 'a,b\n1,2\n',
      });

    it.each([
      ['no context', async () => ({})],
      ['a user access token as Bearer', async () => ({ authorization: `Bearer ${userToken}` })],
      ['a forged context', async (): Promise<Record<string, string>> => ({ [internalContextHeader]: await forgedContext('datasets') })],
    ])('refuses %s with 401 UNAUTHENTICATED', async (_label, headers) => {
      const response = await put(await headers());
      expect(response.status).toBe(401);
      const body = JSON.parse(response.text) as Pick<GraphQLResponse, 'errors'> & { data?: unknown };
      expect(errorCodes(body)).toEqual(['UNAUTHENTICATED']);
      expect(body.data).toBeUndefined();
    });
  });
});
