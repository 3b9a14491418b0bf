import { openRedis, PoolSlots, readRingSignals, sharedPool } from '@tessera/job-queue';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningWorkerProcess } from '@tessera/workers';
import { cancelJob, jobRows, jobView, linearCsv, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/**
 * The shared pool's headroom with real workers and Redis: busy tenants flooding long jobs do not
 * hold every slot, so a newly arriving tenant's job starts while they still have jobs queued and
 * none of theirs has ended (nothing pre-empts a running job). WORKER_POOL_HEADROOM_SLOTS=0 lets
 * busy tenants fill the pool, as before. Order is read from job rows and Redis, never from clocks.
 */
describe('jobs: pool headroom for a newly arriving tenant', () => {
  let stack: TestStack;
  let busyA: TestTenant;
  let busyB: TestTenant;
  let newcomer: TestTenant;
  const versions = new Map<string, string>();
  const tokens = new Map<string, string>();
  const pool = sharedPool('us-east-1');

  beforeAll(async () => {
    stack = await startTestStack(); // no worker yet: the floods are queued first
    const limits = { costBurst: 60_000 };
    [busyA, busyB, newcomer] = await Promise.all([stack.createTenant({ limits }), stack.createTenant({ limits }), stack.createTenant({ limits })]);
    await Promise.all(
      [busyA, busyB, newcomer].map(async (tenant) => {
        tokens.set(tenant.id, await tenant.token('data_scientist'));
        const csv = tenant === newcomer ? 'a,b\n1,x\n2,y\n' : linearCsv(3000);
        versions.set(tenant.id, (await uploadDataset(stack, tokens.get(tenant.id)!, 'data', csv)).versionId);
      }),
    );
  }, 240_000);
  afterAll(() => stack?.stop());

  /** Long training jobs (minutes each): they end only when cancelled. */
  const flood = (tenant: TestTenant, n: number) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) =>
        expectNoErrors(
          await stack.query<{ submitTrainingJob: JobView }>(tokens.get(tenant.id)!, submitTraining, {
            input: { datasetVersionId: versions.get(tenant.id)!, targetColumn: 'y', modelType: 'MLP', modelName: `long${i}`, hyperParameters: { epochs: 2000, hiddenUnits: [64, 32], batchSize: 8 } },
          }),
        ).submitTrainingJob.id,
      ),
    );
  const profile = async (tenant: TestTenant) =>
    expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(tokens.get(tenant.id)!, submitProfile, { input: { datasetVersionId: versions.get(tenant.id)! } })).submitProfileJob.id;
  const statuses = async (tenant: TestTenant) => (await jobRows(stack, tenant)).map((row) => String(row['status']));
  const count = (list: string[], status: string) => list.filter((s) => s === status).length;
  const busyRunning = async () => count(await statuses(busyA), 'RUNNING') + count(await statuses(busyB), 'RUNNING');
  /** Cancels every unfinished job of the busy tenants and waits until none runs, so the next test starts from an idle pool. */
  const drain = async (workers: RunningWorkerProcess[]) => {
    for (const tenant of [busyA, busyB]) {
      for (const row of await jobRows(stack, tenant)) {
        if (row['status'] === 'QUEUED' || row['status'] === 'RUNNING') await stack.query(tokens.get(tenant.id)!, cancelJob, { id: String(row['id']) });
      }
    }
    await waitUntil(async () => (await busyRunning()) === 0, 'the busy tenants\' jobs to stop', 120_000);
    await Promise.all(workers.map((w) => w.stop()));
  };

  it('two busy tenants on two workers of 2 slots (H = 1) leave one slot: the newcomer\'s job runs while theirs run on and wait', async () => {
    const [aJobs, bJobs] = await Promise.all([flood(busyA, 4), flood(busyB, 4)]);
    // Two worker processes picking at once: the headroom holds across them.
    const workers = await Promise.all([0, 1].map(() => stack.workers.start({ concurrency: 2, env: { WORKER_POOL_HEADROOM_SLOTS: '1' } })));
    const redis = openRedis(await stack.workers.redis(), 'headroom-test', 'request');
    try {
      const slots = new PoolSlots(redis, stack.config.redis.keyPrefix, pool, 60_000);
      // Both workers announced: 4 slots. The busy tenants take 3 and stop there: one is kept.
      await waitUntil(async () => (await slots.read()).slots === 4 && (await busyRunning()) === 3, 'the busy tenants to run 3 jobs on 4 slots', 120_000);
      // What an autoscaler reads: the held-back jobs are queued demand, although a slot is free.
      const signals = await readRingSignals(redis, stack.config.redis.keyPrefix, pool);
      expect(signals).toMatchObject({ queued: aJobs.length + bJobs.length - 3, running: 3, tenants: 2 });
      expect((await slots.read()).busy).toBe(3);

      const newcomerJob = await profile(newcomer);
      expect(await waitForStatus(stack, await newcomer.token('viewer'), newcomerJob, ['SUCCEEDED', 'FAILED'], 90_000)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      // It ran on the kept slot: none of the busy tenants' jobs has ended, and both still have queued jobs.
      const [a, b] = await Promise.all([statuses(busyA), statuses(busyB)]);
      expect(count(a, 'RUNNING') + count(b, 'RUNNING')).toBe(3);
      expect(count(a, 'QUEUED') + count(a, 'RUNNING')).toBe(aJobs.length);
      expect(count(b, 'QUEUED') + count(b, 'RUNNING')).toBe(bJobs.length);
      expect(count(a, 'QUEUED')).toBeGreaterThanOrEqual(2);
      expect(count(b, 'QUEUED')).toBeGreaterThanOrEqual(2);
      // Its slot is back: the busy tenants never took the kept slot, before or after.
      await waitUntil(async () => (await slots.read()).busy === 3, 'the newcomer\'s slot to be free again', 30_000);
      expect(await busyRunning()).toBe(3);
    } finally {
      redis.disconnect();
      await drain(workers);
    }
  }, 400_000);

  it('H = 0 keeps no headroom: the busy tenants take every slot and the newcomer waits for one of their jobs to end', async () => {
    await Promise.all([flood(busyA, 2), flood(busyB, 2)]);
    const worker = await stack.workers.start({ concurrency: 2, env: { WORKER_POOL_HEADROOM_SLOTS: '0' } });
    try {
      await waitUntil(async () => (await busyRunning()) === 2, 'the busy tenants to fill both slots', 120_000);
      const newcomerJob = await profile(newcomer);
      const viewer = await newcomer.token('viewer');
      // Nothing pre-empts a running job: with every slot busy, the newcomer's job is queued.
      expect((await waitForStatus(stack, viewer, newcomerJob, ['QUEUED'])).attempts).toBe(0);
      // Their queued jobs are cancelled (else the freed slot could go to one of them, as before), then one running job.
      for (const tenant of [busyA, busyB]) {
        for (const row of await jobRows(stack, tenant)) {
          if (row['status'] === 'QUEUED') await stack.query(tokens.get(tenant.id)!, cancelJob, { id: String(row['id']) });
        }
      }
      expect((await jobView(stack, viewer, newcomerJob)).status).toBe('QUEUED');
      const running = (await jobRows(stack, busyA)).find((row) => row['status'] === 'RUNNING')!;
      await stack.query(tokens.get(busyA.id)!, cancelJob, { id: String(running['id']) });
      expect(await waitForStatus(stack, viewer, newcomerJob, ['SUCCEEDED', 'FAILED'], 90_000)).toMatchObject({ status: 'SUCCEEDED' });
      // It started only after the cancelled job ended.
      const [ended] = (await jobRows(stack, busyA)).filter((row) => row['id'] === running['id']);
      expect(ended!['status']).toBe('CANCELLED');
    } finally {
      await drain([worker]);
    }
  }, 400_000);
});
