import type { EntityManager } from 'typeorm';
import type { TenantRole } from '@tessera/auth';
import { parseOperationList, parseTenantRole, sameSubject } from '../ports/access-directory';

export interface MemberRow {
  id: string;
  tenantId: string;
  subject: string | null;
  email: string | null;
  /** The subject an e-mail invitation was bound to at first sign-in. */
  boundSubject: string | null;
  role: TenantRole;
  invitedBy: string;
  /** An e-mail invitation's expiry (null for members invited by subject); it stops counting once bound. */
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ServiceAccountRow {
  id: string;
  tenantId: string;
  name: string;
  role: TenantRole;
  createdBy: string;
  createdAt: Date;
}

export interface ApiKeyRow {
  id: string;
  tenantId: string;
  serviceAccountId: string;
  role: TenantRole;
  operations: string[] | null;
  expiresAt: Date;
  revokedAt: Date | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

type Row = Record<string, unknown>;
const date = (value: unknown) => new Date(value as string | Date);
const role = (value: unknown): TenantRole => parseTenantRole(value) ?? 'viewer';

const memberSelect = `SELECT m.id, m.tenant_id, m.subject, m.email, b.subject AS bound_subject, m.role, m.invited_by, m.expires_at, m.created_at, m.updated_at
  FROM tenant_members m LEFT JOIN member_bindings b ON b.member_id = m.id`;

function toMember(row: Row): MemberRow {
  return {
    id: String(row['id']),
    tenantId: String(row['tenant_id']),
    subject: (row['subject'] as string | null) ?? null,
    email: (row['email'] as string | null) ?? null,
    boundSubject: (row['bound_subject'] as string | null) ?? null,
    role: role(row['role']),
    invitedBy: String(row['invited_by']),
    expiresAt: row['expires_at'] ? date(row['expires_at']) : null,
    createdAt: date(row['created_at']),
    updatedAt: date(row['updated_at']),
  };
}

/** Control-plane SQL of the access tables (the tenants service's pool: the control schema is its default). Every statement filters by tenant. */
export const accessRepository = {
  async listMembers(manager: EntityManager, tenantId: string): Promise<MemberRow[]> {
    return ((await manager.query(`${memberSelect} WHERE m.tenant_id = ? ORDER BY m.created_at, m.id`, [tenantId])) as Row[]).map(toMember);
  },

  async findMember(manager: EntityManager, tenantId: string, id: string, lock = false): Promise<MemberRow | undefined> {
    const rows = (await manager.query(`${memberSelect} WHERE m.tenant_id = ? AND m.id = ?${lock ? ' FOR UPDATE' : ''}`, [tenantId, id])) as Row[];
    return rows[0] ? toMember(rows[0]) : undefined;
  },

  /** Whether the subject already acts in the tenant, invited as itself or bound from an e-mail invitation. */
  async subjectIsMember(manager: EntityManager, tenantId: string, subject: string): Promise<boolean> {
    const rows = (await manager.query(
      'SELECT subject FROM tenant_members WHERE tenant_id = ? AND subject = ? UNION ALL SELECT subject FROM member_bindings WHERE tenant_id = ? AND subject = ?',
      [tenantId, subject, tenantId, subject],
    )) as Array<{ subject: unknown }>;
    // Exact, not padded (sameSubject): an invited subject never ends in a space (parseSubject), a bound one might.
    return rows.some((row) => sameSubject(row.subject, subject));
  },

  /**
   * The role `subject` holds in the tenant now (invited as itself, or bound from an e-mail
   * invitation), its membership rows share-locked until the transaction ends: a removal or role
   * change of that member, which locks them for update, either waits for the transaction or is seen by it.
   */
  async lockActorRole(manager: EntityManager, tenantId: string, subject: string): Promise<TenantRole | undefined> {
    const direct = (await manager.query('SELECT subject, role FROM tenant_members WHERE tenant_id = ? AND subject = ? LOCK IN SHARE MODE', [tenantId, subject])) as Row[];
    const bound = (await manager.query(
      'SELECT b.subject, m.role FROM member_bindings b JOIN tenant_members m ON m.id = b.member_id WHERE b.tenant_id = ? AND b.subject = ? LOCK IN SHARE MODE',
      [tenantId, subject],
    )) as Row[];
    const row = [...direct, ...bound].find((candidate) => sameSubject(candidate['subject'], subject));
    return row ? parseTenantRole(row['role']) : undefined;
  },

  async insertMember(manager: EntityManager, row: Omit<MemberRow, 'boundSubject'>): Promise<void> {
    await manager.query('INSERT INTO tenant_members (id, tenant_id, subject, email, role, invited_by, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      row.id,
      row.tenantId,
      row.subject,
      row.email,
      row.role,
      row.invitedBy,
      row.expiresAt,
      row.createdAt,
      row.updatedAt,
    ]);
  },

