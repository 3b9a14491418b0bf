import { randomBytes } from 'node:crypto';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { accessRows, auditActions, createApiKey, createServiceAccount, deleteServiceAccount, inviteMember, removeMember, revokeApiKey, type ApiKeyView, type ServiceAccountView } from './access-support';

const revokeInvitation = 'mutation Revoke($id: ID!) { revokeInvitation(id: $id) { id } }';
const setTenantLimits = `mutation Set($id: ID!, $limits: TenantLimitsInput!) {
  setTenantLimits(id: $id, limits: $limits) { id limits { maxMembers maxServiceAccounts maxApiKeysPerServiceAccount } overriddenLimits }
}`;

type Limits = { maxMembers: number; maxServiceAccounts: number; maxApiKeysPerServiceAccount: number };
type KeyCreated = { createApiKey: { secret: string; apiKey: ApiKeyView } };

/** The one error of a refused create, with its extensions. */
function onlyError(response: GraphQLResponse<unknown>): { code?: string; [key: string]: unknown } {
  expect(errorCodes(response)).toHaveLength(1);
  expect(response.data ?? null).toBeNull();
  return response.errors![0]!.extensions!;
}

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Per-tenant caps on the access rows every tenant keeps in the shared control plane: members with
 * their invitations, service accounts, and unrevoked API keys per account. Real MariaDB through
 * the test stack; the operation slots are raised so that parallel creates really run at once.
 */
