import { randomUUID } from 'node:crypto';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { isDuplicateKey, parseUuid } from '@tessera/service-kit';
import { accessRepository as repo, type ApiKeyRow, type ServiceAccountRow } from '../data/access.repository';
import { generateApiKey } from '../ports/api-key-format';
import { reserveAccessRoom } from './access-caps';
import { assertMintedByTenantAdmin, assertStillAdmin, managedTenant, notFoundInTenant, recordAccessEvent, roleIncludes } from './access-admin';
import { parseAccountName, parseApiKeyId, parseExpiry, parseOperations, roleFromEnum } from './access-input';
import type { AccessAdminDeps } from './members.service';

export interface ServiceAccountView extends ServiceAccountRow {
  apiKeys: ApiKeyRow[];
}

export interface CreateApiKeyInput {
  serviceAccountId: string;
  role?: unknown;
  operations?: unknown;
  expiresAt?: unknown;
  tenantId?: string | null;
}

/**
 * Service accounts and their API keys. A key is shown once (only `createApiKey` returns its
 * secret) and stored as a hash; it acts as its service account with at most the account's role,
 * optionally limited to a list of root fields, and always expires. Revoking a key or deleting its
 * account is announced to the gateways at once.
 */
export class ServiceAccountsService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: AccessAdminDeps,
  ) {}

  async list(tenantIdArg?: string | null): Promise<ServiceAccountView[]> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps, 'read');
    const manager = this.deps.db.manager;
    const accounts = await repo.listServiceAccounts(manager, tenantId);
    const keys = await repo.listApiKeys(manager, tenantId);
    // Grouped in one pass: filtering all keys once per account took seconds of the event loop every
    // tenant shares for a tenant with 20 000 accounts and keys.
    const byAccount = new Map<string, ApiKeyRow[]>();
    for (const key of keys) {
      const own = byAccount.get(key.serviceAccountId);
      if (own) own.push(key);
      else byAccount.set(key.serviceAccountId, [key]);
    }
    return accounts.map((account) => ({ ...account, apiKeys: byAccount.get(account.id) ?? [] }));
  }

  async create(input: { name: unknown; role: unknown; tenantId?: string | null }): Promise<ServiceAccountView> {
    const tenantId = await managedTenant(this.principal, input.tenantId, this.deps);
    assertMintedByTenantAdmin(this.principal);
    const row: ServiceAccountRow = { id: randomUUID(), tenantId, name: parseAccountName(input.name), role: roleFromEnum(input.role), createdBy: this.principal.subject, createdAt: new Date() };
    try {
      await this.deps.db.transaction(async (manager) => {
        await reserveAccessRoom(manager, this.deps.tenants, tenantId, 'serviceAccounts');
        await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
        await repo.insertServiceAccount(manager, row);
        await recordAccessEvent(manager, this.principal, tenantId, { action: 'service_account.create', targetType: 'ServiceAccount', targetId: row.id, details: { name: row.name, role: row.role } });
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict('A service account of this name exists in the tenant.', { field: 'name' });
      throw error;
    }
    return { ...row, apiKeys: [] };
  }

  async delete(idArg: string, tenantIdArg?: string | null): Promise<ServiceAccountView> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseUuid(idArg, 'id');
    const outcome = await this.deps.db.transaction(async (manager) => {
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const account = await repo.findServiceAccount(manager, tenantId, id, 'update');
      if (!account) return { missing: await repo.ownerOf(manager, 'service_accounts', id) };
      const apiKeys = await repo.listApiKeys(manager, tenantId, [id]);
      // Its keys go with it (foreign key cascade): each key's end is in the chain too.
      await repo.deleteServiceAccount(manager, tenantId, id);
      await recordAccessEvent(manager, this.principal, tenantId, { action: 'service_account.delete', targetType: 'ServiceAccount', targetId: id, details: { name: account.name, keys: apiKeys.length } });
      return { account: { ...account, apiKeys } };
    });
    if ('missing' in outcome) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, outcome.missing, 'ServiceAccount', id);
    await this.deps.changes.tenantChanged(tenantId);
    return outcome.account;
  }

  async createKey(input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyRow; secret: string }> {
    const tenantId = await managedTenant(this.principal, input.tenantId, this.deps);
    assertMintedByTenantAdmin(this.principal);
    const serviceAccountId = parseUuid(input.serviceAccountId, 'serviceAccountId');
    const requestedRole = input.role === undefined || input.role === null ? undefined : roleFromEnum(input.role);
    const operations = parseOperations(input.operations);
    const now = new Date();
    const expiresAt = parseExpiry(input.expiresAt, now);
    const key = generateApiKey();
    const outcome = await this.deps.db.transaction(async (manager) => {
      // Counts only the keys of this tenant's account of that id: none for another tenant's, which is NOT_FOUND below.
      await reserveAccessRoom(manager, this.deps.tenants, tenantId, 'apiKeys', serviceAccountId);
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      // Locked: a key added to an account being deleted would fail its foreign key (an internal error).
      const account = await repo.findServiceAccount(manager, tenantId, serviceAccountId, 'share');
      if (!account) return { missing: await repo.ownerOf(manager, 'service_accounts', serviceAccountId) };
      const role = requestedRole ?? account.role;
      if (!roleIncludes(account.role, role)) throw errors.badInput(`A key cannot hold more than its service account's role (${account.role}).`, { field: 'role' });
      const row = { id: key.id, tenantId, serviceAccountId, role, operations, expiresAt, createdBy: this.principal.subject, createdAt: now };
      await repo.insertApiKey(manager, { ...row, secretSha256: key.sha256 });
      await recordAccessEvent(manager, this.principal, tenantId, {
        action: 'api_key.create',
        targetType: 'ApiKey',
        targetId: key.id,
        details: { serviceAccountId, role, operations: operations ? operations.join(',') : null, expiresAt: expiresAt.toISOString() },
      });
      return { apiKey: { ...row, revokedAt: null, lastUsedAt: null } };
    });
    if ('missing' in outcome) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, outcome.missing, 'ServiceAccount', serviceAccountId);
    return { apiKey: outcome.apiKey, secret: key.credential };
  }

  async revokeKey(idArg: string, tenantIdArg?: string | null): Promise<ApiKeyRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseApiKeyId(idArg);
    const outcome = await this.deps.db.transaction(async (manager) => {
      // The key's row is locked before it is read: revocations sent at once then take turns, and
      // each after the first reads the key revoked (answering that revocation, recording nothing).
      // Read first, they all saw it active and each wrote its own event and time.
      await repo.lockApiKey(manager, tenantId, id);
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const key = await repo.findApiKey(manager, tenantId, id);
      if (!key) return { missing: await repo.ownerOf(manager, 'api_keys', id) };
      if (key.revokedAt) return { key, already: true };
      const at = new Date();
      await repo.revokeApiKey(manager, tenantId, id, this.principal.subject, at);
      await recordAccessEvent(manager, this.principal, tenantId, { action: 'api_key.revoke', targetType: 'ApiKey', targetId: id, details: { serviceAccountId: key.serviceAccountId } });
      return { key: { ...key, revokedAt: at }, already: false };
    });
    if ('missing' in outcome) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, outcome.missing, 'ApiKey', id);
    if (!outcome.already) await this.deps.changes.tenantChanged(tenantId);
    return outcome.key;
  }
}
