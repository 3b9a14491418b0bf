import { createConnection } from 'mysql2/promise';
import { drainSecurityOutbox, settleDeferredRecords } from '@tessera/audit-client';
import { databaseTlsOptions } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { expectOnlyError } from './support';
import { accessRows, auditActions, openSubscription, createApiKey, createServiceAccount, deleteServiceAccount, listServiceAccounts, revokeApiKey, type ApiKeyView, type ServiceAccountView } from './access-support';

const createDataset = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }';
const datasets = '{ datasets { edges { node { id name } } } }';
const oneDataset = 'query One($id: ID!) { dataset(id: $id) { id name } }';

type Created = { createApiKey: { secret: string; apiKey: ApiKeyView } };

/**
 * Service accounts and API keys, in the default ROLE_SOURCE (claims: keys do not depend on it).
 * The gateway caches keys for a minute here: a revocation that holds on the next request proves
 * the announcement over Redis, not an expiry.
 */
describe('service accounts and API keys', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeAdmin: string;
  let globexAdmin: string;
  let bot: ServiceAccountView;

  beforeAll(async () => {
    stack = await startTestStack({ access: { cacheTtlMs: 60_000, usageFlushIntervalMs: 60_000 } });
    acme = await stack.createTenant();
    globex = await stack.createTenant();
    acmeAdmin = await acme.token('admin');
    globexAdmin = await globex.token('admin');
    bot = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(acmeAdmin, createServiceAccount, { input: { name: 'ci-bot', role: 'DATA_SCIENTIST' } })).createServiceAccount;
  }, 120_000);
  afterAll(() => stack?.stop());

  async function newKey(input: Record<string, unknown>, token = acmeAdmin): Promise<Created['createApiKey']> {
    return expectNoErrors(await stack.query<Created>(token, createApiKey, { input: { serviceAccountId: bot.id, ...input } })).createApiKey;
  }

  it('a key is shown once, stored only as a hash, and acts as its service account (audited as such)', async () => {
    expect(bot).toMatchObject({ name: 'ci-bot', role: 'DATA_SCIENTIST', subject: `service-account:${bot.id}`, apiKeys: [] });
    const { secret, apiKey } = await newKey({});
    expect(secret).toMatch(new RegExp(`^tsk_${apiKey.id}_[A-Za-z0-9_-]{43}$`));
    expect(apiKey).toMatchObject({ serviceAccountId: bot.id, role: 'DATA_SCIENTIST', operations: null, status: 'ACTIVE', revokedAt: null, lastUsedAt: null });
    // ~90 days by default.
    expect(Math.round((Date.parse(apiKey.expiresAt) - Date.now()) / 86_400_000)).toBe(90);

    // The database row holds no part of the secret.
    const [row] = (await stack.adminQuery(`SELECT * FROM \`${stack.config.database.controlSchema}\`.api_keys WHERE id = ?`, [apiKey.id])) as Array<Record<string, unknown>>;
    const secretPart = secret.slice(`tsk_${apiKey.id}_`.length);
    expect(JSON.stringify(row)).not.toContain(secretPart);
    expect(JSON.stringify(row)).not.toContain(secretPart.slice(0, 16));
    expect(row!['secret_sha256']).toMatch(/^[0-9a-f]{64}$/);
    // Never shown again: the listing has no secret field at all.
    expect(errorCodes(await stack.query(acmeAdmin, '{ serviceAccounts { apiKeys { id secret } } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const created = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(secret, createDataset, { input: { name: 'made-by-key' } })).createDataset;
    const events = (await auditActions(stack, acme.schema, acme.id)).filter((e) => e.target_id === created.id);
    expect(events.map((e) => [e.action, e.actor_subject, e.actor_client])).toEqual([['dataset.create', `service-account:${bot.id}`, `api-key:${apiKey.id}`]]);

    // Last use is written in batches (here when the gateway flushes), not on the request.
    let listed = expectNoErrors(await stack.query<{ serviceAccounts: ServiceAccountView[] }>(acmeAdmin, listServiceAccounts)).serviceAccounts;
    expect(listed[0]!.apiKeys.find((k) => k.id === apiKey.id)!.lastUsedAt).toBeNull();
    await stack.platform.gateway.flushApiKeyUsage();
    listed = expectNoErrors(await stack.query<{ serviceAccounts: ServiceAccountView[] }>(acmeAdmin, listServiceAccounts)).serviceAccounts;
    expect(Date.now() - Date.parse(listed[0]!.apiKeys.find((k) => k.id === apiKey.id)!.lastUsedAt!)).toBeLessThan(60_000);
  });

  it('a key scoped to viewer reads and cannot mutate; a key cannot hold more than its account', async () => {
    const { secret } = await newKey({ role: 'VIEWER' });
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    expectOnlyError(await stack.query(secret, createDataset, { input: { name: 'by-viewer-key' } }), 'FORBIDDEN');
    const before = await accessRows(stack, acme.id);
    expectOnlyError(await stack.query(acmeAdmin, createApiKey, { input: { serviceAccountId: bot.id, role: 'ADMIN' } }), 'BAD_USER_INPUT');
    expect(await accessRows(stack, acme.id)).toEqual(before);
  });

  it('a key limited to some operations runs those root fields only, however the document is written', async () => {
    const { secret, apiKey } = await newKey({ operations: ['datasets', 'dataset'] });
    expect(apiKey.operations).toEqual(['dataset', 'datasets']);
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    expect(errorCodes(await stack.query(secret, 'query models { datasets { edges { node { id } } } __typename }'))).toEqual([]);
    for (const query of [
      '{ models { edges { node { id } } } }',
      '{ datasets { edges { node { id } } } models { edges { node { id } } } }',
      'query datasets { models { edges { node { id } } } }',
      '{ ...F } fragment F on Query { models { edges { node { id } } } }',
      '{ ... on Query { currentTenant { id } } }',
      '{ __schema { types { name } } }',
    ]) {
      expect({ query, codes: errorCodes(await stack.query(secret, query)) }).toEqual({ query, codes: ['FORBIDDEN'] });
    }
    expectOnlyError(await stack.query(secret, createDataset, { input: { name: 'not-on-the-list' } }), 'FORBIDDEN');
  });

  it("a scoped key's refusals at the gateway are in its tenant's trail as access.denied, by the key (a leaked key probing beyond its list leaves a trace)", async () => {
    const { secret, apiKey } = await newKey({ operations: ['datasets'] });
    const before = (await auditActions(stack, acme.schema, acme.id)).length;
    const globexBefore = (await auditActions(stack, globex.schema, globex.id)).length;
    expectOnlyError(await stack.query(secret, '{ members { id } }'), 'FORBIDDEN');
    expectOnlyError(await stack.query(secret, 'query Probe { ...F } fragment F on Query { auditEvents(first: 1) { edges { node { id } } } }'), 'FORBIDDEN');
    expectOnlyError(await stack.query(secret, createDataset, { input: { name: 'not-on-the-list' } }), 'FORBIDDEN');
    const predict = await fetch(`${stack.gatewayUrl}/v1/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ modelName: 'none', alias: 'production', inputs: [{ name: 'x', shape: [1], data: [1] }] }),
    });
    expect(predict.status).toBe(403);
    await settleDeferredRecords();
    const events = (await auditActions(stack, acme.schema, acme.id)).slice(before).filter((e) => e.action === 'access.denied');
    expect(events.map((e) => [e.actor_subject, e.actor_client, e.target_id, e.outcome])).toEqual([
      [`service-account:${bot.id}`, `api-key:${apiKey.id}`, 'members', 'DENIED'],
      [`service-account:${bot.id}`, `api-key:${apiKey.id}`, 'auditEvents', 'DENIED'],
      [`service-account:${bot.id}`, `api-key:${apiKey.id}`, 'createDataset', 'DENIED'],
      [`service-account:${bot.id}`, `api-key:${apiKey.id}`, 'predict', 'DENIED'],
    ]);
    // Nothing of it in another tenant's trail.
    expect((await auditActions(stack, globex.schema, globex.id)).length).toBe(globexBefore);
  });

  it('API keys cannot manage service accounts, keys or members, whatever their role', async () => {
    const admins = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(acmeAdmin, createServiceAccount, { input: { name: 'admin-bot', role: 'ADMIN' } })).createServiceAccount;
    const { secret } = expectNoErrors(await stack.query<Created>(acmeAdmin, createApiKey, { input: { serviceAccountId: admins.id } })).createApiKey;
    const before = await accessRows(stack, acme.id);
    expectOnlyError(await stack.query(secret, createApiKey, { input: { serviceAccountId: admins.id } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(secret, listServiceAccounts), 'FORBIDDEN');
    expectOnlyError(await stack.query(secret, '{ members { id } }'), 'FORBIDDEN');
    expect(await accessRows(stack, acme.id)).toEqual(before);
    expect(errorCodes(await stack.query(secret, '{ auditEvents(first: 1) { edges { node { id } } } }'))).toEqual([]);
  });

  it('a platform admin can neither create a service account nor mint an API key in a tenant (it sees no tenant data), but can list, revoke and delete them', async () => {
    const platformAdmin = await stack.platformAdminToken();
    const before = await accessRows(stack, acme.id);
    expectOnlyError(await stack.query(platformAdmin, createServiceAccount, { input: { name: 'pa-bot', role: 'ADMIN', tenantId: acme.id } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(platformAdmin, createApiKey, { input: { serviceAccountId: bot.id, tenantId: acme.id } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(platformAdmin, createApiKey, { input: { serviceAccountId: bot.id, role: 'VIEWER', tenantId: acme.id } }), 'FORBIDDEN');
    expect(await accessRows(stack, acme.id)).toEqual(before);
    // The emergency stop stays: a key the tenant made is listed (no secret) and revoked by the platform admin.
    const { apiKey } = await newKey({ role: 'VIEWER' });
    const listed = expectNoErrors(await stack.query<{ serviceAccounts: ServiceAccountView[] }>(platformAdmin, listServiceAccounts, { tenantId: acme.id })).serviceAccounts;
    expect(listed.flatMap((account) => account.apiKeys.map((key) => key.id))).toContain(apiKey.id);
    expect(expectNoErrors(await stack.query<{ revokeApiKey: ApiKeyView }>(platformAdmin, revokeApiKey, { id: apiKey.id, tenantId: acme.id })).revokeApiKey).toMatchObject({ id: apiKey.id, status: 'REVOKED' });
  });

  it('an ADMIN API key cannot change what watches over the tenant: alert rules, the webhook, the review schedule, usage budgets (a signed-in admin can)', async () => {
    const admins = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(acmeAdmin, createServiceAccount, { input: { name: 'watch-bot', role: 'ADMIN' } })).createServiceAccount;
    const { secret } = expectNoErrors(await stack.query<Created>(acmeAdmin, createApiKey, { input: { serviceAccountId: admins.id } })).createApiKey;
    const changes: Array<[string, Record<string, unknown>]> = [
      ['mutation($input: AlertRuleInput!) { setAlertRule(input: $input) { kind enabled } }', { input: { kind: 'CROSS_TENANT_ATTEMPT', threshold: 1, enabled: false } }],
      ['mutation($url: String!) { setAlertWebhook(url: $url) { secret } }', { url: 'https://hooks.example.com/tessera' }],
      ['mutation { removeAlertWebhook }', {}],
      ['mutation($days: Int) { setAccessReviewSchedule(intervalDays: $days) { intervalDays } }', { days: 7 }],
      ['mutation($input: UsageBudgetInput!) { setUsageBudget(input: $input) { meter } }', { input: { meter: 'COST_UNITS', monthlyLimit: 1 } }],
      ['mutation { removeUsageBudget(meter: COST_UNITS) }', {}],
    ];
    for (const [mutation, variables] of changes) {
      const refused = await stack.query(secret, mutation, variables);
      expect({ mutation, codes: errorCodes(refused) }).toEqual({ mutation, codes: ['FORBIDDEN'] });
    }
    const rules = expectNoErrors(await stack.query<{ alertRules: Array<{ kind: string; enabled: boolean }> }>(acmeAdmin, '{ alertRules { kind enabled } }')).alertRules;
    expect(rules.find((rule) => rule.kind === 'CROSS_TENANT_ATTEMPT')?.enabled).toBe(true);
    // The key still reads the trail, and a signed-in admin changes the rule.
    expect(errorCodes(await stack.query(secret, '{ alertRules { kind } }'))).toEqual([]);
    expect(errorCodes(await stack.query(acmeAdmin, changes[0]![0], { input: { kind: 'CROSS_TENANT_ATTEMPT', threshold: 1, enabled: true } }))).toEqual([]);
  });

  it('a revoked key is refused on the next request; revoking again changes nothing', async () => {
    const { secret, apiKey } = await newKey({});
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    const revoked = expectNoErrors(await stack.query<{ revokeApiKey: ApiKeyView }>(acmeAdmin, revokeApiKey, { id: apiKey.id })).revokeApiKey;
    expect(revoked).toMatchObject({ status: 'REVOKED' });
    expectOnlyError(await stack.query(secret, datasets), 'UNAUTHENTICATED');
    const again = expectNoErrors(await stack.query<{ revokeApiKey: ApiKeyView }>(acmeAdmin, revokeApiKey, { id: apiKey.id })).revokeApiKey;
    expect(again.revokedAt).toBe(revoked.revokedAt);
    const actions = (await auditActions(stack, acme.schema, acme.id)).filter((e) => e.target_id === apiKey.id).map((e) => e.action);
    expect(actions).toEqual(['api_key.create', 'api_key.revoke']);
  });

  it('an expired key is refused, even while the gateway still caches it', async () => {
    const { secret, apiKey } = await newKey({ expiresAt: new Date(Date.now() + 2_000).toISOString() });
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(apiKey.expiresAt) - Date.now() + 100));
    expectOnlyError(await stack.query(secret, datasets), 'UNAUTHENTICATED');
    const listed = expectNoErrors(await stack.query<{ serviceAccounts: ServiceAccountView[] }>(acmeAdmin, listServiceAccounts)).serviceAccounts;
    expect(listed.flatMap((s) => s.apiKeys).find((k) => k.id === apiKey.id)!.status).toBe('EXPIRED');
  });

  it('a wrong secret, a forged id or a malformed key is UNAUTHENTICATED', async () => {
    const { secret, apiKey } = await newKey({});
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    for (const credential of [flipped, `tsk_0123456789abcdef_${secret.slice(-43)}`, 'tsk_short', `tsk_${apiKey.id}_`]) {
      expect({ credential, codes: errorCodes(await stack.query(credential, datasets)) }).toEqual({ credential, codes: ['UNAUTHENTICATED'] });
    }
  });

  it('deleting a service account refuses its keys on the next request', async () => {
    const temp = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(acmeAdmin, createServiceAccount, { input: { name: 'temp-bot', role: 'VIEWER' } })).createServiceAccount;
    const { secret } = expectNoErrors(await stack.query<Created>(acmeAdmin, createApiKey, { input: { serviceAccountId: temp.id } })).createApiKey;
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    expectNoErrors(await stack.query(acmeAdmin, deleteServiceAccount, { id: temp.id }));
    expectOnlyError(await stack.query(secret, datasets), 'UNAUTHENTICATED');
    expectOnlyError(await stack.query(acmeAdmin, deleteServiceAccount, { id: temp.id }), 'NOT_FOUND');
  });

  it('bad input is a typed error and changes nothing', async () => {
    const before = await accessRows(stack, acme.id);
    const cases: Array<[string, Record<string, unknown>]> = [
      [createServiceAccount, { input: { name: 'Bad Name!', role: 'VIEWER' } }],
      [createServiceAccount, { input: { name: '', role: 'VIEWER' } }],
      [createApiKey, { input: { serviceAccountId: 'not-a-uuid' } }],
      [createApiKey, { input: { serviceAccountId: bot.id, expiresAt: new Date(Date.now() - 1000).toISOString() } }],
      [createApiKey, { input: { serviceAccountId: bot.id, expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() } }],
      [createApiKey, { input: { serviceAccountId: bot.id, expiresAt: 'tomorrow' } }],
      [createApiKey, { input: { serviceAccountId: bot.id, operations: [] } }],
      [createApiKey, { input: { serviceAccountId: bot.id, operations: ['datasets; DROP'] } }],
      [createApiKey, { input: { serviceAccountId: bot.id, operations: ['__schema'] } }],
      [createApiKey, { input: { serviceAccountId: bot.id, operations: ['datasets', 'predcit'] } }],
      [createApiKey, { input: { serviceAccountId: bot.id, operations: ['_entities'] } }],
      [revokeApiKey, { id: 'zzz' }],
      [deleteServiceAccount, { id: "1' OR '1'='1" }],
    ];
    for (const [query, variables] of cases) expect({ variables, codes: errorCodes(await stack.query(acmeAdmin, query, variables)) }).toEqual({ variables, codes: ['BAD_USER_INPUT'] });
    expectOnlyError(await stack.query(acmeAdmin, createServiceAccount, { input: { name: 'ci-bot', role: 'VIEWER' } }), 'CONFLICT');
    // A misspelt operation is named back, so the admin can fix it.
    const misspelt = await stack.query(acmeAdmin, createApiKey, { input: { serviceAccountId: bot.id, operations: ['predcit', 'datasets', 'jbos'] } });
    expect(misspelt.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'operations', unknown: ['jbos', 'predcit'] });
    expect(await accessRows(stack, acme.id)).toEqual(before);
  });

  it("tenant B's admin can neither list, create, revoke nor delete tenant A's accounts and keys, by any id it could guess", async () => {
    const { secret, apiKey } = await newKey({});
    const before = await accessRows(stack, acme.id);
    expect(expectNoErrors(await stack.query<{ serviceAccounts: ServiceAccountView[] }>(globexAdmin, listServiceAccounts)).serviceAccounts).toEqual([]);
    expectOnlyError(await stack.query(globexAdmin, listServiceAccounts, { tenantId: acme.id }), 'NOT_FOUND');
    expectOnlyError(await stack.query(globexAdmin, createServiceAccount, { input: { name: 'intruder', role: 'ADMIN', tenantId: acme.id } }), 'NOT_FOUND');
    for (const tenantId of [undefined, acme.id]) {
      const scope = tenantId ? { tenantId } : {};
      expectOnlyError(await stack.query(globexAdmin, createApiKey, { input: { serviceAccountId: bot.id, ...scope } }), 'NOT_FOUND');
      expectOnlyError(await stack.query(globexAdmin, revokeApiKey, { id: apiKey.id, ...scope }), 'NOT_FOUND');
      expectOnlyError(await stack.query(globexAdmin, deleteServiceAccount, { id: bot.id, ...scope }), 'NOT_FOUND');
    }
    expect(await accessRows(stack, acme.id)).toEqual(before);
    // The key still works for acme: nothing B did touched it.
    expect(errorCodes(await stack.query(secret, datasets))).toEqual([]);
    const attempts = (await auditActions(stack, globex.schema, globex.id)).filter((e) => e.action === 'cross_tenant_attempt').map((e) => e.target_id);
    expect(attempts).toEqual(expect.arrayContaining([bot.id, apiKey.id]));
  });

  it("tenant B's admin naming tenant A in tenantId gets the NOT_FOUND of a tenant that does not exist, and the attempt is recorded as cross_tenant_attempt in B's trail alike for an unknown tenant (B's own trail does not tell which tenants exist)", async () => {
    const nobody = `n${Date.now().toString(36)}`;
    await settleDeferredRecords();
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const attemptsOn = async (target: string) => (await auditActions(stack, globex.schema, globex.id)).filter((e) => e.action === 'cross_tenant_attempt' && e.target_id === target).length;
    const loggedOn = async (target: string) =>
      (
        await stack.adminQuery<unknown[]>(
          `SELECT 1 FROM \`${stack.config.database.controlSchema}\`.security_events WHERE action = 'cross_tenant_attempt' AND tenant_id = ? AND target_type = 'Tenant' AND target_id = ? AND JSON_VALUE(details_json, '$.ownerTenant') = ?`,
          [globex.id, target, target],
        )
      ).length;
    const before = { tenantLog: await attemptsOn(acme.id), securityLog: await loggedOn(acme.id) };
    const named = [
      [listServiceAccounts, {}],
      [createServiceAccount, { input: { name: 'intruder-2', role: 'VIEWER' } }],
      ['query($tenantId: ID) { tenantDataKeys(tenantId: $tenantId) { currentVersion } }', {}],
      ['mutation($tenantId: ID) { rotateTenantKey(tenantId: $tenantId) { currentVersion } }', {}],
      ['mutation($tenantId: ID, $c: String!) { requestTenantErasure(tenantId: $tenantId, confirm: $c) { id } }', { c: acme.id }],
    ] as const;
    for (const [query, variables] of named) {
      for (const tenantId of [acme.id, nobody]) {
        const answer = await stack.query(globexAdmin, query, { ...variables, ...(query === createServiceAccount ? { input: { ...(variables as { input: object }).input, tenantId } } : { tenantId }) });
        expect({ query, tenantId, codes: errorCodes(answer) }).toEqual({ query, tenantId, codes: ['NOT_FOUND'] });
      }
    }
    await settleDeferredRecords();
    expect(await attemptsOn(acme.id)).toBe(before.tenantLog + named.length);
    // An unknown tenant's name is recorded in B's trail exactly like an existing one's: before, only
    // an existing tenant's was, so B's admin (or auditor) read which tenant ids exist off its own
    // trail (and its CROSS_TENANT_ATTEMPT alerts), whatever the identical answers and their timing hid.
    expect(await attemptsOn(nobody)).toBe(named.length);
    const shapeOf = async (target: string) =>
      (await stack.adminQuery<Array<Record<string, unknown>>>(`SELECT actor_subject, actor_client, target_type, outcome FROM \`${globex.schema}\`.audit_events WHERE action = 'cross_tenant_attempt' AND target_id = ? ORDER BY seq`, [target])).map((row) => JSON.stringify(row));
    expect(await shapeOf(nobody)).toEqual((await shapeOf(acme.id)).slice(-named.length));
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    expect(await loggedOn(acme.id)).toBe(before.securityLog + named.length);
    // The platform's log still tells the two apart (it is not the tenant's to read).
    const unknownLogged = await stack.adminQuery<Array<{ owner: string | null }>>(
      `SELECT JSON_VALUE(details_json, '$.ownerTenant') AS owner FROM \`${stack.config.database.controlSchema}\`.security_events WHERE action = 'cross_tenant_attempt' AND tenant_id = ? AND target_type = 'Tenant' AND target_id = ?`,
      [globex.id, nobody],
    );
    expect(unknownLogged.map((row) => row.owner)).toEqual(named.map(() => null));
    // Nothing happened to acme.
    expect(errorCodes(await stack.query(acmeAdmin, '{ currentTenant { id status } }'))).toEqual([]);
  });

  it("an API key of tenant A reaches none of tenant B's data", async () => {
    const { secret } = await newKey({});
    const theirs = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(globexAdmin, createDataset, { input: { name: 'globex-secret' } })).createDataset;
    expectOnlyError(await stack.query(secret, oneDataset, { id: theirs.id }), 'NOT_FOUND');
    const listed = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(secret, datasets)).datasets.edges.map((e) => e.node.name);
    expect(listed).not.toContain('globex-secret');
    expect(expectNoErrors(await stack.query<{ currentTenant: { id: string } }>(secret, '{ currentTenant { id } }')).currentTenant.id).toBe(acme.id);
  });

  it('a key works over WebSocket within its scope, and its open subscription closes when it is revoked', async () => {
    const scoped = await newKey({ operations: ['datasets'] });
    const refused = openSubscription(stack, scoped.secret, 'subscription { jobEvents { jobId } }');
    try {
      await refused.connected;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(JSON.stringify(refused.errors)).toContain('FORBIDDEN');
    } finally {
      refused.dispose();
    }
    // The refused subscribe is in the trail too, by the key.
    const denied = (await auditActions(stack, acme.schema, acme.id)).filter((e) => e.action === 'access.denied' && e.actor_client === `api-key:${scoped.apiKey.id}`);
    expect(denied.map((e) => [e.target_id, e.outcome])).toEqual([['jobEvents', 'DENIED']]);
    const { secret, apiKey } = await newKey({});
    const socket = openSubscription(stack, secret, 'subscription { jobEvents { jobId } }');
    try {
      await socket.connected;
      expectNoErrors(await stack.query(acmeAdmin, revokeApiKey, { id: apiKey.id }));
      expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: access withdrawn' });
    } finally {
      socket.dispose();
    }
  });

  it('a key asked for while its service account is being deleted is NOT_FOUND, never an internal error', async () => {
    const doomed = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(acmeAdmin, createServiceAccount, { input: { name: 'doomed-bot', role: 'VIEWER' } })).createServiceAccount;
    const control = stack.config.database.controlSchema;
    // Another session is deleting the account: it holds the row while the key is asked for.
    const deleting = await createConnection({ uri: stack.migrator.adminUrl, ...databaseTlsOptions(stack.migrator.tlsCa) });
    try {
      await deleting.query('START TRANSACTION');
      await deleting.query(`SELECT id FROM \`${control}\`.service_accounts WHERE id = ? FOR UPDATE`, [doomed.id]);
      const asked = stack.query(acmeAdmin, createApiKey, { input: { serviceAccountId: doomed.id } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await deleting.query(`DELETE FROM \`${control}\`.service_accounts WHERE id = ?`, [doomed.id]);
      await deleting.query('COMMIT');
      expectOnlyError(await asked, 'NOT_FOUND');
    } finally {
      await deleting.end();
    }
    expect(await stack.adminQuery(`SELECT id FROM \`${control}\`.api_keys WHERE service_account_id = ?`, [doomed.id])).toEqual([]);
  });
});
