import { randomUUID } from 'node:crypto';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { defaultAccessReviewConfig } from '../src/domain/access-review-config';
import { lastEndedPeriod, monthly } from '../src/domain/review-period';
import { allAuditEvents, chainOf } from './audit-events-helpers';

const accessReport = `query($from: DateTime!, $to: DateTime!) { accessReport(from: $from, to: $to) {
  roleHolders { subject }
  resourceAccess { subject targetId count }
  users { subject eventCount }
  members { subject eventCount neverActive lastActivityAt }
} }`;
const runReview = `mutation { runAccessReview { staleAccess { principalType subject lastUsedAt } } }`;
const inviteMember = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`;

/**
 * Subjects (OIDC: case-sensitive, any characters) and target ids are compared byte for byte by the
 * audit trail's filters, the access report and the access review. The tenant schema's collation
 * (utf8mb4_unicode_ci) ignores case, accents and trailing spaces: `=` and `GROUP BY` on
 * `actor_subject` made `rv-case`, `RV-CASE` and `rv-case ` one principal — an auditor filtering for
 * one member got another's actions, and a review credited one member with another's activity.
 */
describe('audit trail: subjects and target ids are exact', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let admin: string;
  const dayMs = 86_400_000;

  beforeAll(async () => {
    stack = await startTestStack({ alerting: { accessReview: { ...defaultAccessReviewConfig, scheduled: false } } });
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    admin = await tenant.token('admin');
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function pastAction(subject: string, occurredAt: Date, targetId: string = randomUUID()): Promise<void> {
    await stack.adminQuery(
      `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json)
       VALUES (?, ?, ?, 'admin', NULL, 'dataset.read', 'Dataset', ?, 'SUCCESS', NULL, NULL, NULL, '{}')`,
      [randomUUID(), occurredAt, subject, targetId],
    );
  }

  it('filters, the access report and the access review never merge subjects that differ in case or trailing spaces', async () => {
    const period = lastEndedPeriod(new Date(), monthly);
    const at = new Date(period.end.getTime() - 10 * dayMs);
    // Two members, one spelling apart; a third identity differs from the first by a trailing space.
    const ids: Record<string, string> = {};
    for (const subject of ['rv-case', 'RV-CASE']) {
      ids[subject] = expectNoErrors(await stack.query<{ inviteMember: { id: string } }>(admin, inviteMember, { input: { subject, role: 'ADMIN' } })).inviteMember.id;
      await stack.adminQuery(`UPDATE \`${stack.config.database.controlSchema}\`.tenant_members SET created_at = ? WHERE id = ?`, [new Date(period.end.getTime() - 400 * dayMs), ids[subject]]);
    }
    await pastAction('rv-case ', new Date(at.getTime() - 2000), 'ds-exact');
    await pastAction('RV-CASE', new Date(at.getTime() - 1000), 'DS-EXACT');
    await pastAction('RV-CASE', at, 'DS-EXACT');
    await chainOf(stack, tenant);

    // Filters.
    expect(await allAuditEvents(stack, admin, { actor: 'rv-case' })).toEqual([]);
    expect((await allAuditEvents(stack, admin, { actor: 'RV-CASE' })).map((e) => e.actorSubject)).toEqual(['RV-CASE', 'RV-CASE']);
    expect((await allAuditEvents(stack, admin, { actor: 'rv-case ' })).map((e) => e.actorSubject)).toEqual(['rv-case ']);
    expect((await allAuditEvents(stack, admin, { targetId: 'ds-exact' })).map((e) => e.targetId)).toEqual(['ds-exact']);
    expect((await allAuditEvents(stack, admin, { targetId: 'ds-exact ' })).map((e) => e.targetId)).toEqual([]);
    expect((await allAuditEvents(stack, admin, { targetType: 'Dataset', targetId: 'DS-EXACT' })).map((e) => e.targetId)).toEqual(['DS-EXACT', 'DS-EXACT']);

    // The access report over the period: three principals, each with its own activity.
    type Report = {
      roleHolders: Array<{ subject: string }>;
      resourceAccess: Array<{ subject: string; targetId: string; count: number }>;
      users: Array<{ subject: string; eventCount: number }>;
      members: Array<{ subject: string; eventCount: number; neverActive: boolean; lastActivityAt: string | null }>;
    };
    const report = expectNoErrors(await stack.query<{ accessReport: Report }>(admin, accessReport, { from: period.from.toISOString(), to: period.to.toISOString() })).accessReport;
    const bySubject = <T extends { subject: string }>(rows: T[]) => [...rows].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
    expect(bySubject(report.users)).toEqual([
      { subject: 'RV-CASE', eventCount: 2 },
      { subject: 'rv-case ', eventCount: 1 },
    ]);
    expect(bySubject(report.resourceAccess)).toEqual([
      { subject: 'RV-CASE', targetId: 'DS-EXACT', count: 2 },
      { subject: 'rv-case ', targetId: 'ds-exact', count: 1 },
    ]);
    expect(report.roleHolders.map((h) => h.subject).filter((s) => s.toLowerCase().startsWith('rv-case')).sort()).toEqual(['RV-CASE', 'rv-case ']);
    const members = bySubject(report.members.filter((m) => m.subject.toLowerCase().startsWith('rv-case')));
    expect(members).toEqual([
      { subject: 'RV-CASE', eventCount: 2, neverActive: false, lastActivityAt: at.toISOString() },
      { subject: 'rv-case', eventCount: 0, neverActive: true, lastActivityAt: null },
    ]);

    // The access review: the member that never acted is stale, the one that did is not.
    const review = expectNoErrors(await stack.query<{ runAccessReview: { staleAccess: Array<{ principalType: string; subject: string | null; lastUsedAt: string | null }> } }>(admin, runReview)).runAccessReview;
    const stale = review.staleAccess.filter((f) => f.subject?.toLowerCase().startsWith('rv-case'));
    expect(stale).toEqual([{ principalType: 'MEMBER', subject: 'rv-case', lastUsedAt: null }]);
  });
});
