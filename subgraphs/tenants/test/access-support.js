"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.revokeApiKey = exports.createApiKey = exports.deleteServiceAccount = exports.createServiceAccount = exports.listServiceAccounts = exports.serviceAccountFields = exports.apiKeyFields = exports.removeMember = exports.changeMemberRole = exports.inviteMember = exports.listMembers = exports.memberFields = void 0;
exports.userToken = userToken;
exports.membersOf = membersOf;
exports.accessRows = accessRows;
exports.auditActions = auditActions;
exports.openSubscription = openSubscription;
const graphql_ws_1 = require("graphql-ws");
const jose_1 = require("jose");
const ws_1 = __importDefault(require("ws"));
const testing_1 = require("@tessera/testing");
exports.memberFields = 'id subject email role status invitedBy createdAt updatedAt';
exports.listMembers = `query Members($tenantId: ID) { members(tenantId: $tenantId) { ${exports.memberFields} } }`;
exports.inviteMember = `mutation Invite($input: InviteMemberInput!) { inviteMember(input: $input) { ${exports.memberFields} } }`;
exports.changeMemberRole = `mutation Change($id: ID!, $role: MemberRole!, $tenantId: ID) { changeMemberRole(id: $id, role: $role, tenantId: $tenantId) { ${exports.memberFields} } }`;
exports.removeMember = `mutation Remove($id: ID!, $tenantId: ID) { removeMember(id: $id, tenantId: $tenantId) { ${exports.memberFields} } }`;
exports.apiKeyFields = 'id serviceAccountId role operations status expiresAt revokedAt lastUsedAt createdBy createdAt';
exports.serviceAccountFields = `id name role subject createdBy createdAt apiKeys { ${exports.apiKeyFields} }`;
exports.listServiceAccounts = `query Accounts($tenantId: ID) { serviceAccounts(tenantId: $tenantId) { ${exports.serviceAccountFields} } }`;
exports.createServiceAccount = `mutation CreateAccount($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { ${exports.serviceAccountFields} } }`;
exports.deleteServiceAccount = `mutation DeleteAccount($id: ID!, $tenantId: ID) { deleteServiceAccount(id: $id, tenantId: $tenantId) { id name } }`;
exports.createApiKey = `mutation CreateKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${exports.apiKeyFields} } } }`;
exports.revokeApiKey = `mutation RevokeKey($id: ID!, $tenantId: ID) { revokeApiKey(id: $id, tenantId: $tenantId) { ${exports.apiKeyFields} } }`;
/** A signed-in user of `tenant` from the real issuer: a fresh subject each call; `roles` are only what the token claims. */
async function userToken(stack, tenant, options = {}) {
    const token = await stack.issueToken({ tenant, roles: options.roles ?? [], ...(options.email ? { email: options.email, emailVerified: options.emailVerified ?? true } : {}) });
    return { token, subject: String((0, jose_1.decodeJwt)(token).sub) };
}
async function membersOf(stack, tenantId) {
    return (0, testing_1.expectNoErrors)(await stack.query(await stack.platformAdminToken(), exports.listMembers, { tenantId })).members;
}
/** The tenant's access rows as the migrator sees them: what "nothing changed" is checked against. */
async function accessRows(stack, tenantId) {
    const control = stack.config.database.controlSchema;
    const rows = async (sql) => JSON.stringify(await stack.adminQuery(sql, [tenantId]));
    return {
        members: await rows(`SELECT * FROM \`${control}\`.tenant_members WHERE tenant_id = ? ORDER BY id`),
        bindings: await rows(`SELECT * FROM \`${control}\`.member_bindings WHERE tenant_id = ? ORDER BY member_id`),
        accounts: await rows(`SELECT * FROM \`${control}\`.service_accounts WHERE tenant_id = ? ORDER BY id`),
        keys: await rows(`SELECT * FROM \`${control}\`.api_keys WHERE tenant_id = ? ORDER BY id`),
    };
}
async function auditActions(stack, tenantSchema, tenantId) {
    await stack.drainAudit(tenantId);
    return (await stack.adminQuery(`SELECT action, actor_subject, actor_client, target_id, outcome FROM \`${tenantSchema}\`.audit_events ORDER BY seq`));
}
/** A graphql-ws connection to the gateway with `credential` in connection_init; resolves how the socket closed. */
function openSubscription(stack, credential, query) {
    let onClosed = () => undefined;
    let onConnected = () => undefined;
    const closed = new Promise((resolve) => (onClosed = resolve));
    const connected = new Promise((resolve) => (onConnected = resolve));
    const errors = [];
    const client = (0, graphql_ws_1.createClient)({
        url: stack.graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: ws_1.default,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${credential}` },
        onNonLazyError: () => undefined,
        on: {
            connected: () => onConnected(),
            closed: (event) => {
                const { code, reason } = event;
                onClosed({ code, reason: String(reason) });
            },
        },
    });
    client.subscribe({ query }, { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined });
    return { connected, closed, errors, dispose: () => void client.dispose() };
}
