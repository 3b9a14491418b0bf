import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { recordTenantAuditEvent, type AuditEventInput } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { isDuplicateKey, parseUuid } from '@tessera/service-kit';
import type { TenantStore } from '@tessera/tenancy';
import { accessRepository as repo, type MemberRow } from '../data/access.repository';
import type { AccessChangePublisher } from './access-change-publisher';
import { reserveAccessRoom } from './access-caps';
import { assertStillAdmin, managedTenant, notFoundInTenant, recordAccessEvent } from './access-admin';
import { invitationExpiry, parseEmail, parseSubject, roleFromEnum } from './access-input';

export interface AccessAdminDeps {
  db: DataSource;
  tenants: TenantStore;
  changes: AccessChangePublisher;
  /** INVITATION_TTL_HOURS: how long an e-mail invitation may be accepted unless the invite says otherwise. */
  invitationTtlHours: number;
  /** ROLE_SOURCE, as the gateway's: with `members` each change checks again that its author is still an admin (assertStillAdmin). */
  roleSource: 'claims' | 'members';
}

export interface InviteMemberInput {
  subject?: string | null;
  email?: string | null;
  role: unknown;
  expiresInHours?: unknown;
  tenantId?: string | null;
}

/** A member by subject, or an e-mail invitation with its expiry: validated, not yet stored. */
export interface NewMember {
  subject: string | null;
  email: string | null;
  expiresAt: Date | null;
}

/** Exactly one of subject or e-mail; an e-mail invitation gets an expiry, a subject is a member at once. */
export function parseNewMember(input: { subject?: unknown; email?: unknown; expiresInHours?: unknown }, invitationTtlHours: number, now: Date): NewMember {
  const hasSubject = input.subject !== undefined && input.subject !== null;
  const hasEmail = input.email !== undefined && input.email !== null;
  if (hasSubject === hasEmail) throw errors.badInput('Invite by exactly one of subject or email.', { field: hasSubject ? 'email' : 'subject' });
  if (hasSubject && input.expiresInHours !== undefined && input.expiresInHours !== null) {
    throw errors.badInput('expiresInHours is for e-mail invitations: a subject is a member at once.', { field: 'expiresInHours' });
  }
  return {
    subject: hasSubject ? parseSubject(input.subject) : null,
    email: hasEmail ? parseEmail(input.email) : null,
    expiresAt: hasEmail ? invitationExpiry(input.expiresInHours, invitationTtlHours, now) : null,
  };
}

/** An e-mail invitation nobody has signed in with yet (pending or expired). */
export function isPendingInvitation(member: MemberRow): boolean {
  return member.subject === null && member.boundSubject === null;
}

export function invitationExpired(member: MemberRow, now = new Date()): boolean {
  return isPendingInvitation(member) && member.expiresAt !== null && member.expiresAt.getTime() <= now.getTime();
}

/**
 * Stores a member and its `member.invite` event in the caller's transaction: by an admin's
 * invitation, or as a new tenant's first admin during provisioning (`initialAdmin: true`), whose
 * event goes to the tenant's log only (the security log gets it with `tenant.provision`, once the
 * tenant exists for good).
 */
export async function insertMember(
  manager: EntityManager,
  actor: Principal,
  tenantId: string,
  member: NewMember,
  role: MemberRow['role'],
  now: Date,
  options: { initialAdmin?: boolean } = {},
): Promise<string> {
  const id = randomUUID();
  if (member.subject && (await repo.subjectIsMember(manager, tenantId, member.subject))) throw errors.conflict('This subject is already a member of the tenant.', { field: 'subject' });
  await repo.insertMember(manager, { id, tenantId, subject: member.subject, email: member.email, role, invitedBy: actor.subject, expiresAt: member.expiresAt, createdAt: now, updatedAt: now });
  const record = options.initialAdmin ? (m: EntityManager, a: Principal, t: string, e: AuditEventInput) => recordTenantAuditEvent(m, t, a, e) : recordAccessEvent;
  await record(manager, actor, tenantId, {
    action: 'member.invite',
    targetType: 'Member',
    targetId: id,
    details: {
      role,
      ...(member.subject ? { subject: member.subject } : {}),
      ...(member.email ? { email: member.email } : {}),
      ...(member.expiresAt ? { expiresAt: member.expiresAt.toISOString() } : {}),
      ...(options.initialAdmin ? { initialAdmin: true } : {}),
    },
  });
  return id;
}

const notAnInvitation = () => errors.conflict('This member has signed in already: it is no invitation any more (use changeMemberRole or removeMember).', { reason: 'NOT_AN_INVITATION' });

const lastAdmin = () => errors.conflict('A tenant keeps at least one admin: invite or promote another admin first.', { reason: 'LAST_ADMIN' });

/**
 * A tenant's members and their roles. Only the tenant's admins (and platform admins, naming the
 * tenant) manage them; every change is audited in the tenant's chain in its own transaction and
 * announced to the gateways, so a removal or demotion holds on the member's next request.
 */