describe('caps on members, service accounts and API keys', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeAdmin: string;
  let globexAdmin: string;
  let platformAdmin: string;
  const control = () => stack.config.database.controlSchema;

  const caps = { maxMembers: 3, maxServiceAccounts: 2, maxApiKeysPerServiceAccount: 2, maxConcurrentOperations: 16 };

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant({ limits: caps });
    globex = await stack.createTenant({ limits: caps });
    acmeAdmin = await acme.token('admin');
    globexAdmin = await globex.token('admin');
    platformAdmin = await stack.platformAdminToken();
  }, 120_000);
  afterAll(() => stack?.stop());

  async function countRows(table: 'tenant_members' | 'service_accounts', tenantId: string): Promise<number> {
    const [row] = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${control()}\`.${table} WHERE tenant_id = ?`, [tenantId])) as Array<{ n: number | string }>;
    return Number(row!.n);
  }

  async function unrevokedKeys(accountId: string): Promise<number> {
    const [row] = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${control()}\`.api_keys WHERE service_account_id = ? AND revoked_at IS NULL`, [accountId])) as Array<{ n: number | string }>;
    return Number(row!.n);
  }

  const invite = (token: string, email = `${uniqueName('person')}@example.com`) => stack.query<{ inviteMember: { id: string } }>(token, inviteMember, { input: { email, role: 'VIEWER' } });
  const newAccount = (token: string, name = uniqueName('bot')) => stack.query<{ createServiceAccount: ServiceAccountView }>(token, createServiceAccount, { input: { name, role: 'VIEWER' } });
  const newKey = (token: string, serviceAccountId: string) => stack.query<KeyCreated>(token, createApiKey, { input: { serviceAccountId } });

  async function createdActions(tenant: TestTenant, action: string): Promise<number> {
    return (await auditActions(stack, tenant.schema, tenant.id)).filter((event) => event.action === action).length;
  }

  it('invitations over maxMembers are QUOTA_EXCEEDED with the numbers, write no row and no audit event; removing frees room', async () => {
    const invited: string[] = [];
    for (let i = 0; i < 3; i += 1) invited.push(expectNoErrors(await invite(acmeAdmin)).inviteMember.id);
    const before = await accessRows(stack, acme.id);
    const auditedBefore = await createdActions(acme, 'member.invite');

    const refused = onlyError(await invite(acmeAdmin));
    expect(refused).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'members', limit: 3, used: 3 });
    // A member by subject counts the same as an invitation by e-mail.
    expect(onlyError(await stack.query(acmeAdmin, inviteMember, { input: { subject: uniqueName('subject'), role: 'VIEWER' } }))).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'members' });
    expect(await accessRows(stack, acme.id)).toEqual(before);
    expect(await createdActions(acme, 'member.invite')).toBe(auditedBefore);

    // Withdrawing an invitation frees room, and so does removing a member.
    expectNoErrors(await stack.query(acmeAdmin, revokeInvitation, { id: invited[0] }));
    invited[0] = expectNoErrors(await invite(acmeAdmin)).inviteMember.id;
    expect(errorCodes(await invite(acmeAdmin))).toEqual(['QUOTA_EXCEEDED']);
    expectNoErrors(await stack.query(acmeAdmin, removeMember, { id: invited[1] }));
    expectNoErrors(await invite(acmeAdmin));
    expect(await countRows('tenant_members', acme.id)).toBe(3);
  });

  it('service accounts over maxServiceAccounts and keys over maxApiKeysPerServiceAccount are refused the same way; revoking and deleting free room', async () => {
    const first = expectNoErrors(await newAccount(acmeAdmin)).createServiceAccount;
    const second = expectNoErrors(await newAccount(acmeAdmin)).createServiceAccount;
    let before = await accessRows(stack, acme.id);
    const accountsAudited = await createdActions(acme, 'service_account.create');
    expect(onlyError(await newAccount(acmeAdmin))).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'serviceAccounts', limit: 2, used: 2 });
    expect(await accessRows(stack, acme.id)).toEqual(before);
    expect(await createdActions(acme, 'service_account.create')).toBe(accountsAudited);

    const keys = [expectNoErrors(await newKey(acmeAdmin, first.id)).createApiKey.apiKey, expectNoErrors(await newKey(acmeAdmin, first.id)).createApiKey.apiKey];
    before = await accessRows(stack, acme.id);
    const keysAudited = await createdActions(acme, 'api_key.create');
    expect(onlyError(await newKey(acmeAdmin, first.id))).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'apiKeys', limit: 2, used: 2 });
    expect(await accessRows(stack, acme.id)).toEqual(before);
    expect(await createdActions(acme, 'api_key.create')).toBe(keysAudited);

    // The cap is per account: the other account still has room.
    expectNoErrors(await newKey(acmeAdmin, second.id));
    // A revoked key no longer counts.
    expectNoErrors(await stack.query(acmeAdmin, revokeApiKey, { id: keys[0]!.id }));
    expectNoErrors(await newKey(acmeAdmin, first.id));
    expect(await unrevokedKeys(first.id)).toBe(2);

    // Deleting an account frees its room (and its keys go with it).
    expectNoErrors(await stack.query(acmeAdmin, deleteServiceAccount, { id: second.id }));
    expectNoErrors(await newAccount(acmeAdmin));
    expect(await countRows('service_accounts', acme.id)).toBe(2);
  });

  it('parallel creates at limit − 1 leave exactly one success of each kind', async () => {
    const tenant = await stack.createTenant({ limits: caps });
    const admin = await tenant.token('admin');
    const parallel = 6;
    const succeeded = (responses: Array<GraphQLResponse<unknown>>) => {
      const codes = responses.map((response) => errorCodes(response).join(','));
      expect(codes.filter((code) => code !== '' && code !== 'QUOTA_EXCEEDED')).toEqual([]);
      return codes.filter((code) => code === '').length;
    };

    for (let i = 0; i < 2; i += 1) expectNoErrors(await invite(admin));
    expect(succeeded(await Promise.all(Array.from({ length: parallel }, () => invite(admin))))).toBe(1);
    expect(await countRows('tenant_members', tenant.id)).toBe(3);

    const account = expectNoErrors(await newAccount(admin)).createServiceAccount;
    expect(succeeded(await Promise.all(Array.from({ length: parallel }, () => newAccount(admin))))).toBe(1);
    expect(await countRows('service_accounts', tenant.id)).toBe(2);

    expectNoErrors(await newKey(admin, account.id));
    expect(succeeded(await Promise.all(Array.from({ length: parallel }, () => newKey(admin, account.id))))).toBe(1);
    expect(await unrevokedKeys(account.id)).toBe(2);

    // Every row that exists was audited once; no refused create left an event.
    expect(await createdActions(tenant, 'member.invite')).toBe(3);
    expect(await createdActions(tenant, 'service_account.create')).toBe(2);
    expect(await createdActions(tenant, 'api_key.create')).toBe(2);
  });

  it("a tenant at its caps neither affects another tenant nor counts or sees the other's rows", async () => {
    // Globex fills its caps; acme holds more rows of its own than globex's limits (set high for acme below).
    expectNoErrors(await stack.query(platformAdmin, setTenantLimits, { id: acme.id, limits: { maxMembers: 10, maxServiceAccounts: 10, maxApiKeysPerServiceAccount: 10 } }));
    const acmeAccount = expectNoErrors(await newAccount(acmeAdmin)).createServiceAccount;
    for (let i = 0; i < 4; i += 1) expectNoErrors(await newKey(acmeAdmin, acmeAccount.id));
    for (let i = 0; i < 3; i += 1) expectNoErrors(await invite(acmeAdmin));
    expect(await countRows('tenant_members', acme.id)).toBeGreaterThan(3);

    const globexAccount = expectNoErrors(await newAccount(globexAdmin)).createServiceAccount;
    expectNoErrors(await newAccount(globexAdmin));
    expectNoErrors(await newKey(globexAdmin, globexAccount.id));
    expectNoErrors(await newKey(globexAdmin, globexAccount.id));
    for (let i = 0; i < 3; i += 1) expectNoErrors(await invite(globexAdmin));

    // Globex's refusals count globex's rows only.
    expect(onlyError(await invite(globexAdmin))).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 3, used: 3 });
    expect(onlyError(await newAccount(globexAdmin))).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 2, used: 2 });
    expect(onlyError(await newKey(globexAdmin, globexAccount.id))).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 2, used: 2 });

    // Globex naming acme's account (4 keys, over globex's limit of 2) gets the NOT_FOUND of an id that never existed: not acme's count.
    const acmeBefore = await accessRows(stack, acme.id);
    const crossTenant = await newKey(globexAdmin, acmeAccount.id);
    expect(onlyError(crossTenant)).not.toHaveProperty('used');
    expect(errorCodes(crossTenant)).toEqual(['NOT_FOUND']);
    expect(await accessRows(stack, acme.id)).toEqual(acmeBefore);

    // Acme, with globex full, still creates.
    expectNoErrors(await invite(acmeAdmin));
    expectNoErrors(await newAccount(acmeAdmin));
    expectNoErrors(await newKey(acmeAdmin, acmeAccount.id));
  });

  it('setTenantLimits validates the caps (BAD_USER_INPUT, nothing changed); a change applies to the next create; null goes back to the default', async () => {
    const tenant = await stack.createTenant({ limits: { maxServiceAccounts: 1 } });
    const admin = await tenant.token('admin');
    const overrides = async () => JSON.stringify(await stack.adminQuery(`SELECT limit_overrides FROM \`${control()}\`.tenants WHERE id = ?`, [tenant.id]));
    const before = await overrides();
    for (const [name, value] of [
      ['maxMembers', 0],
      ['maxServiceAccounts', -1],
    ] as const) {
      const refused = onlyError(await stack.query(platformAdmin, setTenantLimits, { id: tenant.id, limits: { maxMembers: 5, [name]: value } }));
      expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', field: `limits.${name}` });
      expect(await overrides()).toBe(before);
    }
    // Not an integer: refused by the schema's Int before the service sees it, the same code.
    for (const value of [1.5, '5']) {
      expect(onlyError(await stack.query(platformAdmin, setTenantLimits, { id: tenant.id, limits: { maxMembers: 5, maxApiKeysPerServiceAccount: value } }))).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(await overrides()).toBe(before);
    }

    expectNoErrors(await newAccount(admin));
    expect(errorCodes(await newAccount(admin))).toEqual(['QUOTA_EXCEEDED']);
    const raised = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Limits; overriddenLimits: string[] } }>(platformAdmin, setTenantLimits, { id: tenant.id, limits: { maxServiceAccounts: 2 } }));
    expect(raised.setTenantLimits.limits.maxServiceAccounts).toBe(2);
    expectNoErrors(await newAccount(admin));
    expect(errorCodes(await newAccount(admin))).toEqual(['QUOTA_EXCEEDED']);

    const reset = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Limits; overriddenLimits: string[] } }>(platformAdmin, setTenantLimits, { id: tenant.id, limits: { maxServiceAccounts: null } }));
    expect(reset.setTenantLimits.limits).toEqual({ maxMembers: 1_000, maxServiceAccounts: 100, maxApiKeysPerServiceAccount: 10 });
    expect(reset.setTenantLimits.overriddenLimits).not.toContain('maxServiceAccounts');
    expectNoErrors(await newAccount(admin));

    // A limit lowered below what exists deletes nothing and refuses the next create.
    expectNoErrors(await stack.query(platformAdmin, setTenantLimits, { id: tenant.id, limits: { maxServiceAccounts: 1 } }));
    expect(onlyError(await newAccount(admin))).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 1, used: 3 });
    expect(await countRows('service_accounts', tenant.id)).toBe(3);
  });
});
