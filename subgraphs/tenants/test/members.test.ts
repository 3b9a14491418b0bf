import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { expectOnlyError } from './support';
import { AccessDirectory } from '@tessera/tenants/ports';
import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';
import { accessRows, auditActions, changeMemberRole, openSubscription, createApiKey, createServiceAccount, deleteServiceAccount, inviteMember, listMembers, membersOf, removeMember, userToken, type MemberView, type ServiceAccountView } from './access-support';

const accessReport = `query Report($from: DateTime!, $to: DateTime!) { accessReport(from: $from, to: $to) {
  members { memberId subject email role eventCount lastActivityAt neverActive accessed { targetType actions } }
  serviceAccounts { serviceAccountId name subject role activeKeys eventCount lastActivityAt neverActive accessed { targetType actions } }
} }`;

interface Review {
  subject: string | null;
  role: string;
  eventCount: number;
  lastActivityAt: string | null;
  neverActive: boolean;
  accessed: Array<{ targetType: string; actions: string[] }>;
}

const createDataset = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }';
const datasets = '{ datasets { edges { node { id } } } }';

/**
 * Members in ROLE_SOURCE=members: roles come from Tessera's membership, never from the token. The
 * gateway's cache lives a minute here, so a change that holds on the very next request proves the
 * announcement over Redis dropped it, not an expiry.
 */
