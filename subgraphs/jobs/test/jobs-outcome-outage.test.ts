import { setTimeout as sleep } from 'node:timers/promises';
import { JobQueues, queueJobId } from '@tessera/job-queue';
import { JobRunReconciler } from '@tessera/jobs';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningWorkerProcess } from '@tessera/workers';
import { jobRows, jobView, linearCsv, queueCounts, recordJobEvents, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';
import { TcpSwitch } from './tcp-switch';

/**
 * The jobs service unreachable from a worker at the moment it records a run's outcome, or the
 * tenant suspended between the pick and the claim: no row may stay RUNNING or QUEUED with nothing
 * behind it. The worker retries the outcome for WORKER_OUTCOME_RETRY_MS; past that, the jobs
 * service's reconciler ends a RUNNING row whose queue entry has ended (RUN_LOST), and leaves alone
 * a row whose entry a worker still holds, however long it takes.
 */
describe('jobs: outcomes the worker could not record', () => {
  const graceMs = 1_500;
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let jobsRelay: TcpSwitch;
  let datasetsRelay: TcpSwitch;
  let modelsRelay: TcpSwitch;

  beforeAll(async () => {
    // Rows unchanged for 1.5 s are checked against their entries every half second (the waits
    // below that must outlast the grace time are twice it or more).
    stack = await startTestStack({ jobReconciler: { intervalMs: 500, graceMs: graceMs } });
    // One unfinished job at most: a row left RUNNING would refuse every later submit.
    tenant = await stack.createTenant({ limits: { costBurst: 60_000, maxQueuedJobs: 1 } });
    scientist = await tenant.token('data_scientist');
    const relayTo = async (url: string) => {
      const target = new URL(url);
      const relay = new TcpSwitch(target.hostname, Number(target.port));
      await relay.on();
      return relay;
    };
    jobsRelay = await relayTo(stack.platform.subgraphs.jobs.url);
    datasetsRelay = await relayTo(stack.platform.subgraphs.datasets.url);
    modelsRelay = await relayTo(stack.platform.subgraphs.models.url);
  });
  afterAll(async () => {
    await stack?.workers.stopAll();
    for (const relay of [jobsRelay, datasetsRelay, modelsRelay]) await relay?.off();
    await stack?.stop();
  });
  afterEach(async () => {
    datasetsRelay.release();
    modelsRelay.release();
    await jobsRelay.on();
  });

  const startWorker = (outcomeRetryMs: number) =>
    stack.workers.start({
      concurrency: 1,
      env: {
        JOBS_PORT_URL: `https://127.0.0.1:${jobsRelay.port}`,
        DATASETS_PORT_URL: `https://127.0.0.1:${datasetsRelay.port}`,
        MODELS_PORT_URL: `https://127.0.0.1:${modelsRelay.port}`,
        WORKER_OUTCOME_RETRY_MS: String(outcomeRetryMs),
        // Tries again after 100 ms, doubling to 400 ms (by default 1 s to 10 s): the run still
        // retries, many times over, through each outage below, and records its outcome within 0.4 s
        // of the jobs service's return, where the default's tries (1, 3, 7 s after the first) could
        // leave it waiting up to 4 s more.
        WORKER_OUTCOME_RETRY_BACKOFF_MS: '100',
        WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: '400',
      },
    });

  /**
   * The worker that retries an outcome for 30 s, kept from one test to the next that runs with it
   * (starting a worker process is most of a test's CPU here); the tests that need another worker,
   * or none, stop it first. Those that share it run one after another, each with its job ended.
   */
  const steadyWorker = async () => {
    const running = stack.workers.running();
    if (running.length === 1 && running[0] === steady) return steady;
    await stack.workers.stopAll();
    steady = await startWorker(30_000);
    return steady;
  };
  let steady: RunningWorkerProcess | undefined;

  const submitLinear = async (versionId: string) =>
    expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, { input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', hyperParameters: { epochs: 5 } } }),
    ).submitTrainingJob;

  it('the jobs service unreachable when the worker records SUCCEEDED, for less than the retry time: the same run records it (one attempt, one model version)', async () => {
    const [{ versionId }] = await Promise.all([uploadDataset(stack, scientist, 'outcome-ok', linearCsv(60)), steadyWorker()]);
    // The model is registered (models port) after the run's last check with the jobs service and
    // before it records the outcome: the jobs service goes away exactly there.
    const { held } = modelsRelay.hold();
    const job = await submitLinear(versionId);
    await held;
    await jobsRelay.off();
    modelsRelay.release();
    // Past the reconciler's grace time, twice over: the row is still the worker's, retrying.
    await sleep(2 * graceMs);
    expect((await jobRows(stack, tenant)).find((r) => r['id'] === job.id)).toMatchObject({ status: 'RUNNING' });
    await jobsRelay.on();
    const done = await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, error: null });
    const versions = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.model_versions WHERE job_id = ?`, [job.id])) as Array<{ id: string }>;
    expect(versions).toEqual([{ id: done.result!.modelVersionId }]);
  }, 120_000);

  it('a healthy run whose row has not changed for longer than the grace time is left alone: its entry is held', async () => {
    const [{ versionId }] = await Promise.all([uploadDataset(stack, scientist, 'slow-open', linearCsv(60)), steadyWorker()]);
    // The run waits on the datasets port, well past the grace time, with its lock renewed.
    const { held } = datasetsRelay.hold();
    const job = await submitLinear(versionId);
    await held;
    await sleep(3 * graceMs);
    expect(await jobView(stack, scientist, job.id)).toMatchObject({ status: 'RUNNING', error: null });
    datasetsRelay.release();
    expect(await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, error: null });
  }, 120_000);

  it('a tenant suspended between the pick and the claim: the entry waits (the row stays QUEUED with its entry) and the job runs once the tenant is resumed', async () => {
    const [{ versionId }, platformAdmin] = await Promise.all([uploadDataset(stack, scientist, 'suspended', 'a,b\n1,2\n3,4\n'), stack.platformAdminToken(), steadyWorker()]);
    const { held } = jobsRelay.hold();
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    await held;
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { suspendTenant(id: $id) { id } }', { id: tenant.id }));
    jobsRelay.release();
    await sleep(2_000);
    expect((await jobRows(stack, tenant)).find((r) => r['id'] === job.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    // Its entry was not ended: it waits (delayed) for the tenant to be active again.
    expect(['delayed', 'waiting', 'active']).toContain(await entryState(job.id, 1));
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: tenant.id }));
    expect(await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 90_000)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 150_000);

  it('the jobs service unreachable for longer than the worker retries the outcome: the row ends FAILED RUN_LOST, audited and published, and frees the tenant\'s queue limit', async () => {
    await stack.workers.stopAll(); // its job is this worker's alone
    const [{ datasetId, versionId }] = await Promise.all([uploadDataset(stack, scientist, 'outcome-lost', linearCsv(60)), startWorker(1_000)]);
    const recorder = await recordJobEvents(stack, tenant.id);
    // The run opens its data through the datasets port right after its claim. Held there, the jobs
    // service goes away and the dataset is deleted: the run fails (NOT_FOUND), and that outcome
    // cannot be recorded.
    const { held } = datasetsRelay.hold();
    const job = await submitLinear(versionId);
    await held;
    await jobsRelay.off();
    expectNoErrors(await stack.query(await tenant.token('admin'), 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: datasetId }));
    datasetsRelay.release();
    // The worker gives up on the outcome after a second and ends its entry; nothing runs the row
    // any more, and while it is unfinished the tenant's one slot is taken.
    // Watched in the database (a minute of GraphQL polls would spend the tenant's rate budget).
    const rowStatus = async () => (await jobRows(stack, tenant)).find((r) => r['id'] === job.id)?.['status'];
    await waitUntil(async () => (await rowStatus()) !== 'RUNNING', 'the row to leave RUNNING', 30_000).catch(async () => expect(await rowStatus()).not.toBe('RUNNING'));
    const ended = await jobView(stack, scientist, job.id);
    expect(ended).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'RUN_LOST' } });
    expect(ended.error!.message).toMatch(/outcome/);
    expect((await jobRows(stack, tenant)).find((r) => r['id'] === job.id)).toMatchObject({ status: 'FAILED', run_token: null });
    expect(await entryState(job.id, 1)).toBe('failed');
    expect(await queueCounts(stack, tenant.id)).toMatchObject({ active: 0, waiting: 0, delayed: 0 });
    await waitForEvent(recorder, job.id, 'FAILED');
    await recorder.close();
    await stack.drainAudit(tenant.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT actor_subject, action, target_id FROM \`${tenant.schema}\`.audit_events WHERE target_id = ? ORDER BY seq`, [job.id])) as Array<Record<string, unknown>>;
    expect(audit.map((a) => `${a['action']} ${a['actor_subject']}`)).toEqual([expect.stringMatching(/^job\.submit /), 'job.reconcile system:job-reconciler']);
    // The slot is free again: the next job is taken and runs.
    await jobsRelay.on();
    const { versionId: small } = await uploadDataset(stack, scientist, 'after-lost', 'a,b\n1,2\n');
    const next = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: small } })).submitProfileJob;
    expect(await waitForStatus(stack, scientist, next.id, ['SUCCEEDED', 'FAILED'], 60_000)).toMatchObject({ status: 'SUCCEEDED' });
    // Ended once: later passes find nothing to change.
    await sleep(1_500);
    await stack.drainAudit(tenant.id);
    const reconciled = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.audit_events WHERE action = 'job.reconcile'`)) as Array<{ n: number | string }>;
    expect(Number(reconciled[0]!.n)).toBe(1);
  }, 120_000);

  it('a QUEUED row whose entry is gone is queued again, once, however many replicas look at it; then it runs', async () => {
    await stack.workers.stopAll(); // no worker may take the job before its entry is removed
    const { versionId } = await uploadDataset(stack, scientist, 'entry-lost', 'a,b\n1,2\n');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    // What a Redis that lost its data (no appendonly) leaves: the row, and no entry.
    const queues = new JobQueues(stack.config.redis);
    try {
      expect(await queues.remove(tenant.id, job.id, 1)).toBe(true);
    } finally {
      await queues.close();
    }
    expect(await entryState(job.id, 1)).toBe('unknown');
    // Two more replicas of the jobs service's reconciler, besides its own, all looking at once.
    const runtime = stack.platform.runtimes.jobs;
    const replicaQueues = [new JobQueues(stack.config.redis), new JobQueues(stack.config.redis)];
    const replicas = replicaQueues.map((queues) => new JobRunReconciler({ db: runtime.db, scopes: runtime.scopes, tenants: runtime.tenants, queues, events: runtime.events, logger: runtime.logger, options: { intervalMs: 0, graceMs } }));
    await sleep(graceMs + 200);
    try {
      await Promise.all(replicas.map((replica) => replica.runOnce()));
    } finally {
      await Promise.all(replicaQueues.map((queues) => queues.close()));
    }
    await sleep(1_000);
    expect(['waiting', 'delayed']).toContain(await entryState(job.id, 1));
    await stack.drainAudit(tenant.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT action, actor_subject FROM \`${tenant.schema}\`.audit_events WHERE target_id = ? ORDER BY seq`, [job.id])) as Array<Record<string, unknown>>;
    expect(audit.map((a) => a['action'])).toEqual(['job.submit', 'job.reconcile']);
    expect((await jobRows(stack, tenant)).find((r) => r['id'] === job.id)).toMatchObject({ status: 'QUEUED', attempts: 0, submission: 1 });
    await startWorker(30_000);
    expect(await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 120_000);

  async function entryState(jobId: string, submission: number): Promise<string> {
    const queues = new JobQueues(stack.config.redis);
    try {
      return String(await queues.queueFor(tenant.id).getJobState(queueJobId(jobId, submission)));
    } finally {
      await queues.close();
    }
  }

  async function waitForEvent(recorder: { events: Array<{ jobId: string; status: string }> }, jobId: string, status: string): Promise<void> {
    for (let i = 0; i < 100 && !recorder.events.some((e) => e.jobId === jobId && e.status === status); i++) await sleep(100);
    expect(recorder.events.filter((e) => e.jobId === jobId).map((e) => e.status)).toContain(status);
  }
});
