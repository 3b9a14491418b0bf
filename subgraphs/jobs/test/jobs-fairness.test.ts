import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { jobRows, submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';

/**
 * Fair scheduling across tenants and the dedicated-tier pool. Ordering is read from each job's
 * start sequence (a platform-wide counter taken when a worker claims the job), never from clocks.
 */
describe('jobs: fairness across tenants, dedicated worker pools', () => {
  let stack: TestStack;
  let noisy: TestTenant;
  let quiet: TestTenant;
  let dedicated: TestTenant;
  const noisyJobs: string[] = [];
  let quietJob: string;
  let dedicatedJob: string;

  beforeAll(async () => {
    stack = await startTestStack(); // no worker yet: everything below is queued first
    [noisy, quiet, dedicated] = await Promise.all([
      // 200 quick submissions cost more than a minute's default budget: this test is about the scheduler, not the gateway.
      stack.createTenant({ limits: { maxQueuedJobs: 500, costPerMinute: 1_000_000, costBurst: 1_000_000 } }),
      stack.createTenant({ limits: { costBurst: 60_000 } }),
      stack.createTenant({ tier: 'dedicated', limits: { costBurst: 60_000 } }),
    ]);
    const submit = async (tenant: TestTenant, versionId: string) =>
      expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(await tenant.token('data_scientist'), submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
    const csv = 'a,b\n1,x\n2,y\n';
    const [noisyVersion, quietVersion, dedicatedVersion] = await Promise.all(
      [noisy, quiet, dedicated].map(async (tenant) => (await uploadDataset(stack, await tenant.token('data_scientist'), 'small', csv)).versionId),
    );
    for (let i = 0; i < 200; i += 20) {
      noisyJobs.push(...(await Promise.all(Array.from({ length: 20 }, () => submit(noisy, noisyVersion!)))));
    }
    quietJob = await submit(quiet, quietVersion!);
    dedicatedJob = await submit(dedicated, dedicatedVersion!);
  });
  afterAll(() => stack?.stop());

  it('tenant B\'s single job starts before almost all of tenant A\'s 200 earlier jobs (one worker, one slot)', async () => {
    const worker = await stack.workers.start({ concurrency: 1 });
    await waitForStatus(stack, await quiet.token('viewer'), quietJob, ['SUCCEEDED']);
    await worker.stop();
    const [quietRow] = await jobRows(stack, quiet);
    const quietSeq = Number(quietRow!['start_seq']);
    const noisyStarts = (await jobRows(stack, noisy)).filter((row) => row['start_seq'] !== null).map((row) => Number(row['start_seq']));
    const startedBefore = noisyStarts.filter((seq) => seq < quietSeq).length;
    // Round robin over tenants with work: A, B, A, … so B starts second, whatever A's backlog.
    expect(startedBefore).toBeLessThanOrEqual(2);
    expect(noisyJobs.length - startedBefore).toBeGreaterThanOrEqual(198);
    // And A kept making progress too (B does not starve A either).
    expect(noisyStarts.length).toBeGreaterThanOrEqual(1);
  });

  it('shared workers never take a dedicated-tier tenant\'s job; a worker started for that tenant does, and only that', async () => {
    const viewer = await dedicated.token('viewer');
    // The shared worker above ran many jobs and has stopped: the dedicated tenant's job never started.
    expect((await waitForStatus(stack, viewer, dedicatedJob, ['QUEUED'])).attempts).toBe(0);
    const startedBefore = (await jobRows(stack, noisy)).filter((row) => row['start_seq'] !== null).length;
    const own = await stack.workers.start({ dedicatedTenant: dedicated.id, concurrency: 2 });
    expect(own.pool).toBe(`dedicated-${dedicated.id}`);
    expect(await waitForStatus(stack, viewer, dedicatedJob, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    // While only the dedicated worker ran, none of the shared tenant's queued jobs started.
    expect((await jobRows(stack, noisy)).filter((row) => row['start_seq'] !== null).length).toBe(startedBefore);
    await own.stop();
  });
});