describe('members (ROLE_SOURCE=members)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let platformAdmin: string;
  // acme's first admin: its token claims only `viewer`, its role comes from the membership.
  let admin: { token: string; subject: string };
  let adminMember: MemberView;
  let globexAdmin: { token: string; subject: string };

  beforeAll(async () => {
    stack = await startTestStack({ access: { roleSource: 'members', cacheTtlMs: 60_000 } });
    acme = await stack.createTenant();
    globex = await stack.createTenant();
    platformAdmin = await stack.platformAdminToken();
    admin = await userToken(stack, acme.id, { roles: ['viewer'] });
    globexAdmin = await userToken(stack, globex.id, { roles: ['admin'] });
    expectNoErrors(await stack.query(platformAdmin, inviteMember, { input: { tenantId: globex.id, subject: globexAdmin.subject, role: 'ADMIN' } }));
  }, 120_000);
  afterAll(() => stack?.stop());

  it('a signed-in user who is no member is FORBIDDEN everywhere, whatever roles the token claims', async () => {
    const outsider = await userToken(stack, acme.id, { roles: ['admin'] });
    expectOnlyError(await stack.query(outsider.token, datasets), 'FORBIDDEN');
    expectOnlyError(await stack.query(outsider.token, '{ currentTenant { id } }'), 'FORBIDDEN');
    expectOnlyError(await stack.query(outsider.token, listMembers), 'FORBIDDEN');
  });

  it('a platform admin invites the first admin; the role then comes from the membership, not the token', async () => {
    expectOnlyError(await stack.query(admin.token, listMembers), 'FORBIDDEN');
    adminMember = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(platformAdmin, inviteMember, { input: { tenantId: acme.id, subject: admin.subject, role: 'ADMIN' } })).inviteMember;
    expect(adminMember).toMatchObject({ subject: admin.subject, email: null, role: 'ADMIN', status: 'ACTIVE' });
    // At once (the gateway had cached "not a member" a moment ago), and as admin although the token says viewer.
    const listed = expectNoErrors(await stack.query<{ members: MemberView[] }>(admin.token, listMembers)).members;
    expect(listed.map((m) => [m.subject, m.role])).toEqual([[admin.subject, 'ADMIN']]);
    expect(errorCodes(await stack.query(admin.token, createDataset, { input: { name: 'by-admin' } }))).toEqual([]);
  });

  it('invite, change role and remove: each holds on the next request and is in the tenant’s audit chain', async () => {
    const user = await userToken(stack, acme.id, { roles: ['admin'] });
    const invited = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: user.subject, role: 'VIEWER' } })).inviteMember;
    expect(invited).toMatchObject({ subject: user.subject, role: 'VIEWER', status: 'ACTIVE', invitedBy: admin.subject });

    // A viewer (the token's `admin` claim counts for nothing): reads, cannot write, cannot manage members.
    expect(errorCodes(await stack.query(user.token, datasets))).toEqual([]);
    expectOnlyError(await stack.query(user.token, createDataset, { input: { name: 'by-viewer' } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(user.token, listMembers), 'FORBIDDEN');

    const promoted = expectNoErrors(await stack.query<{ changeMemberRole: MemberView }>(admin.token, changeMemberRole, { id: invited.id, role: 'DATA_SCIENTIST' })).changeMemberRole;
    expect(promoted.role).toBe('DATA_SCIENTIST');
    expect(errorCodes(await stack.query(user.token, createDataset, { input: { name: 'by-scientist' } }))).toEqual([]);

    const demoted = expectNoErrors(await stack.query<{ changeMemberRole: MemberView }>(admin.token, changeMemberRole, { id: invited.id, role: 'VIEWER' })).changeMemberRole;
    expect(demoted.role).toBe('VIEWER');
    expectOnlyError(await stack.query(user.token, createDataset, { input: { name: 'after-demotion' } }), 'FORBIDDEN');

    const removed = expectNoErrors(await stack.query<{ removeMember: MemberView }>(admin.token, removeMember, { id: invited.id })).removeMember;
    expect(removed.id).toBe(invited.id);
    // Refused on the very next request: no waiting for the cache.
    expectOnlyError(await stack.query(user.token, datasets), 'FORBIDDEN');
    expect((await membersOf(stack, acme.id)).map((m) => m.id)).not.toContain(invited.id);

    const events = (await auditActions(stack, acme.schema, acme.id)).filter((e) => e.target_id === invited.id);
    expect(events.map((e) => [e.action, e.actor_subject, e.outcome])).toEqual([
      ['member.invite', admin.subject, 'SUCCESS'],
      ['member.role_change', admin.subject, 'SUCCESS'],
      ['member.role_change', admin.subject, 'SUCCESS'],
      ['member.remove', admin.subject, 'SUCCESS'],
    ]);
  });

  it('the last admin can be neither demoted nor removed (CONFLICT, reason LAST_ADMIN), by itself or by a platform admin', async () => {
    const before = await accessRows(stack, acme.id);
    for (const [token, query, variables] of [
      [admin.token, changeMemberRole, { id: adminMember.id, role: 'VIEWER' }],
      [admin.token, removeMember, { id: adminMember.id }],
      [platformAdmin, changeMemberRole, { id: adminMember.id, role: 'DATA_SCIENTIST', tenantId: acme.id }],
      [platformAdmin, removeMember, { id: adminMember.id, tenantId: acme.id }],
    ] as const) {
      const res = await stack.query(token, query, variables);
      expectOnlyError(res, 'CONFLICT');
      expect(res.errors?.[0]?.extensions?.['reason']).toBe('LAST_ADMIN');
    }
    expect(await accessRows(stack, acme.id)).toEqual(before);

    // With a second admin, the first may step down; then the second is the last one.
    const second = await userToken(stack, acme.id);
    const secondMember = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: second.subject, role: 'ADMIN' } })).inviteMember;
    expect(expectNoErrors(await stack.query<{ changeMemberRole: MemberView }>(admin.token, changeMemberRole, { id: adminMember.id, role: 'DATA_SCIENTIST' })).changeMemberRole.role).toBe('DATA_SCIENTIST');
    expectOnlyError(await stack.query(admin.token, listMembers), 'FORBIDDEN');
    const last = await stack.query(second.token, removeMember, { id: secondMember.id });
    expect(last.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'LAST_ADMIN' });
    // Back as it was: the first admin is promoted again, the second leaves.
    expectNoErrors(await stack.query(second.token, changeMemberRole, { id: adminMember.id, role: 'ADMIN' }));
    expectNoErrors(await stack.query(admin.token, removeMember, { id: secondMember.id }));
    expectOnlyError(await stack.query(second.token, datasets), 'FORBIDDEN');
  });

  it('an e-mail invitation binds to the first sign-in whose token carries that e-mail verified, and only that subject', async () => {
    const invited = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'Dana.Example@Example.COM', role: 'DATA_SCIENTIST' } })).inviteMember;
    expect(invited).toMatchObject({ subject: null, email: 'dana.example@example.com', role: 'DATA_SCIENTIST', status: 'INVITED' });

    const unverified = await userToken(stack, acme.id, { email: 'dana.example@example.com', emailVerified: false });
    expectOnlyError(await stack.query(unverified.token, datasets), 'FORBIDDEN');

    const dana = await userToken(stack, acme.id, { email: 'DANA.example@example.com', emailVerified: true });
    expect(errorCodes(await stack.query(dana.token, createDataset, { input: { name: 'by-dana' } }))).toEqual([]);
    const bound = (await membersOf(stack, acme.id)).find((m) => m.id === invited.id);
    expect(bound).toMatchObject({ subject: dana.subject, status: 'ACTIVE' });

    // The invitation is used: another subject with the same verified e-mail is not Dana.
    const impostor = await userToken(stack, acme.id, { email: 'dana.example@example.com', emailVerified: true });
    expectOnlyError(await stack.query(impostor.token, datasets), 'FORBIDDEN');
    // Removing the member removes the binding: Dana is out at once.
    expectNoErrors(await stack.query(admin.token, removeMember, { id: invited.id }));
    expectOnlyError(await stack.query(dana.token, datasets), 'FORBIDDEN');
  });

  it('a membership matches its subject and e-mail address exactly: another subject or address that differs in case, accents or compatibility characters is no member', async () => {
    // A subject differing from the member's only in letter case is another identity at the IdP.
    const lookalike = await userToken(stack, acme.id, { roles: ['admin'] });
    const swapped = [...lookalike.subject].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    expect(swapped).not.toBe(lookalike.subject);
    const bySubject = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: swapped, role: 'ADMIN' } })).inviteMember;
    expectOnlyError(await stack.query(lookalike.token, datasets), 'FORBIDDEN');

    // Verified addresses that are other mailboxes: an accent, a Kelvin sign (U+212A lowercases to "k").
    const jose = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'jose.rv@example.com', role: 'ADMIN' } })).inviteMember;
    const kim = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'kim.rv@example.com', role: 'ADMIN' } })).inviteMember;
    const before = await accessRows(stack, acme.id);
    for (const email of ['josé.rv@example.com', '\u212Aim.rv@example.com']) {
      const other = await userToken(stack, acme.id, { email, emailVerified: true });
      expectOnlyError(await stack.query(other.token, datasets), 'FORBIDDEN');
    }
    expect(await accessRows(stack, acme.id)).toEqual(before);
    // An invitation cannot be written in such a spelling either.
    expectOnlyError(await stack.query(admin.token, inviteMember, { input: { email: '\u212Aim.other@example.com', role: 'VIEWER' } }), 'BAD_USER_INPUT');

    // The invited addresses themselves still bind.
    const realJose = await userToken(stack, acme.id, { email: 'Jose.RV@example.com', emailVerified: true });
    expect(errorCodes(await stack.query(realJose.token, datasets))).toEqual([]);
    expect((await membersOf(stack, acme.id)).find((m) => m.id === jose.id)).toMatchObject({ subject: realJose.subject, status: 'ACTIVE' });
    for (const id of [bySubject.id, jose.id, kim.id]) expectNoErrors(await stack.query(admin.token, removeMember, { id }));
  });

  it('a subject that differs from a member’s only by trailing spaces is no member: utf8mb4_bin pads, the comparison must not', async () => {
    // An OIDC subject is any ASCII string; "alice " is another identity than "alice" at the IdP.
    const invited = await userToken(stack, acme.id);
    const bySubject = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: invited.subject, role: 'ADMIN' } })).inviteMember;
    const byEmail = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'padded.rv@example.com', role: 'ADMIN' } })).inviteMember;
    const bound = await userToken(stack, acme.id, { email: 'padded.rv@example.com', emailVerified: true });
    expect(errorCodes(await stack.query(bound.token, datasets))).toEqual([]);
    // The access tables as the jobs service reads them (a job's member check), and as the gateway does (a request's role).
    const runtime = stack.platform.runtimes.jobs;
    const directory = new AccessDirectory(runtime.db, runtime.config.database.controlSchema);
    for (const subject of [invited.subject, bound.subject]) {
      expect(await directory.memberRole(acme.id, subject)).toBe('admin');
      for (const padded of [`${subject} `, `${subject}   `]) {
        expect({ padded, role: await directory.memberRole(acme.id, padded) }).toEqual({ padded, role: undefined });
        expect({ padded, membership: await directory.membership(acme.id, padded, undefined) }).toEqual({ padded, membership: { role: undefined, invitationExpired: false } });
      }
    }
    for (const id of [bySubject.id, byEmail.id]) expectNoErrors(await stack.query(admin.token, removeMember, { id }));
  });

  it('an admin removed while its mutations wait finishes none of them: no key, account or member is made by someone no longer an admin', async () => {
    const leaving = await userToken(stack, acme.id);
    const leavingMember = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: leaving.subject, role: 'ADMIN' } })).inviteMember;
    const account = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(admin.token, createServiceAccount, { input: { name: 'race-rv', role: 'ADMIN' } })).createServiceAccount;
    // The tenant's row held (as every create takes it first), so the leaving admin's creates wait in the tenants service, past the gateway's check.
    const holder = await openServiceDataSource({ url: stack.migrator.adminUrl, controlSchema: stack.migrator.controlSchema, poolSize: 1, tlsCa: stack.migrator.tlsCa }, []);
    const runner = holder.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const control = quoteIdentifier(stack.config.database.controlSchema);
    await runner.query(`SELECT id FROM ${control}.tenants WHERE id = ? FOR UPDATE`, [acme.id]);
    let minting: ReturnType<typeof stack.query> | undefined;
    let inviting: ReturnType<typeof stack.query> | undefined;
    try {
      minting = stack.query(leaving.token, createApiKey, { input: { serviceAccountId: account.id } });
      inviting = stack.query(leaving.token, inviteMember, { input: { subject: 'accomplice-rv', role: 'ADMIN' } });
      // Time to pass the gateway (as members still) and reach the held row; the migrator may not see other accounts' lock waits.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // Removed meanwhile: the removal does not need the tenant's row.
      expectNoErrors(await stack.query(admin.token, removeMember, { id: leavingMember.id }));
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
      await holder.destroy();
    }
    expectOnlyError(await minting!, 'FORBIDDEN');
    expectOnlyError(await inviting!, 'FORBIDDEN');
    const accounts = await stack.adminQuery<unknown[]>(`SELECT id FROM ${control}.api_keys WHERE service_account_id = ?`, [account.id]);
    expect(accounts).toEqual([]);
    expect((await membersOf(stack, acme.id)).map((m) => m.subject)).not.toContain('accomplice-rv');
    expectNoErrors(await stack.query(admin.token, deleteServiceAccount, { id: account.id }));
  });

  it('only admins manage members: a data scientist or viewer member is FORBIDDEN and nothing changes', async () => {
    const scientist = await userToken(stack, acme.id);
    const member = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: scientist.subject, role: 'DATA_SCIENTIST' } })).inviteMember;
    const before = await accessRows(stack, acme.id);
    expectOnlyError(await stack.query(scientist.token, inviteMember, { input: { subject: 'someone-else', role: 'ADMIN' } }), 'FORBIDDEN');
    expectOnlyError(await stack.query(scientist.token, changeMemberRole, { id: member.id, role: 'ADMIN' }), 'FORBIDDEN');
    expectOnlyError(await stack.query(scientist.token, removeMember, { id: adminMember.id }), 'FORBIDDEN');
    expect(await accessRows(stack, acme.id)).toEqual(before);
  });

  it('bad input is a typed error and changes nothing', async () => {
    const before = await accessRows(stack, acme.id);
    const cases: Array<[string, Record<string, unknown>]> = [
      [inviteMember, { input: { subject: 'x', email: 'x@example.com', role: 'VIEWER' } }],
      [inviteMember, { input: { role: 'VIEWER' } }],
      [inviteMember, { input: { email: 'not-an-email', role: 'VIEWER' } }],
      [inviteMember, { input: { subject: ' padded ', role: 'VIEWER' } }],
      [inviteMember, { input: { subject: 'x'.repeat(300), role: 'VIEWER' } }],
      // The platform's own principals' namespaces: no token carries such a subject (the gateway refuses it).
      [inviteMember, { input: { subject: 'system:job-runner', role: 'ADMIN' } }],
      [inviteMember, { input: { subject: 'Service-Account:0b7c5f3e-4d0a-4c55-9a53-3f5a3c1f0e11', role: 'ADMIN' } }],
      [inviteMember, { input: { subject: 'x', role: 'VIEWER', tenantId: "'; DROP TABLE tenants; --" } }],
      [changeMemberRole, { id: 'not-a-uuid', role: 'VIEWER' }],
      [removeMember, { id: "1' OR '1'='1" }],
    ];
    for (const [query, variables] of cases) expect({ variables, codes: errorCodes(await stack.query(admin.token, query, variables)) }).toEqual({ variables, codes: ['BAD_USER_INPUT'] });
    // An unknown role is refused by the schema itself.
    expect(errorCodes(await stack.query(admin.token, inviteMember, { input: { subject: 'x', role: 'OWNER' } }))).toEqual(['BAD_USER_INPUT']);
    // Inviting a member twice is a CONFLICT.
    expectOnlyError(await stack.query(admin.token, inviteMember, { input: { subject: admin.subject, role: 'VIEWER' } }), 'CONFLICT');
    // A platform admin must name the tenant.
    expectOnlyError(await stack.query(platformAdmin, inviteMember, { input: { subject: 'x', role: 'VIEWER' } }), 'BAD_USER_INPUT');
    expect(await accessRows(stack, acme.id)).toEqual(before);
  });

  it("tenant B's admin cannot list, invite into, change or remove tenant A's members, by any id it could guess", async () => {
    const beforeA = await accessRows(stack, acme.id);
    const members = await membersOf(stack, acme.id);
    const victim = members.find((m) => m.id === adminMember.id)!;
    // Its own tenant only: listing shows globex's members alone.
    const own = expectNoErrors(await stack.query<{ members: MemberView[] }>(globexAdmin.token, listMembers)).members;
    expect(own.map((m) => m.subject)).toEqual([globexAdmin.subject]);
    expectOnlyError(await stack.query(globexAdmin.token, listMembers, { tenantId: acme.id }), 'NOT_FOUND');
    expectOnlyError(await stack.query(globexAdmin.token, inviteMember, { input: { subject: globexAdmin.subject, role: 'ADMIN', tenantId: acme.id } }), 'NOT_FOUND');
    for (const tenantId of [undefined, acme.id]) {
      expectOnlyError(await stack.query(globexAdmin.token, changeMemberRole, { id: victim.id, role: 'VIEWER', ...(tenantId ? { tenantId } : {}) }), 'NOT_FOUND');
      expectOnlyError(await stack.query(globexAdmin.token, removeMember, { id: victim.id, ...(tenantId ? { tenantId } : {}) }), 'NOT_FOUND');
    }
    // An id that never existed gets the very same answer.
    const missing = await stack.query(globexAdmin.token, removeMember, { id: '00000000-0000-4000-8000-000000000000' });
    const taken = await stack.query(globexAdmin.token, removeMember, { id: victim.id });
    expect(missing.errors?.[0]?.message.replace(/"[^"]*"/, '""')).toBe(taken.errors?.[0]?.message.replace(/"[^"]*"/, '""'));
    expect(await accessRows(stack, acme.id)).toEqual(beforeA);
    // acme's admin is still admin; the attempt is in globex's own log.
    expect(errorCodes(await stack.query(admin.token, listMembers))).toEqual([]);
    const attempts = (await auditActions(stack, globex.schema, globex.id)).filter((e) => e.action === 'cross_tenant_attempt');
    expect(attempts.map((e) => [e.actor_subject, e.target_id, e.outcome])).toContainEqual([globexAdmin.subject, victim.id, 'DENIED']);
  });

  it("me answers the caller's effective roles in the token's tenant: the membership's, never the token's claim nor another tenant's membership", async () => {
    const me = 'query Me { me { subject tenantId roles } }';
    type MeView = { me: { subject: string; tenantId: string | null; roles: string[] } };
    // acme's first admin: its token claims viewer, its membership says admin.
    expect(expectNoErrors(await stack.query<MeView>(admin.token, me)).me).toEqual({ subject: admin.subject, tenantId: acme.id, roles: ['ADMIN'] });
    // One subject, a member of both tenants with different roles: its acme token gets acme's role only.
    const both = await userToken(stack, acme.id, { roles: ['admin'] });
    expectNoErrors(await stack.query(admin.token, inviteMember, { input: { subject: both.subject, role: 'DATA_SCIENTIST' } }));
    expectNoErrors(await stack.query(globexAdmin.token, inviteMember, { input: { subject: both.subject, role: 'ADMIN' } }));
    expect(expectNoErrors(await stack.query<MeView>(both.token, me)).me).toEqual({ subject: both.subject, tenantId: acme.id, roles: ['DATA_SCIENTIST'] });
    // A member of globex only, signed in for acme: globex's admin role lends it nothing in acme.
    const elsewhere = await userToken(stack, acme.id, { roles: ['admin'] });
    expectNoErrors(await stack.query(globexAdmin.token, inviteMember, { input: { subject: elsewhere.subject, role: 'ADMIN' } }));
    expectOnlyError(await stack.query(elsewhere.token, me), 'FORBIDDEN');
    // A platform admin holds no tenant; without a token there is no one to describe.
    expect(expectNoErrors(await stack.query<MeView>(platformAdmin, me)).me).toMatchObject({ tenantId: null, roles: ['PLATFORM_ADMIN'] });
    expectOnlyError(await stack.query(undefined, me), 'UNAUTHENTICATED');
    // A role change holds on the next request here too (the console re-reads it on every page).
    const bothMember = (await membersOf(stack, acme.id)).find((m) => m.subject === both.subject)!;
    expectNoErrors(await stack.query(admin.token, changeMemberRole, { id: bothMember.id, role: 'VIEWER' }));
    expect(expectNoErrors(await stack.query<MeView>(both.token, me)).me.roles).toEqual(['VIEWER']);
  });

  it('accessReport lists every member and service account with its role, including those who never used their access', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const idle = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: `idle-${acme.id}`, role: 'VIEWER' } })).inviteMember;
    const pending = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { email: 'pending@example.com', role: 'DATA_SCIENTIST' } })).inviteMember;
    const unused = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(admin.token, createServiceAccount, { input: { name: 'unused-bot', role: 'VIEWER' } })).createServiceAccount;
    const used = expectNoErrors(await stack.query<{ createServiceAccount: ServiceAccountView }>(admin.token, createServiceAccount, { input: { name: 'used-bot', role: 'DATA_SCIENTIST' } })).createServiceAccount;
    const { secret } = expectNoErrors(await stack.query<{ createApiKey: { secret: string } }>(admin.token, createApiKey, { input: { serviceAccountId: used.id } })).createApiKey;
    expect(errorCodes(await stack.query(secret, createDataset, { input: { name: 'by-used-bot' } }))).toEqual([]);

    const report = expectNoErrors(
      await stack.query<{ accessReport: { members: Array<Review & { memberId: string; email: string | null }>; serviceAccounts: Array<Review & { serviceAccountId: string; name: string; activeKeys: number }> } }>(admin.token, accessReport, {
        from,
        to: new Date().toISOString(),
      }),
    ).accessReport;
    const member = (id: string) => report.members.find((m) => m.memberId === id);
    expect(member(idle.id)).toMatchObject({ subject: `idle-${acme.id}`, role: 'viewer', eventCount: 0, lastActivityAt: null, neverActive: true, accessed: [] });
    expect(member(pending.id)).toMatchObject({ subject: null, email: 'pending@example.com', role: 'data_scientist', neverActive: true });
    const self = member(adminMember.id)!;
    expect(self).toMatchObject({ subject: admin.subject, role: 'admin', neverActive: false });
    expect(self.eventCount).toBeGreaterThan(0);
    expect(self.accessed).toContainEqual({ targetType: 'Dataset', actions: ['dataset.create'] });
    // Everyone who is a member now, and no one else (removed members are gone).
    expect(report.members.map((m) => m.memberId).sort()).toEqual((await membersOf(stack, acme.id)).map((m) => m.id).sort());

    const account = (id: string) => report.serviceAccounts.find((s) => s.serviceAccountId === id);
    expect(account(unused.id)).toMatchObject({ name: 'unused-bot', role: 'viewer', activeKeys: 0, eventCount: 0, lastActivityAt: null, neverActive: true });
    expect(account(used.id)).toMatchObject({ name: 'used-bot', role: 'data_scientist', activeKeys: 1, eventCount: 1, neverActive: false, accessed: [{ targetType: 'Dataset', actions: ['dataset.create'] }] });
  });

  it('an open subscription of a removed member is closed (4403) within the recheck interval', async () => {
    const viewer = await userToken(stack, acme.id);
    const member = expectNoErrors(await stack.query<{ inviteMember: MemberView }>(admin.token, inviteMember, { input: { subject: viewer.subject, role: 'VIEWER' } })).inviteMember;
    const socket = openSubscription(stack, viewer.token, 'subscription { jobEvents { jobId } }');
    try {
      await socket.connected;
      expectNoErrors(await stack.query(admin.token, removeMember, { id: member.id }));
      const started = Date.now();
      expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: access withdrawn' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      socket.dispose();
    }
  });
});