export class MembersService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: AccessAdminDeps,
  ) {}

  async list(tenantIdArg?: string | null): Promise<MemberRow[]> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps, 'read');
    return repo.listMembers(this.deps.db.manager, tenantId);
  }

  async invite(input: InviteMemberInput): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, input.tenantId, this.deps);
    const now = new Date();
    const member = parseNewMember(input, this.deps.invitationTtlHours, now);
    const role = roleFromEnum(input.role);
    let id: string;
    try {
      id = await this.deps.db.transaction(async (manager) => {
        await reserveAccessRoom(manager, this.deps.tenants, tenantId, 'members');
        await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
        return insertMember(manager, this.principal, tenantId, member, role, now);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict(`This ${member.subject ? 'subject' : 'e-mail address'} is already a member of the tenant.`, { field: member.subject ? 'subject' : 'email' });
      throw error;
    }
    await this.deps.changes.tenantChanged(tenantId);
    return (await repo.findMember(this.deps.db.manager, tenantId, id))!;
  }

  /** A new expiry for an invitation not yet accepted (pending or expired), from now. */
  async resendInvitation(idArg: string, expiresInHours: unknown, tenantIdArg?: string | null): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseUuid(idArg, 'id');
    const now = new Date();
    const expiresAt = invitationExpiry(expiresInHours, this.deps.invitationTtlHours, now);
    const result = await this.deps.db.transaction(async (manager) => {
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const member = await repo.findMember(manager, tenantId, id, true);
      if (!member) return { missing: await repo.ownerOf(manager, 'tenant_members', id) };
      if (!isPendingInvitation(member)) throw notAnInvitation();
      await repo.setInvitationExpiry(manager, tenantId, id, expiresAt, now);
      await recordAccessEvent(manager, this.principal, tenantId, {
        action: 'member.invitation_resend',
        targetType: 'Member',
        targetId: id,
        details: { email: member.email ?? '', expiresAt: expiresAt.toISOString(), ...(member.expiresAt ? { previousExpiresAt: member.expiresAt.toISOString() } : {}), wasExpired: invitationExpired(member, now) },
      });
      return { member: { ...member, expiresAt, updatedAt: now } };
    });
    if ('missing' in result) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, result.missing, 'Member', id);
    await this.deps.changes.tenantChanged(tenantId);
    return result.member;
  }

  /** Withdraws an invitation not yet accepted; a member who signed in is removed with removeMember instead. */
  async revokeInvitation(idArg: string, tenantIdArg?: string | null): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseUuid(idArg, 'id');
    const result = await this.deps.db.transaction(async (manager) => {
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const member = await repo.findMember(manager, tenantId, id, true);
      if (!member) return { missing: await repo.ownerOf(manager, 'tenant_members', id) };
      if (!isPendingInvitation(member)) throw notAnInvitation();
      // A pending invitation grants nothing yet, so even an admin invitation may go: no last-admin rule.
      await repo.deleteMember(manager, tenantId, id);
      await recordAccessEvent(manager, this.principal, tenantId, {
        action: 'member.invitation_revoke',
        targetType: 'Member',
        targetId: id,
        details: { role: member.role, email: member.email ?? '', expired: invitationExpired(member) },
      });
      return { member };
    });
    if ('missing' in result) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, result.missing, 'Member', id);
    await this.deps.changes.tenantChanged(tenantId);
    return result.member;
  }

  async changeRole(idArg: string, roleArg: unknown, tenantIdArg?: string | null): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseUuid(idArg, 'id');
    const role = roleFromEnum(roleArg);
    const changed = await this.deps.db.transaction(async (manager) => {
      const admins = await repo.lockAdmins(manager, tenantId);
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const member = await repo.findMember(manager, tenantId, id, true);
      if (!member) return { missing: await repo.ownerOf(manager, 'tenant_members', id) };
      if (member.role === role) return { member };
      if (member.role === 'admin' && admins.filter((other) => other !== id).length === 0) throw lastAdmin();
      const at = new Date();
      await repo.setMemberRole(manager, tenantId, id, role, at);
      await recordAccessEvent(manager, this.principal, tenantId, { action: 'member.role_change', targetType: 'Member', targetId: id, details: { role, previousRole: member.role } });
      return { member: { ...member, role, updatedAt: at }, changed: true };
    });
    if ('missing' in changed) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, changed.missing, 'Member', id);
    if (changed.changed) await this.deps.changes.tenantChanged(tenantId);
    return changed.member;
  }

  async remove(idArg: string, tenantIdArg?: string | null): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps);
    const id = parseUuid(idArg, 'id');
    const removed = await this.deps.db.transaction(async (manager) => {
      const admins = await repo.lockAdmins(manager, tenantId);
      await assertStillAdmin(manager, this.principal, tenantId, this.deps.roleSource);
      const member = await repo.findMember(manager, tenantId, id, true);
      if (!member) return { missing: await repo.ownerOf(manager, 'tenant_members', id) };
      if (member.role === 'admin' && admins.filter((other) => other !== id).length === 0) throw lastAdmin();
      await repo.deleteMember(manager, tenantId, id);
      await recordAccessEvent(manager, this.principal, tenantId, {
        action: 'member.remove',
        targetType: 'Member',
        targetId: id,
        details: { role: member.role, ...(member.subject ?? member.boundSubject ? { subject: member.subject ?? member.boundSubject } : {}), ...(member.email ? { email: member.email } : {}) },
      });
      return { member };
    });
    if ('missing' in removed) throw await notFoundInTenant(this.deps.db, this.principal, tenantId, removed.missing, 'Member', id);
    await this.deps.changes.tenantChanged(tenantId);
    return removed.member;
  }
}
