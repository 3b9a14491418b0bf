import { setTimeout as sleep } from 'node:timers/promises';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { jobView, queueCounts, submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';
import { TcpSwitch } from './tcp-switch';

/**
 * The jobs service unreachable from the workers (a restart, a network cut) for longer than a
 * job's retries take: a job no worker could claim meanwhile has not run, so it must not use up its
 * attempts and be left QUEUED with no queue entry; it runs once the service is back.
 */
describe('jobs: the jobs service unreachable from the workers for a while', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;

  beforeAll(async () => {
    // Retries 0.2 s, 0.4 s, 0.8 s apart (JOB_RETRY_BACKOFF_MS), not 1 s, 2 s, 4 s: four attempts
    // that used up the job would be over in 1.4 s, and the claims' own waits double from 0.2 s too.
    stack = await startTestStack({ jobRetryBackoffMs: 200 });
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    scientist = await tenant.token('data_scientist');
  });
  afterAll(() => stack?.stop());

  it('a job whose claims failed for longer than its four attempts take runs once the jobs service is reachable again', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'outage', 'a,b\n1,2\n3,4\n');
    const jobs = new URL(stack.platform.subgraphs.jobs.url);
    const relay = new TcpSwitch(jobs.hostname, Number(jobs.port));
    await relay.on();
    await stack.workers.start({ concurrency: 1, env: { JOBS_PORT_URL: `https://${jobs.hostname}:${relay.port}` } });
    await relay.off();
    try {
      const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
      // Four attempts with backoff (0.2 s, 0.4 s, 0.8 s) take about 1.4 s; the outage lasts twice that.
      await sleep(3_000);
      expect(await jobView(stack, scientist, job.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });
      // The entry still waits for a worker: nothing ended it while nothing ran.
      expect(await queueCounts(stack, tenant.id)).toMatchObject({ failed: 0 });
      await relay.on();
      const done = await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, error: null });
    } finally {
      await relay.off();
      await stack.workers.stopAll();
    }
  }, 120_000);
});
