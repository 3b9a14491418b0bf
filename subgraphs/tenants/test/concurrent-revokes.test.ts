/**
 * Revocations of one API key sent at once: the key is revoked once — one `api_key.revoke` event,
 * and every answer names the same revocation time. Before, each revocation read the key as still
 * active outside any lock and wrote its own event and its own time (the UPDATE itself changed the
 * row once).
 */
import { randomBytes } from 'node:crypto';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

let stack: TestStack;
let tenant: TestTenant;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await stack.createTenant();
  admin = await tenant.token('admin');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('six revocations of one key at once: one api_key.revoke event, one revocation time in every answer', async () => {
  for (let round = 0; round < 3; round++) {
    const account = expectNoErrors(
      await stack.query<{ createServiceAccount: { id: string } }>(admin, `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }`, {
        input: { name: `sa-${randomBytes(3).toString('hex')}`, role: 'VIEWER' },
      }),
    ).createServiceAccount.id;
    const key = expectNoErrors(
      await stack.query<{ createApiKey: { apiKey: { id: string } } }>(admin, `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }`, { input: { serviceAccountId: account } }),
    ).createApiKey.apiKey.id;
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => expectNoErrors(await stack.query<{ revokeApiKey: { status: string; revokedAt: string } }>(admin, `mutation($id: ID!) { revokeApiKey(id: $id) { status revokedAt } }`, { id: key })).revokeApiKey),
    );
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.revokedAt}`)).size).toBe(1);
    expect(answers[0]!.status).toBe('REVOKED');
    const deadline = Date.now() + 10_000;
    let events = 0;
    for (;;) {
      events = expectNoErrors(
        await stack.query<{ auditEvents: { edges: unknown[] } }>(admin, `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { id } } } }`, {
          filter: { action: 'api_key.revoke', targetId: key },
        }),
      ).auditEvents.edges.length;
      if (events > 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    events = expectNoErrors(
      await stack.query<{ auditEvents: { edges: unknown[] } }>(admin, `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { id } } } }`, {
        filter: { action: 'api_key.revoke', targetId: key },
      }),
    ).auditEvents.edges.length;
    expect({ round, events }).toEqual({ round, events: 1 });
  }
}, 120_000);