  /**
   * The tenant's admins who can act — a member with a subject, or an invitation already bound to
   * one — with every admin row locked until the transaction ends: two admins demoting or removing
   * each other at once are serialised here, so the second sees the first's change. An e-mail
   * invitation nobody has accepted yet does not count, pending or expired: it grants nothing, it
   * can be revoked without any last-admin rule, and it expires on its own, so counting it let a
   * tenant lose its last admin who could sign in.
   */
  async lockAdmins(manager: EntityManager, tenantId: string): Promise<string[]> {
    const rows = (await manager.query(
      `SELECT m.id, (m.subject IS NOT NULL OR b.member_id IS NOT NULL) AS acting FROM tenant_members m LEFT JOIN member_bindings b ON b.member_id = m.id
        WHERE m.tenant_id = ? AND m.role = 'admin'
        ORDER BY m.id FOR UPDATE`,
      [tenantId],
    )) as Array<{ id: string; acting: number | string | boolean }>;
    return rows.filter((row) => Number(row.acting) === 1).map((row) => row.id);
  },

  async setMemberRole(manager: EntityManager, tenantId: string, id: string, newRole: TenantRole, at: Date): Promise<void> {
    await manager.query('UPDATE tenant_members SET role = ?, updated_at = ? WHERE tenant_id = ? AND id = ?', [newRole, at, tenantId, id]);
  },

  async setInvitationExpiry(manager: EntityManager, tenantId: string, id: string, expiresAt: Date, at: Date): Promise<void> {
    await manager.query('UPDATE tenant_members SET expires_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?', [expiresAt, at, tenantId, id]);
  },

  async deleteMember(manager: EntityManager, tenantId: string, id: string): Promise<void> {
    await manager.query('DELETE FROM tenant_members WHERE tenant_id = ? AND id = ?', [tenantId, id]);
  },

  /** Members and invitations (pending, expired or bound): every row the tenant keeps (`maxMembers`). */
  async countMembers(manager: EntityManager, tenantId: string): Promise<number> {
    return count(await manager.query('SELECT COUNT(*) AS n FROM tenant_members WHERE tenant_id = ?', [tenantId]));
  },

  async countServiceAccounts(manager: EntityManager, tenantId: string): Promise<number> {
    return count(await manager.query('SELECT COUNT(*) AS n FROM service_accounts WHERE tenant_id = ?', [tenantId]));
  },

  /** Keys of one account not revoked (an expired key still counts until revoked: `maxApiKeysPerServiceAccount`). */
  async countUnrevokedApiKeys(manager: EntityManager, tenantId: string, serviceAccountId: string): Promise<number> {
    return count(await manager.query('SELECT COUNT(*) AS n FROM api_keys WHERE tenant_id = ? AND service_account_id = ? AND revoked_at IS NULL', [tenantId, serviceAccountId]));
  },

  /** The tenant that holds `id` in `table`, if any: tells another tenant's id from one that never existed. */
  async ownerOf(manager: EntityManager, table: 'tenant_members' | 'service_accounts' | 'api_keys', id: string): Promise<string | undefined> {
    const rows = (await manager.query(`SELECT tenant_id FROM ${table} WHERE id = ?`, [id])) as Array<{ tenant_id: string }>;
    return rows[0]?.tenant_id;
  },

  async listServiceAccounts(manager: EntityManager, tenantId: string): Promise<ServiceAccountRow[]> {
    const rows = (await manager.query('SELECT id, tenant_id, name, role, created_by, created_at FROM service_accounts WHERE tenant_id = ? ORDER BY created_at, id', [tenantId])) as Row[];
    return rows.map(toServiceAccount);
  },

