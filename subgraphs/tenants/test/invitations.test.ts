import { errorCodes, expectNoErrors, startTestStack, withAuditDetails, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { quoteIdentifier, tenantSchemaName } from '@tessera/tenancy';
import { deprovisionAll, expectOnlyError, footprint, freshTenantId, nothing } from './support';
import { accessRows, auditActions, changeMemberRole, inviteMember, listMembers, memberFields, membersOf, removeMember, userToken, type MemberView } from './access-support';

const provision = `mutation Provision($input: ProvisionTenantInput!) {
  provisionTenant(input: $input) { created tenant { id status } initialAdmin { ${memberFields} expiresAt } }
}`;
const resend = `mutation Resend($id: ID!, $hours: Int, $tenantId: ID) { resendInvitation(id: $id, expiresInHours: $hours, tenantId: $tenantId) { ${memberFields} expiresAt } }`;
const revoke = `mutation Revoke($id: ID!, $tenantId: ID) { revokeInvitation(id: $id, tenantId: $tenantId) { ${memberFields} expiresAt } }`;
const listWithExpiry = `query Members($tenantId: ID) { members(tenantId: $tenantId) { ${memberFields} expiresAt } }`;
const createDataset = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id } }';
const datasets = '{ datasets { edges { node { id } } } }';
const auditEvents = '{ auditEvents(first: 100) { edges { node { action } } } }';

type Invitation = MemberView & { expiresAt: string | null };
type Provisioned = { provisionTenant: { created: boolean; tenant: { id: string; status: string }; initialAdmin: Invitation | null } };

const hour = 3_600_000;

function reasonOf(response: GraphQLResponse<unknown>): unknown {
  return (response.errors?.[0]?.extensions as Record<string, unknown> | undefined)?.['reason'];
}

/**
 * Invitations that expire, a new tenant's first admin, and the auditor role as a member, in
 * ROLE_SOURCE=members (roles from Tessera's members, never from the token). INVITATION_TTL_HOURS is
 * 48 here; expiry is reached by moving an invitation's `expires_at` into the past (as the migrator),
 * the clock stays real. The gateway caches memberships for a minute, so a change that holds on the
 * next request proves the announcement, not an expiry of the cache.
 */
