import type { DataSource } from 'typeorm';
import { tenantRoles, type TenantRole } from '@tessera/auth';
import { isDuplicateKey } from '@tessera/service-kit';
import { canonicalEmail } from './email-address';

/**
 * Whether a subject read back from the access tables is the one asked for, byte for byte. The
 * columns are `utf8mb4_bin` (0009-exact-identity-match), which MariaDB and MySQL compare PAD SPACE:
 * `=` found the member `alice` for a token whose subject is `alice ` — another identity at the
 * identity provider, which then acted with alice's role. The SQL `=` still picks the rows (by the
 * index); this drops those that only matched once padded.
 */
export function sameSubject(stored: unknown, subject: string): boolean {
  return (Buffer.isBuffer(stored) ? stored.toString('utf8') : stored) === subject;
}

/** How an API key's requests appear in audit events and the access review. */
export function serviceAccountSubject(serviceAccountId: string): string {
  return `service-account:${serviceAccountId}`;
}

export function parseTenantRole(value: unknown): TenantRole | undefined {
  return (tenantRoles as readonly unknown[]).includes(value) ? (value as TenantRole) : undefined;
}

/** MariaDB hands JSON columns back as text, MySQL 8 parsed: a list of names, or null for "every operation". */
export function parseOperationList(value: unknown): string[] | null {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : Buffer.isBuffer(value) ? JSON.parse(value.toString('utf8')) : value;
  if (parsed === null || parsed === undefined) return null;
  return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * A subject's standing in a tenant: its role, or none; `invitationExpired` when the only thing
 * that would have made it a member is an e-mail invitation for its verified address that expired.
 */
export type Membership = { role: TenantRole; invitationExpired?: undefined } | { role: undefined; invitationExpired: boolean };

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  serviceAccountId: string;
  serviceAccountName: string;
  secretSha256: string;
  role: TenantRole | undefined;
  /** Root fields the key may run; null: every field its role allows. */
  operations: string[] | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** What decides whether an API key still holds access: no secret, no scope. */
export interface ApiKeyStanding {
  serviceAccountId: string;
  role: TenantRole | undefined;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface ApiKeyUse {
  keyId: string;
  usedAt: Date;
  sourceIp: string | undefined;
}

export interface MemberAccessRow {
  id: string;
  /** The subject it was invited as, or the one its e-mail invitation was bound to; null until then. */
  subject: string | null;
  email: string | null;
  role: TenantRole | undefined;
  createdAt: Date;
}

export interface ServiceAccountAccessRow {
  id: string;
  name: string;
  role: TenantRole | undefined;
  createdAt: Date;
  /** Keys not revoked and not expired. */
  activeKeys: number;
  lastUsedAt: Date | null;
}

export interface ApiKeyAccessRow {
  id: string;
  serviceAccountId: string;
  serviceAccountName: string;
  role: TenantRole | undefined;
  createdAt: Date;
  expiresAt: Date;
  /** Its last use as the gateway recorded it; null: never used. */
  lastUsedAt: Date | null;
}

/**
 * The tenants service's read port over its access tables, for the services it publishes them to:
 * the gateway (a caller's role, API keys, and the two writes it is given — e-mail bindings and key
 * usage), the audit service (the access review) and the jobs service (whether the principal a job
 * acts for still holds access). It runs on the caller's own pool and database
 * account; every statement names the control-plane table in full and filters by tenant.
 */
export class AccessDirectory {
  constructor(
    private readonly db: DataSource,
    private readonly controlSchema: string,
  ) {
    if (!/^[A-Za-z0-9_]+$/.test(controlSchema)) throw new Error('invalid control schema name');
  }

  private table(name: string): string {
    return `\`${this.controlSchema}\`.\`${name}\``;
  }

  /**
   * The caller's role in the tenant: the member invited as this subject, or the one whose e-mail
   * invitation was bound to it. Failing both, an unbound, unexpired e-mail invitation matching the
   * token's verified e-mail is bound to this subject now (first sign-in) and its role returned. An
   * expired one binds nothing; the answer says so, for the caller's error.
   */
  async membership(tenantId: string, subject: string, verifiedEmail: string | undefined, now = new Date()): Promise<Membership> {
    const known = await this.boundRole(tenantId, subject);
    const email = verifiedEmail === undefined ? undefined : canonicalEmail(verifiedEmail);
    if (known.found || !email) return known.role ? { role: known.role } : { role: undefined, invitationExpired: false };
    const [invitation] = (await this.db.query(
      `SELECT m.id, m.role, m.expires_at FROM ${this.table('tenant_members')} m LEFT JOIN ${this.table('member_bindings')} b ON b.member_id = m.id
        WHERE m.tenant_id = ? AND m.email = ? AND m.subject IS NULL AND b.member_id IS NULL`,
      [tenantId, email],
    )) as Array<{ id: string; role: string; expires_at: Date | string | null }>;
    if (!invitation) return { role: undefined, invitationExpired: false };
    if (invitation.expires_at !== null && new Date(invitation.expires_at).getTime() <= now.getTime()) return { role: undefined, invitationExpired: true };
    try {
      // Bound only while still unexpired: an invitation re-checked in the same statement, so one that expires meanwhile binds nothing.
      const result = (await this.db.query(
        `INSERT INTO ${this.table('member_bindings')} (member_id, tenant_id, subject, bound_at)
         SELECT id, tenant_id, ?, ? FROM ${this.table('tenant_members')} WHERE id = ? AND tenant_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
        [subject, now, invitation.id, tenantId, now],
      )) as { affectedRows?: number };
      if (result.affectedRows === 0) return { role: undefined, invitationExpired: true };
    } catch (error) {
      // Bound meanwhile (a parallel first request, or to another subject): read what holds now.
      if (!isDuplicateKey(error)) throw error;
      const current = await this.boundRole(tenantId, subject);
      return current.role ? { role: current.role } : { role: undefined, invitationExpired: false };
    }
    const role = parseTenantRole(invitation.role);
    return role ? { role } : { role: undefined, invitationExpired: false };
  }

  private async boundRole(tenantId: string, subject: string): Promise<{ found: boolean; role: TenantRole | undefined }> {
    const rows = (
      (await this.db.query(
        `SELECT m.subject, m.role FROM ${this.table('tenant_members')} m WHERE m.tenant_id = ? AND m.subject = ?
         UNION ALL
         SELECT b.subject, m.role FROM ${this.table('member_bindings')} b JOIN ${this.table('tenant_members')} m ON m.id = b.member_id WHERE b.tenant_id = ? AND b.subject = ?`,
        [tenantId, subject, tenantId, subject],
      )) as Array<{ subject: string; role: string }>
    ).filter((row) => sameSubject(row.subject, subject));
    return { found: rows.length > 0, role: rows.length > 0 ? parseTenantRole(rows[0]!.role) : undefined };
  }

  /**
   * A member's current role in the tenant, read only (no invitation is bound): what the jobs
   * service checks before a queued or running job goes on acting for that member.
   */
  async memberRole(tenantId: string, subject: string): Promise<TenantRole | undefined> {
    return (await this.boundRole(tenantId, subject)).role;
  }

  /**
   * An API key of this tenant as it stands now, without its secret's hash: undefined when the key,
   * or the service account it belongs to, no longer exists (or is another tenant's).
   */
  async apiKeyStanding(tenantId: string, id: string): Promise<ApiKeyStanding | undefined> {
    const [row] = (await this.db.query(
      `SELECT k.service_account_id, k.role, k.expires_at, k.revoked_at
         FROM ${this.table('api_keys')} k JOIN ${this.table('service_accounts')} s ON s.id = k.service_account_id AND s.tenant_id = k.tenant_id
        WHERE k.id = ? AND k.tenant_id = ?`,
      [id, tenantId],
    )) as Array<{ service_account_id: string; role: string; expires_at: Date | string; revoked_at: Date | string | null }>;
    if (!row) return undefined;
    return {
      serviceAccountId: String(row.service_account_id),
      role: parseTenantRole(row.role),
      expiresAt: new Date(row.expires_at),
      revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    };
  }

  async apiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = (await this.db.query(
      `SELECT k.id, k.tenant_id, k.service_account_id, s.name AS account_name, k.secret_sha256, k.role, k.operations, k.expires_at, k.revoked_at
         FROM ${this.table('api_keys')} k JOIN ${this.table('service_accounts')} s ON s.id = k.service_account_id AND s.tenant_id = k.tenant_id
        WHERE k.id = ?`,
      [id],
    )) as Array<Record<string, unknown>>;
    if (!row) return undefined;
    return {
      id: String(row['id']),
      tenantId: String(row['tenant_id']),
      serviceAccountId: String(row['service_account_id']),
      serviceAccountName: String(row['account_name']),
      secretSha256: String(row['secret_sha256']),
      role: parseTenantRole(row['role']),
      operations: parseOperationList(row['operations']),
      expiresAt: new Date(row['expires_at'] as string | Date),
      revokedAt: row['revoked_at'] ? new Date(row['revoked_at'] as string | Date) : null,
    };
  }

  /** Last use per key; a key deleted since it was used is skipped (the SELECT finds no row). */
  async recordKeyUses(uses: readonly ApiKeyUse[]): Promise<void> {
    for (const use of uses) {
      await this.db.query(
        `INSERT INTO ${this.table('api_key_usage')} (key_id, tenant_id, last_used_at, last_source_ip)
         SELECT id, tenant_id, ?, ? FROM ${this.table('api_keys')} WHERE id = ?
         ON DUPLICATE KEY UPDATE last_source_ip = IF(? >= last_used_at, ?, last_source_ip), last_used_at = GREATEST(last_used_at, ?)`,
        [use.usedAt, use.sourceIp ?? null, use.keyId, use.usedAt, use.sourceIp ?? null, use.usedAt],
      );
    }
  }

  /** The tenant's API keys that hold access at `now` (neither revoked nor expired), with their last use (the stale-access review). */
  async activeApiKeys(tenantId: string, now = new Date()): Promise<ApiKeyAccessRow[]> {
    const rows = (await this.db.query(
      `SELECT k.id, k.service_account_id, s.name AS account_name, k.role, k.created_at, k.expires_at, u.last_used_at
         FROM ${this.table('api_keys')} k
         JOIN ${this.table('service_accounts')} s ON s.id = k.service_account_id AND s.tenant_id = k.tenant_id
         LEFT JOIN ${this.table('api_key_usage')} u ON u.key_id = k.id
        WHERE k.tenant_id = ? AND k.revoked_at IS NULL AND k.expires_at > ? ORDER BY k.created_at, k.id`,
      [tenantId, now],
    )) as Array<{ id: string; service_account_id: string; account_name: string; role: string; created_at: Date; expires_at: Date; last_used_at: Date | null }>;
    return rows.map((row) => ({
      id: row.id,
      serviceAccountId: row.service_account_id,
      serviceAccountName: row.account_name,
      role: parseTenantRole(row.role),
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
      lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    }));
  }

  /** Every member and service account of the tenant, used or not (the access review). */
  async tenantAccess(tenantId: string, now = new Date()): Promise<{ members: MemberAccessRow[]; serviceAccounts: ServiceAccountAccessRow[] }> {
    const members = (await this.db.query(
      `SELECT m.id, COALESCE(m.subject, b.subject) AS subject, m.email, m.role, m.created_at
         FROM ${this.table('tenant_members')} m LEFT JOIN ${this.table('member_bindings')} b ON b.member_id = m.id
        WHERE m.tenant_id = ? ORDER BY m.created_at, m.id`,
      [tenantId],
    )) as Array<{ id: string; subject: string | null; email: string | null; role: string; created_at: Date }>;
    const accounts = (await this.db.query(
      `SELECT s.id, s.name, s.role, s.created_at,
              SUM(CASE WHEN k.id IS NOT NULL AND k.revoked_at IS NULL AND k.expires_at > ? THEN 1 ELSE 0 END) AS active_keys,
              MAX(u.last_used_at) AS last_used_at
         FROM ${this.table('service_accounts')} s
         LEFT JOIN ${this.table('api_keys')} k ON k.service_account_id = s.id
         LEFT JOIN ${this.table('api_key_usage')} u ON u.key_id = k.id
        WHERE s.tenant_id = ? GROUP BY s.id, s.name, s.role, s.created_at ORDER BY s.created_at, s.id`,
      [now, tenantId],
    )) as Array<{ id: string; name: string; role: string; created_at: Date; active_keys: number | string | null; last_used_at: Date | null }>;
    return {
      members: members.map((m) => ({ id: m.id, subject: m.subject, email: m.email, role: parseTenantRole(m.role), createdAt: new Date(m.created_at) })),
      serviceAccounts: accounts.map((s) => ({
        id: s.id,
        name: s.name,
        role: parseTenantRole(s.role),
        createdAt: new Date(s.created_at),
        activeKeys: Number(s.active_keys ?? 0),
        lastUsedAt: s.last_used_at ? new Date(s.last_used_at) : null,
      })),
    };
  }
}