  /** `lock`: held until the transaction ends (`share` to add a key under it, `update` to delete it), so the two never interleave. */
  async findServiceAccount(manager: EntityManager, tenantId: string, id: string, lock?: 'share' | 'update'): Promise<ServiceAccountRow | undefined> {
    const locking = lock === 'share' ? ' LOCK IN SHARE MODE' : lock === 'update' ? ' FOR UPDATE' : '';
    const rows = (await manager.query(`SELECT id, tenant_id, name, role, created_by, created_at FROM service_accounts WHERE tenant_id = ? AND id = ?${locking}`, [tenantId, id])) as Row[];
    return rows[0] ? toServiceAccount(rows[0]) : undefined;
  },

  async insertServiceAccount(manager: EntityManager, row: ServiceAccountRow): Promise<void> {
    await manager.query('INSERT INTO service_accounts (id, tenant_id, name, role, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)', [row.id, row.tenantId, row.name, row.role, row.createdBy, row.createdAt]);
  },

  async deleteServiceAccount(manager: EntityManager, tenantId: string, id: string): Promise<void> {
    await manager.query('DELETE FROM service_accounts WHERE tenant_id = ? AND id = ?', [tenantId, id]);
  },

  async listApiKeys(manager: EntityManager, tenantId: string, serviceAccountIds?: readonly string[]): Promise<ApiKeyRow[]> {
    if (serviceAccountIds && serviceAccountIds.length === 0) return [];
    const rows = (await manager.query(
      `SELECT k.id, k.tenant_id, k.service_account_id, k.role, k.operations, k.expires_at, k.revoked_at, k.created_by, k.created_at, u.last_used_at
         FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id
        WHERE k.tenant_id = ?${serviceAccountIds ? ' AND k.service_account_id IN (?)' : ''} ORDER BY k.created_at, k.id`,
      serviceAccountIds ? [tenantId, serviceAccountIds] : [tenantId],
    )) as Row[];
    return rows.map(toApiKey);
  },

  async findApiKey(manager: EntityManager, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
    const rows = (await manager.query(
      `SELECT k.id, k.tenant_id, k.service_account_id, k.role, k.operations, k.expires_at, k.revoked_at, k.created_by, k.created_at, u.last_used_at
         FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.id WHERE k.tenant_id = ? AND k.id = ?`,
      [tenantId, id],
    )) as Row[];
    return rows[0] ? toApiKey(rows[0]) : undefined;
  },

  async insertApiKey(manager: EntityManager, row: Omit<ApiKeyRow, 'lastUsedAt' | 'revokedAt'> & { secretSha256: string }): Promise<void> {
    await manager.query(
      'INSERT INTO api_keys (id, tenant_id, service_account_id, secret_sha256, role, operations, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [row.id, row.tenantId, row.serviceAccountId, row.secretSha256, row.role, row.operations ? JSON.stringify(row.operations) : null, row.expiresAt, row.createdBy, row.createdAt],
    );
  },

  /** Locks the key's row (if it is there) until the transaction ends; the first statement of one that changes the key. */
  async lockApiKey(manager: EntityManager, tenantId: string, id: string): Promise<void> {
    await manager.query('SELECT id FROM api_keys WHERE tenant_id = ? AND id = ? FOR UPDATE', [tenantId, id]);
  },

  async revokeApiKey(manager: EntityManager, tenantId: string, id: string, by: string, at: Date): Promise<void> {
    await manager.query('UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL', [at, by, tenantId, id]);
  },
};

function count(rows: unknown): number {
  return Number((rows as Array<{ n: string | number }>)[0]?.n ?? 0);
}

function toServiceAccount(row: Row): ServiceAccountRow {
  return { id: String(row['id']), tenantId: String(row['tenant_id']), name: String(row['name']), role: role(row['role']), createdBy: String(row['created_by']), createdAt: date(row['created_at']) };
}

function toApiKey(row: Row): ApiKeyRow {
  return {
    id: String(row['id']),
    tenantId: String(row['tenant_id']),
    serviceAccountId: String(row['service_account_id']),
    role: role(row['role']),
    operations: parseOperationList(row['operations']),
    expiresAt: date(row['expires_at']),
    revokedAt: row['revoked_at'] ? date(row['revoked_at']) : null,
    createdBy: String(row['created_by']),
    createdAt: date(row['created_at']),
    lastUsedAt: row['last_used_at'] ? date(row['last_used_at']) : null,
  };
}