describe('invitations, first admins and auditors (ROLE_SOURCE=members)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let platformAdmin: string;
  let admin: { token: string; subject: string };
  let globexAdmin: { token: string; subject: string };
  const provisioned: string[] = [];
  const control = () => quoteIdentifier(stack.config.database.controlSchema);

  beforeAll(async () => {
    stack = await startTestStack({ access: { roleSource: 'members', cacheTtlMs: 60_000 }, invitationTtlHours: 48 });
    acme = await stack.createTenant();
    globex = await stack.createTenant();
    platformAdmin = await stack.platformAdminToken();
    admin = await userToken(stack, acme.id, { roles: ['viewer'] });
    globexAdmin = await userToken(stack, globex.id, { roles: ['viewer'] });
    expectNoErrors(await stack.query(platformAdmin, inviteMember, { input: { tenantId: acme.id, subject: admin.subject, role: 'ADMIN' } }));
    expectNoErrors(await stack.query(platformAdmin, inviteMember, { input: { tenantId: globex.id, subject: globexAdmin.subject, role: 'ADMIN' } }));
  }, 120_000);
  afterAll(async () => {
    if (stack) await deprovisionAll(stack, provisioned);
    await stack?.stop();
  });

  /** Moves an invitation's expiry (the migrator's write: no API sets a past expiry). */
  async function expire(memberId: string): Promise<void> {
    await stack.adminQuery(`UPDATE ${control()}.tenant_members SET expires_at = ? WHERE id = ?`, [new Date(Date.now() - 60_000), memberId]);
  }

  async function securityLog(tenantId: string): Promise<Array<{ action: string; details: Record<string, unknown> }>> {
    const rows = await stack.adminQuery<Array<{ action: string; details_json: string | Record<string, unknown> }>>(
      `SELECT action, details_json FROM ${control()}.security_outbox WHERE tenant_id = ? UNION ALL SELECT action, details_json FROM ${control()}.security_events WHERE tenant_id = ?`,
      [tenantId, tenantId],
    );
    return rows.map((row) => ({ action: row.action, details: typeof row.details_json === 'string' ? (JSON.parse(row.details_json) as Record<string, unknown>) : row.details_json }));
  }

  describe('provisionTenant with the first admin', () => {
    it('is required in members mode, and bad input creates nothing', async () => {
      const id = freshTenantId('noadmin');
      const missing = await stack.query(platformAdmin, provision, { input: { id, displayName: 'No Admin', region: 'us-east-1' } });
      expectOnlyError(missing, 'BAD_USER_INPUT');
      expect((missing.errors?.[0]?.extensions as Record<string, unknown>)['field']).toBe('initialAdmin');
      for (const initialAdmin of [{}, { subject: 'a', email: 'a@example.com' }, { email: 'nope' }, { email: 'x@example.com', expiresInHours: 0 }, { subject: 'someone', expiresInHours: 5 }]) {
        const bad = await stack.query(platformAdmin, provision, { input: { id, displayName: 'No Admin', region: 'us-east-1', initialAdmin } });
        expectOnlyError(bad, 'BAD_USER_INPUT');
        expect(String((bad.errors?.[0]?.extensions as Record<string, unknown>)['field'])).toMatch(/^initialAdmin\./);
      }
      expect(await footprint(stack, id)).toEqual(nothing);
    });

    it('a subject becomes the tenant’s admin in the same step: it acts as admin at once; the platform admin still sees no tenant data', async () => {
      const id = freshTenantId('firstadm');
      provisioned.push(id);
      const first = await userToken(stack, id, { roles: ['viewer'] });
      const result = expectNoErrors(await stack.query<Provisioned>(platformAdmin, provision, { input: { id, displayName: 'First Admin', region: 'us-east-1', initialAdmin: { subject: first.subject } } })).provisionTenant;
      expect(result).toMatchObject({ created: true, tenant: { id, status: 'ACTIVE' }, initialAdmin: { subject: first.subject, role: 'ADMIN', status: 'ACTIVE', invitedBy: expect.any(String), expiresAt: null } });

      // Admin in the new tenant (its token claims only `viewer`): writes, manages members.
      expect(errorCodes(await stack.query(first.token, createDataset, { input: { name: 'first' } }))).toEqual([]);
      const colleague = await userToken(stack, id, { roles: [] });
      expect(errorCodes(await stack.query(first.token, inviteMember, { input: { subject: colleague.subject, role: 'VIEWER' } }))).toEqual([]);
      expect(errorCodes(await stack.query(colleague.token, datasets))).toEqual([]);

      // The platform admin manages the tenant, never its data.
      expectOnlyError(await stack.query(platformAdmin, datasets), 'FORBIDDEN');
      expectOnlyError(await stack.query(platformAdmin, auditEvents), 'FORBIDDEN');

      // The tenant's chain has the first admin's invitation, marked as such, and the provisioning; the security log names the admin.
      const chain = await auditActions(stack, tenantSchemaName(id), id);
      expect(chain.filter((e) => e.action === 'member.invite')[0]).toMatchObject({ target_id: result.initialAdmin!.id, outcome: 'SUCCESS' });
      // Chained details are kept sealed beside the chain: opened as the audit service reads them.
      const details = await withAuditDetails(stack, id, await stack.adminQuery<Array<{ seq: number; details_json: string | Record<string, unknown> }>>(`SELECT seq, details_json FROM \`${tenantSchemaName(id)}\`.audit_events WHERE action = 'member.invite' ORDER BY seq LIMIT 1`));
      const parsed = typeof details[0]!.details_json === 'string' ? (JSON.parse(details[0]!.details_json) as Record<string, unknown>) : details[0]!.details_json;
      expect(parsed).toMatchObject({ role: 'admin', subject: first.subject, initialAdmin: true });
      expect(chain.map((e) => e.action)).toEqual(expect.arrayContaining(['member.invite', 'tenant.provision']));
      expect((await securityLog(id)).find((e) => e.action === 'tenant.provision')?.details).toMatchObject({ initialAdminSubject: first.subject, initialAdminMember: result.initialAdmin!.id });

      // Provisioning again is idempotent: nothing new, the members as they are.
      const again = expectNoErrors(await stack.query<Provisioned>(platformAdmin, provision, { input: { id, displayName: 'First Admin', region: 'us-east-1', initialAdmin: { subject: 'someone-else' } } })).provisionTenant;
      expect(again).toMatchObject({ created: false, initialAdmin: null });
      expect((await membersOf(stack, id)).map((m) => m.subject).sort()).toEqual([first.subject, colleague.subject].sort());
    });

    it('an e-mail becomes an invitation with the default expiry, bound to the first verified sign-in as admin', async () => {
      const id = freshTenantId('mailadm');
      provisioned.push(id);
      const before = Date.now();
      const result = expectNoErrors(await stack.query<Provisioned>(platformAdmin, provision, { input: { id, displayName: 'Mail Admin', region: 'us-east-1', initialAdmin: { email: 'Owner@Example.com' } } })).provisionTenant;
      expect(result.initialAdmin).toMatchObject({ subject: null, email: 'owner@example.com', role: 'ADMIN', status: 'INVITED' });
      const expiresAt = Date.parse(result.initialAdmin!.expiresAt!);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 48 * hour - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 48 * hour + 1000);
      const owner = await userToken(stack, id, { email: 'owner@example.com', emailVerified: true });
      expect(errorCodes(await stack.query(owner.token, createDataset, { input: { name: 'owned' } }))).toEqual([]);
      expect((await membersOf(stack, id))[0]).toMatchObject({ subject: owner.subject, status: 'ACTIVE', role: 'ADMIN' });
    });
  });

  it('an address has one spelling: an invitation to an internationalised domain binds the sign-in that spells it in punycode, and the other spelling is a duplicate; quoted or broken local parts are refused', async () => {
    const invite = (email: string) => stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email, role: 'VIEWER' } });
    const invited = expectNoErrors(await invite('Rv@例え.JP')).inviteMember;
    expect(invited).toMatchObject({ email: 'rv@xn--r8jz45g.jp', status: 'INVITED' });
    expect(errorCodes(await invite('rv@xn--r8jz45g.jp'))).toEqual(['CONFLICT']);
    const before = await membersOf(stack, acme.id);
    for (const bad of ['rv"@example.com', 'a b@example.com', '.rv@example.com', 'rv.@example.com', 'r..v@example.com', 'rv(x)@example.com', 'rv@example', 'rv@exa mple.com', '@example.com', 'rv@', `rv@${'a'.repeat(64)}.com`, `rv@${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.com`]) {
      expect({ bad, codes: errorCodes(await invite(bad)) }).toEqual({ bad, codes: ['BAD_USER_INPUT'] });
    }
    expect(await membersOf(stack, acme.id)).toEqual(before);
    // The identity provider spells the verified address in ASCII: it is the invited member.
    const signedIn = await userToken(stack, acme.id, { email: 'rv@xn--r8jz45g.jp', emailVerified: true });
    expect(errorCodes(await stack.query(signedIn.token, '{ datasets { edges { node { id } } } }'))).toEqual([]);
    expect((await membersOf(stack, acme.id)).find((member) => member.id === invited.id)).toMatchObject({ subject: signedIn.subject, status: 'ACTIVE' });
  });

  it('a domain written with percent escapes or as a number is no address: no invitation is made of it, and a verified token address spelt so binds nobody else’s invitation', async () => {
    // A URL host parser decodes `%6f` to `o` and reads `0x7f.1` as 127.0.0.1: other strings, not other spellings of one address.
    const victim = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'victim.rv@corp.com', role: 'ADMIN' } })).inviteMember;
    const before = await accessRows(stack, acme.id);
    for (const bad of ['victim.rv@corp.c%6fm', 'other.rv@corp%2ecom', 'rv@0x7f.1', 'rv@127.1', 'rv@-corp.com', 'rv@corp-.com', 'rv@my_host.com']) {
      expect({ bad, codes: errorCodes(await stack.query(admin.token, inviteMember, { input: { email: bad, role: 'VIEWER' } })) }).toEqual({ bad, codes: ['BAD_USER_INPUT'] });
    }
    // An identity provider that verified the escaped spelling (no mail can reach it) does not make its holder the victim.
    const impostor = await userToken(stack, acme.id, { email: 'victim.rv@corp.c%6fm', emailVerified: true });
    expectOnlyError(await stack.query(impostor.token, datasets), 'FORBIDDEN');
    expect(await accessRows(stack, acme.id)).toEqual(before);
    expect((await membersOf(stack, acme.id)).find((member) => member.id === victim.id)).toMatchObject({ subject: null, status: 'INVITED' });
    expectNoErrors(await stack.query(admin.token, removeMember, { id: victim.id }));
  });

  describe('invitations expire', () => {
    it('an invitation carries the default expiry, or one asked for within bounds', async () => {
      const before = Date.now();
      const byDefault = expectNoErrors(await stack.query<{ inviteMember: Invitation }>(admin.token, `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { ${memberFields} expiresAt } }`, { input: { email: 'default@example.com', role: 'VIEWER' } })).inviteMember;
      expect(Date.parse(byDefault.expiresAt!) - before).toBeGreaterThanOrEqual(48 * hour - 1000);
      expect(Date.parse(byDefault.expiresAt!) - Date.now()).toBeLessThanOrEqual(48 * hour + 1000);
      const short = expectNoErrors(await stack.query<{ inviteMember: Invitation }>(admin.token, `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { ${memberFields} expiresAt } }`, { input: { email: 'short@example.com', role: 'VIEWER', expiresInHours: 2 } })).inviteMember;
      expect(Math.abs(Date.parse(short.expiresAt!) - (Date.now() + 2 * hour))).toBeLessThan(5_000);
      // A member by subject is a member at once: no expiry, and asking for one is bad input.
      const member = await userToken(stack, acme.id);
      expect(expectNoErrors(await stack.query<{ inviteMember: Invitation }>(admin.token, `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { ${memberFields} expiresAt } }`, { input: { subject: member.subject, role: 'VIEWER' } })).inviteMember.expiresAt).toBeNull();
      const rowsBefore = await stack.adminQuery(`SELECT * FROM ${control()}.tenant_members WHERE tenant_id = ? ORDER BY id`, [acme.id]);
      for (const input of [{ email: 'a@example.com', role: 'VIEWER', expiresInHours: 0 }, { email: 'b@example.com', role: 'VIEWER', expiresInHours: 721 }, { subject: 'subject-x', role: 'VIEWER', expiresInHours: 3 }]) {
        expectOnlyError(await stack.query(admin.token, inviteMember, { input }), 'BAD_USER_INPUT');
      }
      expect(await stack.adminQuery(`SELECT * FROM ${control()}.tenant_members WHERE tenant_id = ? ORDER BY id`, [acme.id])).toEqual(rowsBefore);
    });

    it('an expired invitation is listed as EXPIRED and cannot be accepted (FORBIDDEN, reason INVITATION_EXPIRED); re-sent, it can', async () => {
      const invitation = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'late@example.com', role: 'DATA_SCIENTIST' } })).inviteMember;
      await expire(invitation.id);
      const listed = expectNoErrors(await stack.query<{ members: Invitation[] }>(admin.token, listWithExpiry)).members.find((m) => m.id === invitation.id)!;
      expect(listed.status).toBe('EXPIRED');
      expect(Date.parse(listed.expiresAt!)).toBeLessThan(Date.now());

      const late = await userToken(stack, acme.id, { email: 'late@example.com', emailVerified: true });
      const refused = await stack.query(late.token, datasets);
      expectOnlyError(refused, 'FORBIDDEN');
      expect(reasonOf(refused)).toBe('INVITATION_EXPIRED');
      expect(await stack.adminQuery(`SELECT * FROM ${control()}.member_bindings WHERE member_id = ?`, [invitation.id])).toEqual([]);
      // Someone never invited is told so, differently.
      const stranger = await userToken(stack, acme.id, { email: 'stranger@example.com', emailVerified: true });
      expect(reasonOf(await stack.query(stranger.token, datasets))).toBe('NOT_A_MEMBER');

      // Re-sent: a new expiry from now, audited; the gateway forgets the refusal at once.
      const resent = expectNoErrors(await stack.query<{ resendInvitation: Invitation }>(admin.token, resend, { id: invitation.id, hours: 1 })).resendInvitation;
      expect(resent.status).toBe('INVITED');
      expect(Math.abs(Date.parse(resent.expiresAt!) - (Date.now() + hour))).toBeLessThan(5_000);
      expect(errorCodes(await stack.query(late.token, createDataset, { input: { name: 'by-late' } }))).toEqual([]);
      const bound = (await membersOf(stack, acme.id)).find((m) => m.id === invitation.id)!;
      expect(bound).toMatchObject({ subject: late.subject, status: 'ACTIVE', role: 'DATA_SCIENTIST' });

      // A member who signed in is no invitation any more.
      const again = await stack.query(admin.token, resend, { id: invitation.id });
      expectOnlyError(again, 'CONFLICT');
      expect(reasonOf(again)).toBe('NOT_AN_INVITATION');
      expect(reasonOf(await stack.query(admin.token, revoke, { id: invitation.id }))).toBe('NOT_AN_INVITATION');

      const chain = await auditActions(stack, acme.schema, acme.id);
      expect(chain.filter((e) => e.target_id === invitation.id).map((e) => e.action)).toEqual(['member.invite', 'member.invitation_resend']);
    });

    it('a pending or expired invitation can be revoked: audited, and its address then gets NOT_A_MEMBER', async () => {
      const pending = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'gone@example.com', role: 'VIEWER' } })).inviteMember;
      const expired = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'gone-too@example.com', role: 'ADMIN' } })).inviteMember;
      await expire(expired.id);
      expect(expectNoErrors(await stack.query<{ revokeInvitation: Invitation }>(admin.token, revoke, { id: pending.id })).revokeInvitation).toMatchObject({ id: pending.id, status: 'INVITED' });
      expect(expectNoErrors(await stack.query<{ revokeInvitation: Invitation }>(admin.token, revoke, { id: expired.id })).revokeInvitation).toMatchObject({ id: expired.id, status: 'EXPIRED' });
      const remaining = (await membersOf(stack, acme.id)).map((m) => m.id);
      expect(remaining).not.toContain(pending.id);
      expect(remaining).not.toContain(expired.id);
      const gone = await userToken(stack, acme.id, { email: 'gone@example.com', emailVerified: true });
      expect(reasonOf(await stack.query(gone.token, datasets))).toBe('NOT_A_MEMBER');
      const chain = await auditActions(stack, acme.schema, acme.id);
      expect(chain.filter((e) => e.action === 'member.invitation_revoke').map((e) => e.target_id)).toEqual([pending.id, expired.id]);
      // Revoking again: it is gone.
      expectOnlyError(await stack.query(admin.token, revoke, { id: pending.id }), 'NOT_FOUND');
    });

    it('an admin e-mail invitation nobody accepted, pending or expired, does not keep the last admin: demoting or removing it is still LAST_ADMIN', async () => {
      // A pending invitation can be revoked with no last-admin rule and expires on its own: had it
      // counted, the last admin who can sign in could step down and leave the tenant with none.
      const standIn = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'stand-in@example.com', role: 'ADMIN' } })).inviteMember;
      const me = (await membersOf(stack, acme.id)).find((m) => m.subject === admin.subject)!;
      const before = await membersOf(stack, acme.id);
      expect(reasonOf(await stack.query(admin.token, changeMemberRole, { id: me.id, role: 'VIEWER' }))).toBe('LAST_ADMIN');
      expect(reasonOf(await stack.query(admin.token, removeMember, { id: me.id }))).toBe('LAST_ADMIN');
      await expire(standIn.id);
      expect(reasonOf(await stack.query(admin.token, changeMemberRole, { id: me.id, role: 'VIEWER' }))).toBe('LAST_ADMIN');
      expect((await membersOf(stack, acme.id)).map((m) => [m.id, m.role])).toEqual(before.map((m) => [m.id, m.role]));
      // Re-sent and accepted (the invitee signs in, the invitation binds): now it counts, and the
      // first admin may step down; then everything is put back.
      expectNoErrors(await stack.query(admin.token, resend, { id: standIn.id, hours: 1 }));
      const signedIn = await userToken(stack, acme.id, { email: 'stand-in@example.com', emailVerified: true });
      expectNoErrors(await stack.query(signedIn.token, datasets));
      expectNoErrors(await stack.query(admin.token, changeMemberRole, { id: me.id, role: 'VIEWER' }));
      expectNoErrors(await stack.query(signedIn.token, changeMemberRole, { id: me.id, role: 'ADMIN' }));
      expectNoErrors(await stack.query(admin.token, removeMember, { id: standIn.id }));
      expect((await membersOf(stack, acme.id)).map((m) => [m.id, m.role])).toEqual(before.filter((m) => m.id !== standIn.id).map((m) => [m.id, m.role]));
    });

    it('only admins re-send or revoke, and tenant B’s admin gets NOT_FOUND for A’s invitations (recorded)', async () => {
      const invitation = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'guarded@example.com', role: 'VIEWER' } })).inviteMember;
      const viewer = await userToken(stack, acme.id);
      expectNoErrors(await stack.query(admin.token, inviteMember, { input: { subject: viewer.subject, role: 'VIEWER' } }));
      expectOnlyError(await stack.query(viewer.token, resend, { id: invitation.id }), 'FORBIDDEN');
      expectOnlyError(await stack.query(viewer.token, revoke, { id: invitation.id }), 'FORBIDDEN');
      expectOnlyError(await stack.query(globexAdmin.token, resend, { id: invitation.id }), 'NOT_FOUND');
      expectOnlyError(await stack.query(globexAdmin.token, revoke, { id: invitation.id }), 'NOT_FOUND');
      expectOnlyError(await stack.query(globexAdmin.token, resend, { id: invitation.id, tenantId: acme.id }), 'NOT_FOUND');
      expect((await membersOf(stack, acme.id)).find((m) => m.id === invitation.id)).toMatchObject({ status: 'INVITED' });
      const attempts = (await auditActions(stack, globex.schema, globex.id)).filter((e) => e.action === 'cross_tenant_attempt' && e.target_id === invitation.id);
      expect(attempts).toHaveLength(2);
      expectOnlyError(await stack.query(admin.token, resend, { id: 'not-a-uuid' }), 'BAD_USER_INPUT');
      expectOnlyError(await stack.query(admin.token, resend, { id: invitation.id, hours: 1000 }), 'BAD_USER_INPUT');
    });
  });

  it('an auditor member reads the trail and who holds access, changes nothing, and loses it at once when its role changes', async () => {
    const auditor = await userToken(stack, acme.id, { roles: ['admin'] });
    const member = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: auditor.subject, role: 'AUDITOR' } })).inviteMember;
    expect(member.role).toBe('AUDITOR');
    expect(errorCodes(await stack.query(auditor.token, auditEvents))).toEqual([]);
    expect(errorCodes(await stack.query(auditor.token, listMembers))).toEqual([]);
    expect(errorCodes(await stack.query(auditor.token, datasets))).toEqual([]);
    // The token's `admin` claim counts for nothing: no writes, no member management.
    expectOnlyError(await stack.query(auditor.token, createDataset, { input: { name: 'by-auditor' } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(auditor.token, inviteMember, { input: { email: 'x@example.com', role: 'VIEWER' } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(auditor.token, listMembers, { tenantId: globex.id }), 'NOT_FOUND');

    const report = expectNoErrors(
      await stack.query<{ accessReport: { members: Array<{ memberId: string; role: string }> } }>(admin.token, 'query($from: DateTime!, $to: DateTime!) { accessReport(from: $from, to: $to) { members { memberId role } } }', {
        from: new Date(Date.now() - hour).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      }),
    ).accessReport;
    expect(report.members.find((m) => m.memberId === member.id)?.role).toBe('auditor');

    expectNoErrors(await stack.query(admin.token, changeMemberRole, { id: member.id, role: 'VIEWER' }));
    expectOnlyError(await stack.query(auditor.token, auditEvents), 'FORBIDDEN');
  });
});
