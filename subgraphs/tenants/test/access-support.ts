import { createClient } from 'graphql-ws';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { expectNoErrors, type TestStack } from '@tessera/testing';

export const memberFields = 'id subject email role status invitedBy createdAt updatedAt';

export interface MemberView {
  id: string;
  subject: string | null;
  email: string | null;
  role: string;
  status: string;
  invitedBy: string;
}

export const listMembers = `query Members($tenantId: ID) { members(tenantId: $tenantId) { ${memberFields} } }`;
export const inviteMember = `mutation Invite($input: InviteMemberInput!) { inviteMember(input: $input) { ${memberFields} } }`;
export const changeMemberRole = `mutation Change($id: ID!, $role: MemberRole!, $tenantId: ID) { changeMemberRole(id: $id, role: $role, tenantId: $tenantId) { ${memberFields} } }`;
export const removeMember = `mutation Remove($id: ID!, $tenantId: ID) { removeMember(id: $id, tenantId: $tenantId) { ${memberFields} } }`;

export const apiKeyFields = 'id serviceAccountId role operations status expiresAt revokedAt lastUsedAt createdBy createdAt';
export const serviceAccountFields = `id name role subject createdBy createdAt apiKeys { ${apiKeyFields} }`;
export const listServiceAccounts = `query Accounts($tenantId: ID) { serviceAccounts(tenantId: $tenantId) { ${serviceAccountFields} } }`;
export const createServiceAccount = `mutation CreateAccount($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { ${serviceAccountFields} } }`;
export const deleteServiceAccount = `mutation DeleteAccount($id: ID!, $tenantId: ID) { deleteServiceAccount(id: $id, tenantId: $tenantId) { id name } }`;
export const createApiKey = `mutation CreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${apiKeyFields} } } }`;
export const revokeApiKey = `mutation RevokeKey($id: ID!, $tenantId: ID) { revokeApiKey(id: $id, tenantId: $tenantId) { ${apiKeyFields} } }`;

export interface ApiKeyView {
  id: string;
  serviceAccountId: string;
  role: string;
  operations: string[] | null;
  status: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface ServiceAccountView {
  id: string;
  name: string;
  role: string;
  subject: string;
  apiKeys: ApiKeyView[];
}

/** A signed-in user of `tenant` from the real issuer: a fresh subject each call; `roles` are only what the token claims. */
export async function userToken(stack: TestStack, tenant: string, options: { roles?: string[]; email?: string; emailVerified?: boolean } = {}): Promise<{ token: string; subject: string }> {
  const token = await stack.issueToken({ tenant, roles: options.roles ?? [], ...(options.email ? { email: options.email, emailVerified: options.emailVerified ?? true } : {}) });
  return { token, subject: String(decodeJwt(token).sub) };
}

export async function membersOf(stack: TestStack, tenantId: string): Promise<MemberView[]> {
  return expectNoErrors(await stack.query<{ members: MemberView[] }>(await stack.platformAdminToken(), listMembers, { tenantId })).members;
}

/** The tenant's access rows as the migrator sees them: what "nothing changed" is checked against. */
export async function accessRows(stack: TestStack, tenantId: string): Promise<unknown> {
  const control = stack.config.database.controlSchema;
  const rows = async (sql: string) => JSON.stringify(await stack.adminQuery(sql, [tenantId]));
  return {
    members: await rows(`SELECT * FROM \`${control}\`.tenant_members WHERE tenant_id = ? ORDER BY id`),
    bindings: await rows(`SELECT * FROM \`${control}\`.member_bindings WHERE tenant_id = ? ORDER BY member_id`),
    accounts: await rows(`SELECT * FROM \`${control}\`.service_accounts WHERE tenant_id = ? ORDER BY id`),
    keys: await rows(`SELECT * FROM \`${control}\`.api_keys WHERE tenant_id = ? ORDER BY id`),
  };
}

export async function auditActions(stack: TestStack, tenantSchema: string, tenantId: string): Promise<Array<{ action: string; actor_subject: string; actor_client: string | null; target_id: string | null; outcome: string }>> {
  await stack.drainAudit(tenantId);
  return (await stack.adminQuery(`SELECT action, actor_subject, actor_client, target_id, outcome FROM \`${tenantSchema}\`.audit_events ORDER BY seq`)) as Array<{
    action: string;
    actor_subject: string;
    actor_client: string | null;
    target_id: string | null;
    outcome: string;
  }>;
}

/** A graphql-ws connection to the gateway with `credential` in connection_init; resolves how the socket closed. */
export function openSubscription(stack: TestStack, credential: string, query: string): { connected: Promise<void>; closed: Promise<{ code: number; reason: string }>; errors: unknown[]; dispose(): void } {
  let onClosed: (info: { code: number; reason: string }) => void = () => undefined;
  let onConnected: () => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const errors: unknown[] = [];
  const client = createClient({
    url: stack.graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${credential}` },
    onNonLazyError: () => undefined,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  client.subscribe({ query }, { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined });
  return { connected, closed, errors, dispose: () => void client.dispose() };
}
