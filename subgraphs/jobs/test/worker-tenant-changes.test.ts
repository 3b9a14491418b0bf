import { randomUUID } from 'node:crypto';
import { JobQueues, openRedis, sharedPool, TenantLeases, TenantRing } from '@tessera/job-queue';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { jobRows, submitProfile, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/** How long the services and the worker cache a tenant's record here: far longer than the test, so only the announcement can make a change bite. */
const longCacheMs = 600_000;

/**
 * A worker hears the tenants service's announcements (`<prefix>:tenants:changed`) as every service
 * does: its scheduler drops its cached record of the tenant, so a suspension stops it taking the
 * tenant's jobs at once, and a resume lets them run at once, not after TENANT_CACHE_TTL_MS.
 *
 * One worker with one slot, so the ring is read by one loop only: the ring is a list rotated by
 * each visit (head to tail), so when a tenant queued after another gets its job run, the worker has
 * visited the other one (and read its record) after that job was queued. That is how the test knows
 * the worker looked at the tenant at each step without waiting for a fixed time.
 */
describe('workers: a changed tenant record bites in the scheduler at once', () => {
  let stack: TestStack;
  let platformAdmin: string;

  beforeAll(async () => {
    stack = await startTestStack({ tenantCacheTtlMs: longCacheMs });
    platformAdmin = await stack.platformAdminToken();
  }, 120_000);
  afterAll(() => stack?.stop());

  async function submitJob(tenant: TestTenant): Promise<string> {
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, `numbers-${randomUUID().slice(0, 8)}`, 'x,y\n1,2\n3,4\n');
    return expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
  }

  async function setStatus(tenant: TestTenant, mutation: 'suspendTenant' | 'resumeTenant'): Promise<void> {
    const { status } = expectNoErrors(await stack.query<Record<string, { status: string }>>(platformAdmin, `mutation($id: ID!) { ${mutation}(id: $id) { id status } }`, { id: tenant.id }))[mutation]!;
    expect(status).toBe(mutation === 'suspendTenant' ? 'SUSPENDED' : 'ACTIVE');
  }

  /** A job of `tenant`, run to the end: proof that the worker visited every tenant queued before it in the ring. */
  async function runOne(tenant: TestTenant): Promise<void> {
    const jobId = await submitJob(tenant);
    await expect(waitForStatus(stack, await tenant.token('viewer'), jobId, ['SUCCEEDED', 'FAILED'], 60_000)).resolves.toMatchObject({ status: 'SUCCEEDED' });
  }

  it("a suspension stops the worker taking the tenant's queued job at once (no lease, no fetch, no claim), and a resume lets it run at once", async () => {
    const region = 'us-east-1';
    const suspended = await stack.createTenant({ region, limits: { maxConcurrentJobs: 1 } });
    const bystander = await stack.createTenant({ region });
    const redis = openRedis(stack.config.redis, 'test-worker-changes', 'request');
    const queues = new JobQueues(stack.config.redis);
    await stack.workers.start({ concurrency: 1, env: { TENANT_CACHE_TTL_MS: String(longCacheMs) } });
    try {
      const ring = new TenantRing(redis, stack.config.redis.keyPrefix);
      // The test holds the tenant's one concurrency lease (for longer than the test), so its job
      // stays queued while the worker reads its record (ACTIVE) and caches it for ten minutes.
      const leases = new TenantLeases(redis, stack.config.redis.keyPrefix, longCacheMs);
      expect(await leases.acquire(suspended.id, 'test-holder', 1)).toBe(true);
      const jobId = await submitJob(suspended);
      await runOne(bystander);
      // The bystander leaves the ring once its queue is empty; then only the held tenant is left in it.
      await waitUntil(async () => !(await ring.members(sharedPool(region))).includes(bystander.id), 'the bystander to leave the ring', 30_000);

      await setStatus(suspended, 'suspendTenant');
      await leases.release(suspended.id, 'test-holder');
      // Queued behind the suspended tenant: once it has run, the worker has visited the suspended
      // tenant with its lease free, after the suspension (announced before suspendTenant answered).
      await runOne(bystander);
      // (A suspended tenant's own tokens read nothing: the row is read as the service reads it.)
      expect((await jobRows(stack, suspended)).find((row) => row['id'] === jobId)).toMatchObject({ status: 'QUEUED', attempts: 0, start_seq: null });
      // Not even fetched. A worker still on its cached ACTIVE record would lease the tenant, fetch
      // the entry and ask the jobs service to claim it (refused there), leaving the entry delayed.
      const entries = await queues.queueFor(suspended.id).getJobs(['waiting', 'prioritized', 'delayed', 'active']);
      expect(entries.map((entry) => ({ state: entry.finishedOn ? 'finished' : 'open', attemptsStarted: entry.attemptsStarted, attemptsMade: entry.attemptsMade }))).toEqual([
        { state: 'open', attemptsStarted: 0, attemptsMade: 0 },
      ]);
      expect(await queues.queueFor(suspended.id).getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 1, delayed: 0, active: 0 });
      expect(await leases.held(suspended.id)).toBe(0);

      // The worker now holds SUSPENDED for ten minutes: only the announcement lets the job run.
      await setStatus(suspended, 'resumeTenant');
      await expect(waitForStatus(stack, await suspended.token('viewer'), jobId, ['SUCCEEDED', 'FAILED'], 30_000)).resolves.toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    } finally {
      await stack.workers.stopAll();
      await queues.close();
      await redis.quit();
    }
  }, 240_000);
});
