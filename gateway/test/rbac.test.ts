import { randomUUID } from 'node:crypto';
import { extendSchema, graphql, parse } from 'graphql';
import { allow, can, fieldsWithoutRules, withFederationRules, type Principal } from '@tessera/auth';
import { subgraphModule, subgraphNames, withAbsentPorts } from '@tessera/platform';
import { buildProtectedSchema } from '@tessera/service-kit';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { countDatasets, createDatasetMutation, expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

const provisionMutation = 'mutation P($input: ProvisionTenantInput!) { provisionTenant(input: $input) { created tenant { id } } }';
const suspendMutation = 'mutation S($id: ID!) { suspendTenant(id: $id) { id status } }';
const auditQuery = '{ auditEvents { edges { node { id action } } } }';

/** A refused GraphQL operation: exactly one FORBIDDEN error and no data. */
function expectForbidden(response: { data?: unknown; errors?: Parameters<typeof errorCodes>[0]['errors'] }): void {
  expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  expect(response.data ?? null).toBeNull();
}

describe('role-based access control', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('a viewer cannot createDataset (FORBIDDEN, nothing written); a data_scientist can', async () => {
    const before = await countDatasets(stack, acme);
    expectForbidden(await stack.query(await acme.token('viewer'), createDatasetMutation, { input: { name: 'viewer-attempt' } }));
    expect(await countDatasets(stack, acme)).toBe(before);

    const created = await stack.query<{ createDataset: { name: string } }>(await acme.token('data_scientist'), createDatasetMutation, { input: { name: 'ds-made' } });
    expect(expectNoErrors(created).createDataset.name).toBe('ds-made');
    expect(await countDatasets(stack, acme)).toBe(before + 1);
  });

  it.each(['viewer', 'data_scientist', 'admin', 'auditor'] as const)('a tenant %s cannot provisionTenant or suspendTenant (FORBIDDEN, control plane unchanged)', async (role) => {
    const token = await acme.token(role);
    const newId = `t${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    expectForbidden(await stack.query(token, provisionMutation, { input: { id: newId, displayName: 'Not allowed', region: 'us-east-1' } }));
    expect(await stack.platform.runtime.tenants.find(newId)).toBeUndefined();

    expectForbidden(await stack.query(token, suspendMutation, { id: acme.id }));
    expect((await stack.platform.runtime.tenants.find(acme.id))?.status).toBe('ACTIVE');
  });

  it.each(['viewer', 'data_scientist'] as const)('a %s cannot read auditEvents (FORBIDDEN)', async (role) => {
    expectForbidden(await stack.query(await acme.token(role), auditQuery));
  });

  it('an admin can read auditEvents', async () => {
    const admin = await acme.token('admin');
    expectNoErrors(await stack.query(admin, createDatasetMutation, { input: { name: 'audited-by-admin' } }));
    const res = await stack.query<{ auditEvents: { edges: Array<{ node: { id: string; action: string } }> } }>(admin, auditQuery);
    expect(expectNoErrors(res).auditEvents.edges.map((e) => e.node.action)).toContain('dataset.create');
  });

  it('a platform_admin with no tenant cannot read tenant data (FORBIDDEN), though they can list tenants', async () => {
    const operator = await stack.platformAdminToken();
    const tenants = await stack.query<{ tenants: Array<{ id: string }> }>(operator, '{ tenants { id } }');
    expect(expectNoErrors(tenants).tenants.map((t) => t.id)).toContain(acme.id);

    expectForbidden(await stack.query(operator, '{ datasets { edges { node { id name } } } }'));
    expectForbidden(await stack.query(operator, auditQuery));
    const before = await countDatasets(stack, acme);
    expectForbidden(await stack.query(operator, createDatasetMutation, { input: { name: 'operator-attempt' } }));
    expect(await countDatasets(stack, acme)).toBe(before);
  });

  describe('deny by default', () => {
    it.each(subgraphNames)('%s: every object field of the running schema has a rule', (name) => {
      const { schema } = stack.platform.subgraphs[name];
      const { rules } = subgraphModule(name).build(stack.platform.runtimes[name], { regions: stack.config.regions, ports: withAbsentPorts({}) });
      expect(fieldsWithoutRules(schema, withFederationRules(schema, rules))).toEqual([]);
    });

    it('the check reports a field, and a type, that have no rule', () => {
      const { schema } = stack.platform.subgraphs.datasets;
      const { rules } = subgraphModule('datasets').build(stack.platform.runtimes.datasets, { regions: stack.config.regions, ports: withAbsentPorts({}) });
      const extended = extendSchema(schema, parse('type Secret { value: String } extend type Query { leakedField: String secret: Secret }'), { assumeValidSDL: true });
      expect(fieldsWithoutRules(extended, withFederationRules(extended, rules)).sort()).toEqual(['Query.leakedField', 'Query.secret', 'Secret.value']);
      // Without the federation rules the plumbing fields are reported too: the helper really reads the tree.
      expect(fieldsWithoutRules(schema, rules)).toEqual(expect.arrayContaining(['Query._service', '_Service.sdl']));
    });

    it('a field without a rule is refused at run time (FORBIDDEN), its neighbour with a rule answers', async () => {
      const schema = buildProtectedSchema({
        typeDefs: parse('type Query { open: String  readable: String  unruled: String }'),
        resolvers: { Query: { open: () => 'open', readable: () => 'readable', unruled: () => 'must not leak' } },
        rules: { Query: { open: allow, readable: can.read } },
      });
      const viewer: Principal = { kind: 'user', subject: 's', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
      const result = await graphql({ schema, source: '{ open readable unruled }', contextValue: { caller: viewer } });
      expect(result.data).toEqual({ open: 'open', readable: 'readable', unruled: null });
      expect(result.errors?.map((e) => [e.path?.join('.'), e.extensions['code']])).toEqual([['unruled', 'FORBIDDEN']]);
    });
  });
});
