import { createHash, randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { decryptBuffer } from '@tessera/crypto';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { AccessDirectory } from '@tessera/tenants/ports';
import { toAlertPayload } from '../src/domain/alert-payload';
import { defaultAccessReviewConfig } from '../src/domain/access-review-config';
import { AccessReviewScheduler } from '../src/domain/access-review-scheduler';
import { AccessReviewSchedules } from '../src/data/access-review-schedule.repository';
import { AccessReviewWriter } from '../src/domain/access-review-writer';
import { reviewWorkQuestions } from '../src/data/access-review-work.probe';
import { probeTenantRows } from '@tessera/tenancy';
import { createAuditRelay } from '../src/domain/audit-event-relay';
import { lastEndedPeriod, monthly, periodContaining, previousPeriod, type ReviewPeriod } from '../src/domain/review-period';
import { chainOf, eventually, startWebhookReceiver } from './audit-events-helpers';

const reviewFields = `id period from to objectKey sha256 storedBytes memberCount serviceAccountCount apiKeyCount staleAccessCount alertsRaised trigger createdBy createdAt
  staleAccess { principalType principalId subject label role grantedAt lastUsedAt idleDays alertId newAlert }`;
const runReview = `mutation($period: String) { runAccessReview(period: $period) { ${reviewFields} } }`;
const getReview = `query($id: ID!) { accessReview(id: $id) { ${reviewFields} content } }`;
const listReviews = `query($first: Int, $after: String) { accessReviews(first: $first, after: $after) { edges { cursor node { id period trigger } } pageInfo { hasNextPage endCursor } } }`;
const accessReport = `query($from: DateTime!, $to: DateTime!) { accessReport(from: $from, to: $to) {
  from to generatedAt roleSource
  roleHolders { subject roles client lastSeenAt roleHistory { roles firstSeenAt lastSeenAt } }
  resourceAccess { subject targetType targetId actions count lastAccessAt }
  users { subject eventCount lastActivityAt lastAction }
  members { memberId subject email role eventCount lastActivityAt neverActive accessed { subject targetType targetId actions count lastAccessAt } }
  serviceAccounts { serviceAccountId name subject role activeKeys eventCount lastActivityAt neverActive accessed { subject targetType targetId actions count lastAccessAt } }
} }`;
const alertsQuery = `query { alerts(first: 100) { id rule status threshold observed summary deliveries { status } } }`;
const acknowledge = `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }`;
const setWebhook = `mutation($url: String!) { setAlertWebhook(url: $url) { secret } }`;
const setRule = `mutation($input: AlertRuleInput!) { setAlertRule(input: $input) { kind threshold enabled windowSeconds } }`;
const inviteMember = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`;
const createAccount = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }`;
const createKey = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }`;

interface Finding {
  principalType: string;
  principalId: string;
  subject: string | null;
  role: string;
  lastUsedAt: string | null;
  idleDays: number;
  alertId: string | null;
  newAlert: boolean;
}
interface Review {
  id: string;
  period: string;
  from: string;
  to: string;
  objectKey: string;
  sha256: string;
  memberCount: number;
  serviceAccountCount: number;
  apiKeyCount: number;
  staleAccessCount: number;
  alertsRaised: number;
  trigger: string;
  createdBy: string;
  staleAccess: Finding[];
  content?: string;
}
interface AlertNode {
  id: string;
  rule: string;
  status: string;
  threshold: number;
  observed: number;
  summary: string;
  deliveries: Array<{ status: string }>;
}

const dayMs = 86_400_000;
const daysBefore = (date: Date, days: number) => new Date(date.getTime() - days * dayMs);

/**
 * Periodic access reviews, against the real stack: reviews written (by the scheduler and on demand)
 * into the tenant's bucket, encrypted, once per period; stale privileged access raising alerts
 * through the alerting machinery; and every tenant boundary. The stack's own scheduler is off, so
 * what a test's scheduler (the same class, on the audit service's runtime and database account)
 * writes is all there is; time is real: activity rows and grants are written with past
 * timestamps, and the scheduler's clock stands where the test puts it.
 */
describe('access reviews', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeAdmin: string;
  let globexAdmin: string;
  const receivers: Array<{ close(): Promise<void> }> = [];
  const control = () => stack.config.database.controlSchema;

  beforeAll(async () => {
    stack = await startTestStack({
      alerting: { webhookAllowedPrivateRanges: ['127.0.0.1/32'], accessReview: { ...defaultAccessReviewConfig, scheduled: false } },
    });
    acme = await stack.createTenant();
    globex = await stack.createTenant();
    acmeAdmin = await acme.token('admin');
    globexAdmin = await globex.token('admin');
  }, 120_000);

  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
    await stack?.stop();
  });

  /** The writer and scheduler as the audit service builds them, on its runtime, with `clock`. */
  function reviewMachinery(clock: () => Date, config = defaultAccessReviewConfig) {
    const runtime = stack.platform.runtimes.audit;
    const writer = new AccessReviewWriter({
      db: runtime.db,
      relay: createAuditRelay(runtime.db, runtime.keyring),
      access: new AccessDirectory(runtime.db, runtime.config.database.controlSchema),
      staleAccessDays: config.staleAccessDays,
      announce: async (scope, alerts) => {
        for (const alert of alerts) await runtime.events.publish(scope.tenant.id, 'alerts', toAlertPayload(alert));
      },
      logger: runtime.logger,
      clock,
    });
    const schedules = new AccessReviewSchedules(runtime.db, runtime.config.database.controlSchema);
    const scheduler = new AccessReviewScheduler({ db: runtime.db, tenants: runtime.tenants, scopes: runtime.scopes, writer, schedules, config, logger: runtime.logger, clock });
    return { writer, scheduler };
  }

  async function objectKeys(tenant: TestTenant): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of stack.platform.runtime.objectStore.listObjectsV2(tenant.bucket, 'access-reviews/', true)) if (item.name) keys.push(item.name);
    return keys.sort();
  }

  async function reviewRows(tenant: TestTenant): Promise<Array<{ id: string; period: string; trigger_kind: string; created_by: string }>> {
    return stack.adminQuery(`SELECT id, period, trigger_kind, created_by FROM \`${tenant.schema}\`.access_reviews ORDER BY period_start`);
  }

  /** The object as stored (must be ciphertext), decrypted with the tenant's data key. */
  async function storedDocument(tenant: TestTenant, key: string): Promise<{ raw: Buffer; plain: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(tenant.bucket, key)) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const plain = await decryptBuffer(raw, { resolveKey: (version) => stack.platform.runtime.keyring.keyFor(tenant.id, version), associatedData: `${tenant.id}/${key}` });
    return { raw, plain };
  }

  /** A read of one of the tenant's datasets by `subject` at a past time, as the datasets service (its account) would have written it then. */
  async function pastAction(tenant: TestTenant, subject: string, occurredAt: Date, action = 'dataset.read', client: string | null = null): Promise<void> {
    await stack.platform.runtimes.datasets.db.query(
      `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json)
       VALUES (?, ?, ?, 'admin', ?, ?, 'Dataset', ?, 'SUCCESS', NULL, NULL, NULL, '{}')`,
      [randomUUID(), occurredAt, subject, client, action, randomUUID()],
    );
  }

  async function backdate(table: 'tenant_members' | 'service_accounts' | 'api_keys' | 'tenants', id: string, at: Date): Promise<void> {
    await stack.adminQuery(`UPDATE \`${control()}\`.${table} SET created_at = ? WHERE id = ?`, [at, id]);
  }

  async function invite(admin: string, subject: string, role: string): Promise<string> {
    return expectNoErrors(await stack.query<{ inviteMember: { id: string } }>(admin, inviteMember, { input: { subject, role } })).inviteMember.id;
  }

  async function accountWithKey(admin: string, name: string, role: string): Promise<{ accountId: string; keyId: string }> {
    const accountId = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createAccount, { input: { name, role } })).createServiceAccount.id;
    const keyId = expectNoErrors(await stack.query<{ createApiKey: { apiKey: { id: string } } }>(admin, createKey, { input: { serviceAccountId: accountId } })).createApiKey.apiKey.id;
    return { accountId, keyId };
  }

  const alertsOf = async (admin: string) => expectNoErrors(await stack.query<{ alerts: AlertNode[] }>(admin, alertsQuery)).alerts;

  describe('stale privileged access in acme (reviews run by its admin)', () => {
    // The last ended month and the two before it, as the reviews' periods.
    let p1: ReviewPeriod;
    let p2: ReviewPeriod;
    let p3: ReviewPeriod;
    const ids: Record<string, string> = {};
    let first: Review;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

    beforeAll(async () => {
      p1 = lastEndedPeriod(new Date(), monthly);
      p2 = previousPeriod(p1, monthly);
      p3 = previousPeriod(p2, monthly);
      const asOf = p1.end;
      const longAgo = daysBefore(asOf, 400);
      // Members: an admin idle for 200 days (still idle 90 days at the end of p3), an admin who never used its access, an admin active 10 days before, an idle viewer.
      ids['idleAdmin'] = await invite(acmeAdmin, 'idle-admin', 'ADMIN');
      ids['neverAdmin'] = await invite(acmeAdmin, 'never-admin', 'ADMIN');
      ids['activeAdmin'] = await invite(acmeAdmin, 'active-admin', 'ADMIN');
      ids['idleViewer'] = await invite(acmeAdmin, 'idle-viewer', 'VIEWER');
      for (const member of ['idleAdmin', 'neverAdmin', 'activeAdmin', 'idleViewer']) await backdate('tenant_members', ids[member]!, longAgo);
      await pastAction(acme, 'idle-admin', daysBefore(asOf, 200));
      await pastAction(acme, 'active-admin', daysBefore(asOf, 10));
      // A data scientist account whose key was never used, and an admin account whose key was used 5 days before.
      const idle = await accountWithKey(acmeAdmin, 'idle-pipeline', 'DATA_SCIENTIST');
      const busy = await accountWithKey(acmeAdmin, 'busy-pipeline', 'ADMIN');
      Object.assign(ids, { idleAccount: idle.accountId, idleKey: idle.keyId, busyAccount: busy.accountId, busyKey: busy.keyId });
      for (const [table, id] of [['service_accounts', idle.accountId], ['api_keys', idle.keyId], ['service_accounts', busy.accountId], ['api_keys', busy.keyId]] as const) await backdate(table, id, longAgo);
      await stack.adminQuery(`INSERT INTO \`${control()}\`.api_key_usage (key_id, tenant_id, last_used_at, last_source_ip) VALUES (?, ?, ?, NULL)`, [busy.keyId, acme.id, daysBefore(asOf, 5)]);
      receiver = await startWebhookReceiver();
      receivers.push(receiver);
      expectNoErrors(await stack.query(acmeAdmin, setWebhook, { url: receiver.url }));
    });

    it('a review of the last ended month lands encrypted in the bucket, decrypts to accessReport for that month, and raises one alert per stale principal', async () => {
      const live: Array<{ rule: string; summary: string }> = [];
      const client = createClient({ url: stack.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${acmeAdmin}` }, retryAttempts: 0 });
      try {
        client.subscribe<{ alerts: { rule: string; summary: string } }>(
          { query: 'subscription { alerts { rule summary } }' },
          { next: (result) => result.data && live.push(result.data.alerts), error: () => undefined, complete: () => undefined },
        );
        // Give the subscription time to reach the audit subgraph's Redis SUBSCRIBE.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        first = expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, {})).runAccessReview;

        expect(first).toMatchObject({ period: p1.label, from: p1.from.toISOString(), to: p1.to.toISOString(), objectKey: `access-reviews/${p1.label}.json`, trigger: 'MANUAL', memberCount: 4, serviceAccountCount: 2, apiKeyCount: 2 });
        const stale = first.staleAccess.map((f) => `${f.principalType}:${f.principalId}`).sort();
        expect(stale).toEqual([`API_KEY:${ids['idleKey']}`, `MEMBER:${ids['idleAdmin']}`, `MEMBER:${ids['neverAdmin']}`, `SERVICE_ACCOUNT:${ids['idleAccount']}`].sort());
        expect(first.staleAccess.find((f) => f.principalId === ids['idleAdmin'])).toMatchObject({ subject: 'idle-admin', role: 'admin', idleDays: 200, lastUsedAt: daysBefore(p1.end, 200).toISOString(), newAlert: true });
        expect(first.staleAccess.find((f) => f.principalId === ids['neverAdmin'])).toMatchObject({ lastUsedAt: null, idleDays: 400 });
        expect(first.staleAccess.find((f) => f.principalId === ids['idleKey'])).toMatchObject({ role: 'data_scientist', lastUsedAt: null });
        expect(first).toMatchObject({ staleAccessCount: 4, alertsRaised: 4 });

        // Stored encrypted, at the predictable key, under the digest recorded with it.
        expect(await objectKeys(acme)).toEqual([first.objectKey]);
        const { raw, plain } = await storedDocument(acme, first.objectKey);
        expect(raw.includes(Buffer.from('idle-admin'))).toBe(false);
        expect(createHash('sha256').update(plain).digest('hex')).toBe(first.sha256);
        const document = JSON.parse(plain.toString('utf8')) as { format: string; tenantId: string; reviewId: string; period: { label: string }; accessReport: Record<string, unknown>; staleAccess: { thresholdDays: number; findings: unknown[] } };
        expect(document).toMatchObject({ format: 'tessera.access-review/v1', tenantId: acme.id, reviewId: first.id, period: { label: p1.label }, staleAccess: { thresholdDays: 90 } });
        expect(document.staleAccess.findings).toHaveLength(4);
        // The report inside is what accessReport answers for the same period (but when it was generated).
        const report = expectNoErrors(await stack.query<{ accessReport: Record<string, unknown> }>(acmeAdmin, accessReport, { from: p1.from.toISOString(), to: p1.to.toISOString() })).accessReport;
        expect({ ...document.accessReport, generatedAt: null }).toEqual({ ...report, generatedAt: null });
        expect((report['users'] as Array<{ subject: string }>).map((u) => u.subject)).toEqual(['active-admin']);
        // And the API serves the same bytes.
        const read = expectNoErrors(await stack.query<{ accessReview: Review }>(acmeAdmin, getReview, { id: first.id })).accessReview;
        expect(read.content).toBe(plain.toString('utf8'));

        // Through the alert machinery: stored, signed webhooks, live on the subscription.
        const alerts = (await alertsOf(acmeAdmin)).filter((alert) => alert.rule === 'STALE_ACCESS');
        expect(alerts.map((alert) => alert.id).sort()).toEqual(first.staleAccess.map((f) => f.alertId).sort());
        expect(alerts.every((alert) => alert.status === 'OPEN' && alert.threshold === 90)).toBe(true);
        expect(alerts.find((alert) => alert.id === first.staleAccess.find((f) => f.principalId === ids['idleAdmin'])!.alertId)!.summary).toContain('Member idle-admin (admin) last used');
        await eventually('four webhook deliveries', async () => (receiver.received.length >= 4 ? true : undefined));
        expect(receiver.received.map((r) => (JSON.parse(r.body) as { alert: { rule: string } }).alert.rule)).toEqual(['STALE_ACCESS', 'STALE_ACCESS', 'STALE_ACCESS', 'STALE_ACCESS']);
        await eventually('four live alerts', async () => (live.length >= 4 ? true : undefined));
        expect(live.every((alert) => alert.rule === 'STALE_ACCESS')).toBe(true);
      } finally {
        await client.dispose();
      }

      // Audited: the review written by the admin, each alert raised.
      const chain = await chainOf(stack, acme);
      expect(chain.filter((e) => e.action === 'access_review.write')).toEqual([{ action: 'access_review.write', target_id: first.id, actor_subject: expect.any(String) }]);
      expect(chain.filter((e) => e.action === 'access_review.stale_access').map((e) => e.target_id).sort()).toEqual(first.staleAccess.map((f) => f.alertId).sort());
    });

    it('running the same period again writes nothing: one object, one row, the same review', async () => {
      const again = expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, { period: p1.label })).runAccessReview;
      expect(again.id).toBe(first.id);
      expect(again.sha256).toBe(first.sha256);
      expect(await objectKeys(acme)).toEqual([first.objectKey]);
      expect((await reviewRows(acme)).map((r) => r.period)).toEqual([p1.label]);
      expect((await alertsOf(acmeAdmin)).filter((alert) => alert.rule === 'STALE_ACCESS')).toHaveLength(4);
      const chain = await chainOf(stack, acme);
      expect(chain.filter((e) => e.action === 'access_review.write')).toHaveLength(1);
      expect(chain.filter((e) => e.action === 'access_review.run').map((e) => e.target_id)).toEqual([first.id]);
    });

    it('an open alert is not raised again by the next review; once acknowledged, a later review raises it again', async () => {
      const second = expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, { period: p2.label })).runAccessReview;
      expect(second.staleAccessCount).toBe(4);
      expect(second.alertsRaised).toBe(0);
      for (const finding of second.staleAccess) {
        expect(finding.newAlert).toBe(false);
        expect(finding.alertId).toBe(first.staleAccess.find((f) => f.principalId === finding.principalId)!.alertId);
      }
      const idleAlert = first.staleAccess.find((f) => f.principalId === ids['idleAdmin'])!.alertId!;
      expectNoErrors(await stack.query(acmeAdmin, acknowledge, { id: idleAlert }));
      const third = expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, { period: p3.label })).runAccessReview;
      expect(third.alertsRaised).toBe(1);
      const raised = third.staleAccess.filter((f) => f.newAlert);
      expect(raised.map((f) => f.principalId)).toEqual([ids['idleAdmin']]);
      expect(raised[0]!.alertId).not.toBe(idleAlert);
      expect((await alertsOf(acmeAdmin)).filter((alert) => alert.rule === 'STALE_ACCESS')).toHaveLength(5);
      expect(await objectKeys(acme)).toEqual([p3, p2, p1].map((p) => `access-reviews/${p.label}.json`));
    });

    it("a tenant's own threshold (the STALE_ACCESS rule, in days) and switching the rule off", async () => {
      const rule = expectNoErrors(await stack.query<{ setAlertRule: { threshold: number; windowSeconds: number } }>(acmeAdmin, setRule, { input: { kind: 'STALE_ACCESS', threshold: 500, enabled: true } })).setAlertRule;
      expect(rule).toMatchObject({ threshold: 500, windowSeconds: 500 * 86_400 });
      const p4 = previousPeriod(p3, monthly);
      // 500 days: nothing was granted that long before p4 ended.
      expect(expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, { period: p4.label })).runAccessReview.staleAccessCount).toBe(0);
      expectNoErrors(await stack.query(acmeAdmin, setRule, { input: { kind: 'STALE_ACCESS', threshold: 30, enabled: false } }));
      const p5 = previousPeriod(p4, monthly);
      const off = expectNoErrors(await stack.query<{ runAccessReview: Review }>(acmeAdmin, runReview, { period: p5.label })).runAccessReview;
      // Still listed in the review, but no alert.
      expect(off.staleAccessCount).toBeGreaterThan(0);
      expect(off.alertsRaised).toBe(0);
      expect(off.staleAccess.every((f) => f.alertId === null && !f.newAlert)).toBe(true);
      expect(errorCodes(await stack.query(acmeAdmin, setRule, { input: { kind: 'STALE_ACCESS', threshold: 4000, enabled: true } }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('the schedule (the scheduler the audit service runs, with a clock the test sets)', () => {
    it('writes every period owed since the tenant was created, each once across replicas, and catches up the periods missed while it was down', async () => {
      const initech = await stack.createTenant();
      const now = new Date();
      const current = periodContaining(now, monthly);
      const m1 = previousPeriod(current, monthly);
      const m2 = previousPeriod(m1, monthly);
      const m3 = previousPeriod(m2, monthly);
      const m4 = previousPeriod(m3, monthly);
      const m5 = previousPeriod(m4, monthly);
      // Created in the middle of m5.
      await backdate('tenants', initech.id, new Date(m5.from.getTime() + 10 * dayMs));
      // Two replicas stand three days into m2: m5, m4 and m3 have ended.
      const early = () => new Date(m2.from.getTime() + 3 * dayMs);
      const replicas = [reviewMachinery(early), reviewMachinery(early)];
      const results = await Promise.all(replicas.map((replica) => replica.scheduler.runOnce()));
      const written = results.flatMap((result) => result.get(initech.id) ?? []).sort();
      expect(written).toEqual([m5.label, m4.label, m3.label].sort());
      expect((await reviewRows(initech)).map((row) => row.period)).toEqual([m5.label, m4.label, m3.label]);
      expect(await objectKeys(initech)).toEqual([m5, m4, m3].map((p) => `access-reviews/${p.label}.json`).sort());
      // Acme and globex were created now (this month): nothing is owed to them yet.
      expect(results.every((result) => !result.has(globex.id))).toBe(true);

      // Nobody looked during m2 and m1 ("down"); the loop started now catches both up.
      const { scheduler } = reviewMachinery(() => new Date(), { ...defaultAccessReviewConfig, firstCheckDelayMs: 10, checkIntervalMs: 200 });
      scheduler.start();
      try {
        await eventually('the missed periods', async () => ((await reviewRows(initech)).length === 5 ? true : undefined));
      } finally {
        await scheduler.stop();
      }
      const rows = await reviewRows(initech);
      expect(rows.map((row) => row.period)).toEqual([m5, m4, m3, m2, m1].map((p) => p.label));
      expect(rows.every((row) => row.trigger_kind === 'SCHEDULE' && row.created_by === 'system:access-review')).toBe(true);
      // Nothing more to do: the look finds every owed period reviewed (so it does not even visit the tenant) and writes nothing.
      const owed = [m5, m4, m3, m2, m1].map((p) => p.label);
      const db = stack.platform.runtimes.audit.db;
      expect((await probeTenantRows(db, [initech.id, globex.id], reviewWorkQuestions(owed))).found).toEqual(new Set([initech.id]));
      expect((await probeTenantRows(db, [initech.id], reviewWorkQuestions([...owed, current.label]))).found).toEqual(new Set());
      expect((await reviewMachinery(() => new Date()).scheduler.runOnce()).get(initech.id)).toBeUndefined();
      expect(await objectKeys(initech)).toHaveLength(5);

      // A scheduled review decrypts to the report of its period, and its writing is audited as the system.
      const admin = await initech.token('admin');
      const row = rows.find((r) => r.period === m3.label)!;
      const review = expectNoErrors(await stack.query<{ accessReview: Review }>(admin, getReview, { id: row.id })).accessReview;
      expect(review).toMatchObject({ period: m3.label, trigger: 'SCHEDULE', createdBy: 'system:access-review' });
      const document = JSON.parse((await storedDocument(initech, review.objectKey)).plain.toString('utf8')) as { accessReport: Record<string, unknown> };
      const report = expectNoErrors(await stack.query<{ accessReport: Record<string, unknown> }>(admin, accessReport, { from: m3.from.toISOString(), to: m3.to.toISOString() })).accessReport;
      expect({ ...document.accessReport, generatedAt: null }).toEqual({ ...report, generatedAt: null });
      const writes = (await chainOf(stack, initech)).filter((e) => e.action === 'access_review.write');
      expect(writes.map((e) => e.actor_subject)).toEqual(Array(5).fill('system:access-review'));
      expect(writes.map((e) => e.target_id).sort()).toEqual(rows.map((r) => r.id).sort());

      // Newest period first, page by page, each exactly once.
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { accessReviews: { edges: Array<{ node: { period: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = expectNoErrors(
          await stack.query(admin, listReviews, { first: 2, after }),
        );
        seen.push(...page.accessReviews.edges.map((edge) => edge.node.period));
        if (!page.accessReviews.pageInfo.hasNextPage) break;
        after = page.accessReviews.pageInfo.endCursor;
      }
      expect(seen).toEqual([m1, m2, m3, m4, m5].map((p) => p.label));
    });
  });

  describe('boundaries', () => {
    it("tenant B cannot list, read or trigger A's reviews by any id; its own review holds none of A's principals", async () => {
      const [acmeRow] = await reviewRows(acme);
      expect(acmeRow).toBeDefined();
      expect(errorCodes(await stack.query(globexAdmin, getReview, { id: acmeRow!.id }))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await stack.query(globexAdmin, getReview, { id: randomUUID() }))).toEqual(['NOT_FOUND']);
      const listed = expectNoErrors(await stack.query<{ accessReviews: { edges: Array<{ node: { id: string } }> } }>(globexAdmin, listReviews, {})).accessReviews.edges;
      expect(listed.map((edge) => edge.node.id)).not.toContain(acmeRow!.id);
      // A's cursor in B's request pages through B's own reviews only.
      const acmePage = expectNoErrors(await stack.query<{ accessReviews: { pageInfo: { endCursor: string } } }>(acmeAdmin, listReviews, { first: 1 })).accessReviews;
      const viaCursor = expectNoErrors(await stack.query<{ accessReviews: { edges: Array<{ node: { id: string } }> } }>(globexAdmin, listReviews, { after: acmePage.pageInfo.endCursor })).accessReviews.edges;
      expect(viaCursor.map((edge) => edge.node.id).filter((id) => acmeRow!.id === id)).toEqual([]);
      // B triggering "the same period" writes B's own review, of B's principals, into B's bucket.
      const period = lastEndedPeriod(new Date(), monthly).label;
      const own = expectNoErrors(await stack.query<{ runAccessReview: Review }>(globexAdmin, runReview, { period })).runAccessReview;
      expect(own.id).not.toBe(acmeRow!.id);
      const content = expectNoErrors(await stack.query<{ accessReview: Review }>(globexAdmin, getReview, { id: own.id })).accessReview.content!;
      for (const leak of [acme.id, 'idle-admin', 'never-admin', 'active-admin', 'idle-pipeline', 'busy-pipeline']) expect(content).not.toContain(leak);
      expect(JSON.parse(content)).toMatchObject({ tenantId: globex.id });
      expect(await objectKeys(globex)).toEqual([`access-reviews/${period}.json`]);
      expect((await reviewRows(acme)).filter((r) => r.period === period)).toHaveLength(1);
      // The probe by id is recorded in B's log, without naming A.
      const probes = (await chainOf(stack, globex)).filter((e) => e.action === 'cross_tenant_attempt');
      expect(probes.map((e) => e.target_id)).toEqual([acmeRow!.id]);
    });

    it('viewers and data scientists are FORBIDDEN; bad input is BAD_USER_INPUT and writes nothing', async () => {
      const [acmeRow] = await reviewRows(acme);
      for (const role of ['viewer', 'data_scientist'] as const) {
        const token = await acme.token(role);
        expect(errorCodes(await stack.query(token, listReviews, {}))).toEqual(['FORBIDDEN']);
        expect(errorCodes(await stack.query(token, getReview, { id: acmeRow!.id }))).toEqual(['FORBIDDEN']);
        expect(errorCodes(await stack.query(token, runReview, {}))).toEqual(['FORBIDDEN']);
      }
      const rowsBefore = await reviewRows(globex);
      const objectsBefore = await objectKeys(globex);
      const current = periodContaining(new Date(), monthly).label;
      for (const period of ['2026-13', 'last month', '1999-12', current, '2099-01', '2026-05-01_P0D', '2026-02-30_P1D', "2026-05'--"]) {
        expect(errorCodes(await stack.query(globexAdmin, runReview, { period }))).toEqual(['BAD_USER_INPUT']);
      }
      expect(errorCodes(await stack.query(globexAdmin, getReview, { id: 'not-a-review' }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await stack.query(globexAdmin, listReviews, { first: 0 }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await stack.query(globexAdmin, listReviews, { after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
      expect(await reviewRows(globex)).toEqual(rowsBefore);
      expect(await objectKeys(globex)).toEqual(objectsBefore);
    });
  });
});
