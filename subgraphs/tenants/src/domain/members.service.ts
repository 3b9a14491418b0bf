import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { isDuplicateKey, parseUuid } from '@tessera/service-kit';
import type { TenantStore } from '@tessera/tenancy';
import { accessRepository as repo, type MemberRow } from '../data/access.repository';
import type { AccessChangePublisher } from './access-change-publisher';
import { managedTenant, notFoundInTenant, recordAccessEvent } from './access-admin';
import { parseEmail, parseSubject, roleFromEnum } from './access-input';

export interface AccessAdminDeps {
  db: DataSource;
  tenants: TenantStore;
  changes: AccessChangePublisher;
}

export interface InviteMemberInput {
  subject?: string | null;
  email?: string | null;
  role: unknown;
  tenantId?: string | null;
}

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
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps.tenants);
    return repo.listMembers(this.deps.db.manager, tenantId);
  }

  async invite(input: InviteMemberInput): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, input.tenantId, this.deps.tenants);
    const hasSubject = input.subject !== undefined && input.subject !== null;
    const hasEmail = input.email !== undefined && input.email !== null;
    if (hasSubject === hasEmail) throw errors.badInput('Invite by exactly one of subject or email.', { field: hasSubject ? 'email' : 'subject' });
    const subject = hasSubject ? parseSubject(input.subject) : null;
    const email = hasEmail ? parseEmail(input.email) : null;
    const role = roleFromEnum(input.role);
    const now = new Date();
    const id = randomUUID();
    try {
      await this.deps.db.transaction(async (manager) => {
        if (subject && (await repo.subjectIsMember(manager, tenantId, subject))) throw errors.conflict('This subject is already a member of the tenant.', { field: 'subject' });
        await repo.insertMember(manager, { id, tenantId, subject, email, role, invitedBy: this.principal.subject, createdAt: now, updatedAt: now });
        await recordAccessEvent(manager, this.principal, tenantId, {
          action: 'member.invite',
          targetType: 'Member',
          targetId: id,
          details: { role, ...(subject ? { subject } : {}), ...(email ? { email } : {}) },
        });
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict(`This ${subject ? 'subject' : 'e-mail address'} is already a member of the tenant.`, { field: subject ? 'subject' : 'email' });
      throw error;
    }
    await this.deps.changes.tenantChanged(tenantId);
    return (await repo.findMember(this.deps.db.manager, tenantId, id))!;
  }

  async changeRole(idArg: string, roleArg: unknown, tenantIdArg?: string | null): Promise<MemberRow> {
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps.tenants);
    const id = parseUuid(idArg, 'id');
    const role = roleFromEnum(roleArg);
    const changed = await this.deps.db.transaction(async (manager) => {
      const admins = await repo.lockAdmins(manager, tenantId);
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
    const tenantId = await managedTenant(this.principal, tenantIdArg, this.deps.tenants);
    const id = parseUuid(idArg, 'id');
    const removed = await this.deps.db.transaction(async (manager) => {
      const admins = await repo.lockAdmins(manager, tenantId);
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
