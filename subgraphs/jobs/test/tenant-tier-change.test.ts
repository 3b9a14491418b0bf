import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JWK } from 'jose';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { datasetJobPortClient } from '@tessera/datasets/ports';
import { jobsPortClient } from '@tessera/jobs/ports';
import { modelJobPortClient } from '@tessera/models/ports';
import { JobQueues, openRedis, TenantRing, type WorkerPool } from '@tessera/job-queue';
import { JobRunReconciler } from '@tessera/jobs';
import { dedicatedWorkerIdentity, mutualTlsPortFetch } from '@tessera/service-kit';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { jobView, portRelay, queueCounts, recordJobEvents, submitProfile, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/** How long the services cache a tenant's record here: far longer than any test, so only the announcement can make a change bite. */
const longCacheMs = 600_000;

/** A CSV of `rows` rows of `columns` distinct text values: slow to profile per row. */
function wideCsv(rows: number, columns: number): string {
  const lines = [Array.from({ length: columns }, (_, c) => `c${c}`).join(',')];
  for (let r = 0; r < rows; r++) lines.push(Array.from({ length: columns }, (_, c) => `v${r}_${c}`).join(','));
  return lines.join('\n') + '\n';
}

const setTier = `mutation($id: ID!, $tier: TenantTier!) { setTenantTier(id: $id, tier: $tier) { id tier status } }`;

/**
 * A tenant's tier changes through the API (setTenantTier, platform admins only) and bites at once
 * everywhere: the tenants service announces the change, every service drops its cached record
 * (cached here for ten minutes, so nothing else could), the jobs service moves the tenant's queued
 * jobs to its new pool's ring, and the owners' ports refuse the pool it left — the shared pool
 * never acts for a dedicated tenant, as a dedicated tenant's old workers never act once it is shared.
 */
describe('setTenantTier: a tier change moves the queue and the refusals at once', () => {
  let stack: TestStack;
  let platformAdmin: string;

  const urlOf = (owner: 'jobs' | 'datasets' | 'models') => stack.platform.subgraphs[owner].url;
  const runner = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: `tier-${randomUUID()}`, sourceIp: undefined });
  const claimInput = (jobId: string) => ({ jobId, submission: 1, runToken: randomUUID(), startSeq: 1, leaseMs: 30_000 });
  /** A finish under a run token nobody holds: false, and nothing written, when the caller may act for the tenant. */
  const strayFinish = (jobId: string) => ({ jobId, runToken: randomUUID(), status: 'FAILED' as const, error: { code: 'X', message: 'x' } });

  /** The ports as the workers of a ring call them (the shared pool's, or a dedicated tenant's). */
  async function portsOf(dedicatedTenant?: string) {
    const { serviceKey, files } = await stack.workers.identity(dedicatedTenant);
    const identity = { ca: stack.pki.ca, cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
    const sign = serviceKey
      ? await createServiceTokenSigner('workers', serviceKey)
      : await createServiceTokenSigner(dedicatedWorkerIdentity(dedicatedTenant!), createPrivateKey(identity.key).export({ format: 'jwk' }) as JWK);
    return {
      jobs: jobsPortClient({ baseUrl: urlOf('jobs'), sign, fetch: mutualTlsPortFetch(identity, 'jobs') }),
      datasetJobs: datasetJobPortClient({ baseUrl: urlOf('datasets'), sign, fetch: mutualTlsPortFetch(identity, 'datasets') }),
      modelJobs: modelJobPortClient({ baseUrl: urlOf('models'), sign, fetch: mutualTlsPortFetch(identity, 'models') }),
    };
  }

  async function submitJob(tenant: TestTenant, csv = 'x,y\n1,2\n3,4\n'): Promise<string> {
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, `numbers-${randomUUID().slice(0, 8)}`, csv);
    return expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
  }

  async function viewOf(tenant: TestTenant, jobId: string): Promise<JobView> {
    return jobView(stack, await tenant.token('viewer'), jobId);
  }

  async function tenantRecord(id: string): Promise<{ tier: string; status: string; region: string }> {
    return expectNoErrors(await stack.query<{ tenant: { tier: string; status: string; region: string } }>(platformAdmin, `query($id: ID!) { tenant(id: $id) { tier status region } }`, { id })).tenant;
  }

  /** The tenants of one pool's ring. */
  async function ringOf(pool: WorkerPool): Promise<string[]> {
    const redis = openRedis(stack.config.redis, 'test-ring', 'request');
    try {
      return await new TenantRing(redis, stack.config.redis.keyPrefix).members(pool);
    } finally {
      await redis.quit();
    }
  }

  /** Security-log events of one action (outbox or chained log, wherever each one is now). */
  async function securityEvents(action: string, where: { actor?: string; target?: string }): Promise<Array<{ tenant_id: string | null; target_id: string; details: Record<string, unknown> }>> {
    const schema = stack.config.database.controlSchema;
    const filter = `action = ? ${where.actor ? 'AND actor_subject = ?' : ''} ${where.target ? 'AND target_id = ?' : ''}`;
    const params = [action, ...(where.actor ? [where.actor] : []), ...(where.target ? [where.target] : [])];
    const rows = await stack.adminQuery<Array<{ tenant_id: string | null; target_id: string; details_json: unknown }>>(
      `SELECT tenant_id, target_id, details_json FROM ${schema}.security_outbox WHERE ${filter} UNION ALL SELECT tenant_id, target_id, details_json FROM ${schema}.security_events WHERE ${filter}`,
      [...params, ...params],
    );
    return rows.map((row) => ({ tenant_id: row.tenant_id, target_id: row.target_id, details: (typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as Record<string, unknown> }));
  }

  /**
   * Waits for a side-effect-free call to be refused. The announcement is published before
   * setTenantTier answers, but each process reads it from its own Redis connection: a process may
   * take a moment to have read it. Bounded far below the ten-minute cache, so only the announcement
   * can be what made the call refused.
   */
  async function refusedSoon(call: () => Promise<unknown>, reason: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const outcome = await call().then(
        () => undefined,
        (error: unknown) => error as { code?: string; extensions?: Record<string, unknown> },
      );
      if (outcome) {
        expect(outcome).toMatchObject({ code: 'FORBIDDEN', extensions: { reason } });
        return;
      }
      if (Date.now() > deadline) throw new Error(`still admitted after the change (${reason})`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    stack = await startTestStack({ tenantCacheTtlMs: longCacheMs });
    platformAdmin = await stack.platformAdminToken();
  }, 120_000);
  afterEach(() => stack?.workers.stopAll());
  afterAll(() => stack?.stop());

  it("promote: the shared pool is refused for the tenant at once (claim, progress, finish, grant), the queued jobs move to the tenant's own ring and its own worker runs them, the one the shared pool held included", async () => {
    const [promoted, bystander] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const { region } = await tenantRecord(promoted.id);
    const held = await submitJob(promoted);
    const queued = await submitJob(promoted);
    const bystanderJob = await submitJob(bystander);
    const shared = await portsOf();
    // The shared pool holds one job (RUNNING under its token) and has read the tenant's record in
    // both owners (the datasets port through the grant): cached there for ten minutes.
    const heldClaim = claimInput(held);
    const claim = await shared.jobs.claim(runner(promoted), heldClaim);
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    const datasetVersionId = claim.job.input['datasetVersionId'] as string;
    await expect(shared.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).resolves.toMatchObject({ version: expect.anything() });
    await expect(shared.jobs.finish(runner(promoted), strayFinish(queued))).resolves.toBe(false);
    expect(await ringOf({ kind: 'shared', region })).toContain(promoted.id);

    const changed = expectNoErrors(await stack.query<{ setTenantTier: { id: string; tier: string; status: string } }>(platformAdmin, setTier, { id: promoted.id, tier: 'DEDICATED' }));
    expect(changed.setTenantTier).toEqual({ id: promoted.id, tier: 'DEDICATED', status: 'ACTIVE' });

    await refusedSoon(() => shared.jobs.finish(runner(promoted), strayFinish(queued)), 'tenant-dedicated');
    await expect(shared.jobs.claim(runner(promoted), claimInput(queued))).rejects.toMatchObject({ code: 'FORBIDDEN', extensions: { reason: 'tenant-dedicated' } });
    await expect(shared.jobs.progress(runner(promoted), { jobId: held, runToken: heldClaim.runToken, progress: 10, phase: 'reading' })).rejects.toMatchObject({ code: 'FORBIDDEN', extensions: { reason: 'tenant-dedicated' } });
    await refusedSoon(() => shared.datasetJobs.openVersionContent(claim.grant, { datasetVersionId }), 'tenant-dedicated');
    // The models port too, before it reads anything (this job's grant names no model: the tier decides first).
    await refusedSoon(() => shared.modelJobs.openVersionContent(claim.grant, { modelVersionId: randomUUID() }), 'tenant-dedicated');
    // The other shared tenant is served as before.
    await expect(shared.jobs.finish(runner(bystander), strayFinish(bystanderJob))).resolves.toBe(false);
    // The queued jobs wait in the tenant's own ring now, not in the shared one.
    await waitUntil(async () => (await ringOf({ kind: 'dedicated', tenantId: promoted.id })).includes(promoted.id), "the tenant in its own ring", 5_000);
    expect(await ringOf({ kind: 'shared', region })).not.toContain(promoted.id);
    expect((await viewOf(promoted, queued)).status).toBe('QUEUED');

    // Recorded in the platform security log as the shared pool's refused calls for that tenant.
    const denied = await securityEvents('port.call.denied', { actor: 'workers' });
    expect(denied.filter((event) => event.details['requestedTenant'] === promoted.id).map((event) => [event.tenant_id, event.target_id, event.details['reason']])).toEqual(
      expect.arrayContaining([
        [null, 'jobs.finish', 'tenant-dedicated'],
        [null, 'jobs.claim', 'tenant-dedicated'],
        [null, 'jobs.progress', 'tenant-dedicated'],
        [null, 'datasets-job.openVersionContent', 'tenant-dedicated'],
        [null, 'models-job.openVersionContent', 'tenant-dedicated'],
      ]),
    );

    // Its own worker runs both: the held one is taken over from the shared pool's stopped run.
    await stack.workers.start({ dedicatedTenant: promoted.id });
    const heldDone = await waitForStatus(stack, await promoted.token('viewer'), held, ['SUCCEEDED', 'FAILED']);
    expect(heldDone).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(await waitForStatus(stack, await promoted.token('viewer'), queued, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    // The shared tenant's job is still the shared pool's: untouched, it runs when a shared worker does.
    expect(await viewOf(bystander, bystanderJob)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    await stack.workers.start();
    expect(await waitForStatus(stack, await bystander.token('viewer'), bystanderJob, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 180_000);

  it("demote: the shared pool runs the tenant's queued job without a new submit; another dedicated tenant's job stays with its own pool", async () => {
    const [demoted, other] = await Promise.all([stack.createTenant({ tier: 'dedicated' }), stack.createTenant({ tier: 'dedicated' })]);
    const demotedJob = await submitJob(demoted);
    const otherJob = await submitJob(other);
    const shared = await portsOf();
    // While dedicated, the shared pool may not act for it (and the owner caches that record).
    await expect(shared.jobs.finish(runner(demoted), strayFinish(demotedJob))).rejects.toMatchObject({ code: 'FORBIDDEN', extensions: { reason: 'tenant-dedicated' } });
    await stack.workers.start();

    expectNoErrors(await stack.query(platformAdmin, setTier, { id: demoted.id, tier: 'SHARED' }));
    expect(await waitForStatus(stack, await demoted.token('viewer'), demotedJob, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    // The demoted tenant's old certificate is refused; the other dedicated tenant is as it was.
    await expect((await portsOf(demoted.id)).jobs.finish(runner(demoted), strayFinish(demotedJob))).rejects.toMatchObject({ code: 'FORBIDDEN', extensions: { reason: 'tenant-not-dedicated' } });
    expect(await viewOf(other, otherJob)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(await tenantRecord(other.id)).toMatchObject({ tier: 'DEDICATED' });
    expect(await ringOf({ kind: 'dedicated', tenantId: other.id })).toContain(other.id);
    await expect(shared.jobs.finish(runner(other), strayFinish(otherJob))).rejects.toMatchObject({ code: 'FORBIDDEN', extensions: { reason: 'tenant-dedicated' } });
  }, 180_000);

  it("a job the shared pool is running when its tenant is promoted stops at its next call, goes back to the queue without failing, and runs once more on the tenant's own worker", async () => {
    const tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    // Caught running whatever the machine's speed: the shared worker reaches the datasets and jobs
    // ports through relays. Its run opens its data (held there: nothing of it is on its way to the
    // jobs port), then makes its first report ('reading'), held in turn; the tier changes meanwhile,
    // and the report goes on once the jobs service refuses the shared pool for the tenant. (A run
    // caught reading a long file instead could end first on a fast machine, SUCCEEDED with one attempt.)
    const rows = 300;
    const [datasets, jobs] = await Promise.all([portRelay(stack, 'datasets'), portRelay(stack, 'jobs')]);
    await stack.workers.start({ concurrency: 1, env: { ...datasets.env, ...jobs.env } });
    const events = await recordJobEvents(stack, tenant.id);
    try {
      const opening = datasets.relay.hold().held;
      const jobId = await submitJob(tenant, wideCsv(rows, 200));
      const viewer = await tenant.token('viewer');
      await opening;
      const reporting = jobs.relay.hold().held;
      datasets.relay.release();
      await reporting;
      expect(await jobView(stack, viewer, jobId)).toMatchObject({ status: 'RUNNING', attempts: 1 });
      expectNoErrors(await stack.query(platformAdmin, setTier, { id: tenant.id, tier: 'DEDICATED' }));
      const shared = await portsOf();
      await refusedSoon(() => shared.jobs.finish(runner(tenant), strayFinish(jobId)), 'tenant-dedicated');
      jobs.relay.release();
      // The shared worker's run is refused at that report and hands the entry back: nothing fails.
      await waitUntil(async () => (await queueCounts(stack, tenant.id)).active === 0, 'the shared run to let go of the entry', 60_000);
      expect(await jobView(stack, viewer, jobId)).toMatchObject({ status: 'RUNNING', attempts: 1 });
      await stack.workers.start({ dedicatedTenant: tenant.id, concurrency: 1 });
      const done = await waitForStatus(stack, viewer, jobId, ['SUCCEEDED', 'FAILED']);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, error: null });
      expect(done.result?.profile?.rowCount).toBe(rows);
      // One outcome only: never FAILED on the way, one finished queue entry, none failed.
      expect(events.events.filter((event) => event.status === 'FAILED')).toEqual([]);
      expect(await queueCounts(stack, tenant.id)).toMatchObject({ completed: 1, failed: 0, waiting: 0, delayed: 0, active: 0 });
    } finally {
      await events.close();
      await stack.workers.stopAll();
      await Promise.all([datasets.relay.off(), jobs.relay.off()]);
    }
  }, 240_000);

  it("the jobs service's reconciliation moves the queue of a tenant whose tier changed without the move being made (a process died in between)", async () => {
    const tenant = await stack.createTenant();
    const { region } = await tenantRecord(tenant.id);
    const jobId = await submitJob(tenant);
    expect(await ringOf({ kind: 'shared', region })).toContain(tenant.id);
    // The column changed and nothing was announced: what a tenants process that died right after its commit leaves.
    await stack.adminQuery(`UPDATE ${stack.config.database.controlSchema}.tenants SET tier = 'dedicated' WHERE id = ?`, [tenant.id]);
    const runtime = stack.platform.runtimes.jobs;
    const queues = new JobQueues(stack.config.redis);
    try {
      const reconciler = new JobRunReconciler({ db: runtime.db, scopes: runtime.scopes, tenants: runtime.tenants, queues, events: runtime.events, logger: runtime.logger, options: { intervalMs: 0, graceMs: 3_600_000 } });
      const outcome = await reconciler.runOnce();
      expect(outcome.placed).toContain(tenant.id);
      expect(outcome.requeued).not.toContain(jobId);
    } finally {
      await queues.close();
    }
    expect(await ringOf({ kind: 'dedicated', tenantId: tenant.id })).toContain(tenant.id);
    expect(await ringOf({ kind: 'shared', region })).not.toContain(tenant.id);
    expect(await viewOf(tenant, jobId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
  }, 60_000);

  it("a submit made on a tier read before a change follows the change: the tenant ends in its new pool's ring, not the old one", async () => {
    const tenant = await stack.createTenant();
    const { region } = await tenantRecord(tenant.id);
    await submitJob(tenant);
    expect(await ringOf({ kind: 'shared', region })).toContain(tenant.id);
    // The column changed and the jobs service still holds the old record (a long cache, nothing
    // announced): its next submit routes by the old tier, as one racing the announced move would.
    await stack.adminQuery(`UPDATE ${stack.config.database.controlSchema}.tenants SET tier = 'dedicated' WHERE id = ?`, [tenant.id]);
    const jobId = await submitJob(tenant);
    expect(await ringOf({ kind: 'dedicated', tenantId: tenant.id })).toContain(tenant.id);
    expect(await ringOf({ kind: 'shared', region })).not.toContain(tenant.id);
    expect(await viewOf(tenant, jobId)).toMatchObject({ status: 'QUEUED', attempts: 0 });
  }, 60_000);

  it('a suspension bites at once at the gateway and the owners as well (announced the same way)', async () => {
    const tenant = await stack.createTenant();
    const viewer = await tenant.token('viewer');
    expectNoErrors(await stack.query(viewer, '{ currentTenant { id } }'));
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { suspendTenant(id: $id) { id } }', { id: tenant.id }));
    const deadline = Date.now() + 5_000;
    let codes = errorCodes(await stack.query(viewer, '{ currentTenant { id } }'));
    while (codes.length === 0 && Date.now() < deadline) {
      await sleep(50);
      codes = errorCodes(await stack.query(viewer, '{ currentTenant { id } }'));
    }
    expect(codes).toEqual(['FORBIDDEN']);
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: tenant.id }));
  }, 60_000);

  it('only a platform admin changes a tier: tenant roles are FORBIDDEN and nothing changes', async () => {
    const [tenant, other] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    for (const role of ['admin', 'data_scientist', 'viewer', 'auditor'] as const) {
      const own = await stack.query(await tenant.token(role), setTier, { id: tenant.id, tier: 'DEDICATED' });
      expect(errorCodes(own)).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(await other.token(role), setTier, { id: tenant.id, tier: 'DEDICATED' }))).toEqual(['FORBIDDEN']);
    }
    expect(await tenantRecord(tenant.id)).toMatchObject({ tier: 'SHARED' });
    expect(await securityEvents('tenant.tier', { target: tenant.id })).toEqual([]);
  }, 60_000);

  it('bad input is a typed error and changes nothing; the same tier again changes and records nothing; a change is audited in both logs; a tenant pending erasure is CONFLICT', async () => {
    const tenant = await stack.createTenant();
    const before = await tenantRecord(tenant.id);
    const unknownTier = await stack.query(platformAdmin, setTier, { id: tenant.id, tier: 'GOLD' });
    expect(unknownTier.status).toBe(400);
    expect(errorCodes(unknownTier)).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, `mutation { setTenantTier(id: "${tenant.id}", tier: GOLD) { id } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const unknownTenant = await stack.query(platformAdmin, setTier, { id: 'no-such-tenant', tier: 'DEDICATED' });
    expect(errorCodes(unknownTenant)).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(platformAdmin, setTier, { id: 'Not A Tenant!', tier: 'DEDICATED' }))).toEqual(['BAD_USER_INPUT']);
    // The same tier: answered as it is, nothing written, nothing recorded.
    expect(expectNoErrors(await stack.query<{ setTenantTier: { tier: string } }>(platformAdmin, setTier, { id: tenant.id, tier: 'SHARED' })).setTenantTier.tier).toBe('SHARED');
    expect(await tenantRecord(tenant.id)).toEqual(before);
    expect(await securityEvents('tenant.tier', { target: tenant.id })).toEqual([]);

    // A real change: in the platform security log and in the tenant's own log, with the tier before.
    expectNoErrors(await stack.query(platformAdmin, setTier, { id: tenant.id, tier: 'DEDICATED' }));
    expect((await securityEvents('tenant.tier', { target: tenant.id })).map((event) => [event.tenant_id, event.details])).toEqual([[tenant.id, { tier: 'dedicated', 'tier.before': 'shared' }]]);
    await stack.drainAudit(tenant.id);
    const trail = expectNoErrors(
      await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; details: string } }> } }>(await tenant.token('admin'), '{ auditEvents(filter: { action: "tenant.tier" }, first: 10) { edges { node { action details } } } }'),
    );
    expect(trail.auditEvents.edges.map((edge) => JSON.parse(edge.node.details) as unknown)).toEqual([{ tier: 'dedicated', 'tier.before': 'shared' }]);

    // Pending erasure: CONFLICT, the tier stays.
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(platformAdmin, `mutation($id: ID!, $confirm: String!) { requestTenantErasure(tenantId: $id, confirm: $confirm) { id } }`, { id: tenant.id, confirm: tenant.id })).requestTenantErasure;
    const pending = await stack.query(platformAdmin, setTier, { id: tenant.id, tier: 'SHARED' });
    expect(errorCodes(pending)).toEqual(['CONFLICT']);
    expect(pending.errors?.[0]?.extensions).toMatchObject({ reason: 'ERASURE_PENDING', requestId: erasure.id });
    expect(await tenantRecord(tenant.id)).toMatchObject({ tier: 'DEDICATED', status: 'SUSPENDED' });
    expect(await securityEvents('tenant.tier', { target: tenant.id })).toHaveLength(1);
  }, 60_000);
});

