import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobQueues, openRedis, sharedPool, TenantRing, tenantQueueName } from '@tessera/job-queue';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { cancelJob, jobRows, linearCsv, retryJob, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/**
 * Queue entries written straight into Redis, as anyone who can write to it could: a real worker
 * process must run a job only as the principal its row records, and drop entries that name no
 * current submission of a job of the queue's own tenant, changing nothing and auditing nobody.
 */
describe('jobs: queue entries carry ids only; forged entries cannot make a worker act as someone else', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let scientistA: string;
  let adminA: string;
  let scientistB: string;
  let smallA: string;
  let smallB: string;
  let linearA: string;
  let forger: Redis;
  let producer: JobQueues;
  const queues = new Map<string, Queue>();

  beforeAll(async () => {
    stack = await startTestStack();
    // Polls on purpose: a minute's burst, so the gateway's burst limit does not pace this test.
    [a, b] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.createTenant({ limits: { costBurst: 60_000 } })]);
    [scientistA, adminA, scientistB] = await Promise.all([a.token('data_scientist'), a.token('admin'), b.token('data_scientist')]);
    [smallA, smallB, linearA] = (
      await Promise.all([uploadDataset(stack, scientistA, 'small', 'a,b\n1,2\n3,4\n'), uploadDataset(stack, scientistB, 'small', 'a,b\n1,2\n3,4\n'), uploadDataset(stack, scientistA, 'linear', linearCsv(60))])
    ).map((upload) => upload.versionId) as [string, string, string];
    forger = openRedis(stack.config.redis, 'forger', 'request');
    producer = new JobQueues(stack.config.redis);
  });
  afterEach(() => stack.workers.stopAll());
  afterAll(async () => {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    await producer?.close();
    await forger?.quit();
    await stack?.stop();
  });

  function queueOf(tenantId: string): Queue {
    let queue = queues.get(tenantId);
    if (!queue) {
      queue = new Queue(tenantQueueName(tenantId), { connection: forger, prefix: stack.config.redis.keyPrefix });
      queues.set(tenantId, queue);
    }
    return queue;
  }

  /** Adds `data` to the tenant's BullMQ queue under the stack's prefix, and puts the tenant in the ring so a worker visits it. */
  async function forge(tenantId: string, data: Record<string, unknown>): Promise<string> {
    const id = `forged-${randomUUID()}`;
    await queueOf(tenantId).add('job', data, { jobId: id, attempts: 3 });
    await new TenantRing(forger, stack.config.redis.keyPrefix).add(sharedPool('us-east-1'), tenantId);
    return id;
  }

  /** Waits until the worker is done with a forged entry; its final state, what it returned and why it failed. */
  async function settled(tenantId: string, id: string): Promise<{ state: string; returnvalue: unknown; failedReason: string | undefined }> {
    let state = 'unknown';
    await waitUntil(async () => {
      state = (await (await queueOf(tenantId).getJob(id))?.getState()) ?? 'missing';
      return state === 'completed' || state === 'failed';
    }, `forged entry ${id} to be taken and finished`);
    const entry = (await queueOf(tenantId).getJob(id))!;
    return { state, returnvalue: entry.returnvalue, failedReason: entry.failedReason };
  }

  /** Submits without a worker running and takes the real entry out of the queue: from then on only a forged entry could run the job. */
  async function queuedWithoutEntry(tenant: TestTenant, token: string, mutation: string, input: Record<string, unknown>): Promise<string> {
    const response = expectNoErrors(await stack.query<Record<string, JobView>>(token, mutation, { input }));
    const job = Object.values(response)[0]!;
    expect(await producer.remove(tenant.id, job.id, 1)).toBe(true);
    return job.id;
  }

  /** Everything a run could change in a tenant: job rows, the audit trail (outbox drained first), models and dataset versions. */
  async function snapshot(tenant: TestTenant): Promise<Record<string, unknown>> {
    await stack.drainAudit(tenant.id);
    const db = stack.platform.runtime.db;
    return {
      jobs: await jobRows(stack, tenant),
      audit: await db.query(`SELECT seq, actor_subject, actor_roles, action, target_id FROM \`${tenant.schema}\`.audit_events ORDER BY seq`),
      outbox: await db.query(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.audit_outbox`),
      models: await db.query(`SELECT id FROM \`${tenant.schema}\`.model_versions ORDER BY id`),
      datasetVersions: await db.query(`SELECT id FROM \`${tenant.schema}\`.dataset_versions ORDER BY id`),
    };
  }

  async function row(tenant: TestTenant, jobId: string): Promise<Record<string, unknown>> {
    return (await jobRows(stack, tenant)).find((r) => r['id'] === jobId)!;
  }

  it("a forged entry claiming admin 'mallory' for a real queued job: the job runs as its real submitter", async () => {
    const jobId = await queuedWithoutEntry(a, scientistA, submitTraining, {
      datasetVersionId: linearA,
      targetColumn: 'y',
      modelType: 'LINEAR_REGRESSION',
      modelName: 'forged-run',
      hyperParameters: { epochs: 3 },
    });
    const submitter = String((await row(a, jobId))['created_by']);
    expect(submitter).not.toBe('mallory');
    const forged = await forge(a.id, {
      tenantId: a.id,
      jobId,
      submission: 1,
      actor: { subject: 'mallory', roles: ['admin'], clientId: 'mallory-client' },
      trace: {},
    });

    await stack.workers.start({ concurrency: 1 });
    const done = await waitForStatus(stack, scientistA, jobId, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(await settled(a.id, forged)).toMatchObject({ state: 'completed', returnvalue: { status: 'SUCCEEDED' } });
    expect(await row(a, jobId)).toMatchObject({ created_by: submitter, run_as_subject: submitter, run_as_roles: 'data_scientist' });

    // What the run wrote names the submitter with the submitter's role; nobody is 'mallory' or admin.
    // (The models service took that principal from the job's grant: a worker names no actor to it.)
    await stack.drainAudit(a.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT actor_subject, actor_roles, actor_client, action, request_id FROM \`${a.schema}\`.audit_events ORDER BY seq`)) as Array<
      Record<string, string | null>
    >;
    const submitted = audit.find((e) => e['action'] === 'job.submit' && e['request_id'] !== `job-${jobId}-1`);
    const byRun = audit.filter((e) => e['request_id'] === `job-${jobId}-1`);
    expect(byRun.map((e) => e['action'])).toEqual(expect.arrayContaining(['model.create']));
    for (const event of byRun) expect(event).toMatchObject({ actor_subject: submitter, actor_roles: 'data_scientist', actor_client: submitted!['actor_client'] ?? null });
    expect(audit.filter((e) => e['actor_subject'] === 'mallory' || e['actor_client'] === 'mallory-client' || String(e['actor_roles']).includes('admin'))).toEqual([]);
    const models = (await stack.platform.runtime.db.query(
      `SELECT m.created_by AS model_by, v.created_by AS version_by FROM \`${a.schema}\`.model_versions v JOIN \`${a.schema}\`.models m ON m.id = v.model_id WHERE v.job_id = ?`,
      [jobId],
    )) as Array<{ model_by: string; version_by: string }>;
    expect(models).toEqual([{ model_by: submitter, version_by: submitter }]);
  });

  it('forged entries naming no job of the tenant, or with ids that are not ids: nothing runs, nothing changes, and the worker keeps working', async () => {
    const before = await snapshot(a);
    const missing = await forge(a.id, { tenantId: a.id, jobId: randomUUID(), submission: 1, actor: { subject: 'mallory', roles: ['admin'], clientId: null } });
    const injected = await forge(a.id, { tenantId: a.id, jobId: "x' OR '1'='1", submission: 1 });
    const noSubmission = await forge(a.id, { tenantId: a.id, jobId: randomUUID(), submission: '1' });
    const worker = await stack.workers.start({ concurrency: 1 });

    expect(await settled(a.id, missing)).toMatchObject({ state: 'completed', returnvalue: { skipped: 'missing' } });
    expect(await settled(a.id, injected)).toMatchObject({ state: 'failed', failedReason: expect.stringMatching(/refused \(malformed\).*jobId/) });
    expect(await settled(a.id, noSubmission)).toMatchObject({ state: 'failed', failedReason: expect.stringMatching(/refused \(malformed\).*submission/) });
    expect(await snapshot(a)).toEqual(before);

    // The same worker process goes on to run a real job.
    const real = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientistA, submitProfile, { input: { datasetVersionId: smallA } })).submitProfileJob;
    expect(await waitForStatus(stack, scientistA, real.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    expect(stack.workers.running().map((w) => w.pid)).toEqual([worker.pid]);
  });

  it("an entry in one tenant's queue naming the other tenant or the other tenant's job: nothing runs for either tenant", async () => {
    const jobA = await queuedWithoutEntry(a, scientistA, submitProfile, { datasetVersionId: smallA });
    const jobB = await queuedWithoutEntry(b, scientistB, submitProfile, { datasetVersionId: smallB });
    const [beforeA, beforeB] = [await snapshot(a), await snapshot(b)];
    const forged = [
      // Names B (and B's job) while sitting in A's queue, and the other way round: refused.
      { queue: a.id, id: await forge(a.id, { tenantId: b.id, jobId: jobB, submission: 1 }) },
      { queue: b.id, id: await forge(b.id, { tenantId: a.id, jobId: jobA, submission: 1 }) },
      // Names the queue's tenant but the other tenant's job: there is no such job in this schema.
      { queue: a.id, id: await forge(a.id, { tenantId: a.id, jobId: jobB, submission: 1 }) },
      { queue: b.id, id: await forge(b.id, { tenantId: b.id, jobId: jobA, submission: 1 }) },
    ];
    await stack.workers.start({ concurrency: 2 });

    expect(await settled(a.id, forged[0]!.id)).toMatchObject({ state: 'failed', failedReason: expect.stringContaining('refused (other-tenant)') });
    expect(await settled(b.id, forged[1]!.id)).toMatchObject({ state: 'failed', failedReason: expect.stringContaining('refused (other-tenant)') });
    expect(await settled(a.id, forged[2]!.id)).toMatchObject({ state: 'completed', returnvalue: { skipped: 'missing' } });
    expect(await settled(b.id, forged[3]!.id)).toMatchObject({ state: 'completed', returnvalue: { skipped: 'missing' } });
    expect(await snapshot(a)).toEqual(beforeA);
    expect(await snapshot(b)).toEqual(beforeB);
    expect(await row(a, jobA)).toMatchObject({ status: 'QUEUED', attempts: 0, run_token: null });
    expect(await row(b, jobB)).toMatchObject({ status: 'QUEUED', attempts: 0, run_token: null });

    for (const [token, id] of [[scientistA, jobA], [scientistB, jobB]] as const) {
      expect(expectNoErrors(await stack.query<{ cancelJob: JobView }>(token, cancelJob, { id })).cancelJob.status).toBe('CANCELLED');
    }
  });

  it('entries of an earlier or a later submission are dropped; the current one runs as whoever retried the job', async () => {
    const jobId = await queuedWithoutEntry(a, scientistA, submitProfile, { datasetVersionId: smallA });
    expectNoErrors(await stack.query(scientistA, cancelJob, { id: jobId }));
    // Retried by an admin: submission 2, whose runs act for the admin. Its real entry is taken out too.
    expect(expectNoErrors(await stack.query<{ retryJob: JobView }>(adminA, retryJob, { id: jobId })).retryJob.status).toBe('QUEUED');
    expect(await producer.remove(a.id, jobId, 2)).toBe(true);
    const retrier = (await row(a, jobId))['run_as_subject'];
    expect(await row(a, jobId)).toMatchObject({ submission: 2, run_as_roles: 'admin' });
    expect(retrier).not.toBe((await row(a, jobId))['created_by']);

    const before = await snapshot(a);
    const earlier = await forge(a.id, { tenantId: a.id, jobId, submission: 1 });
    const later = await forge(a.id, { tenantId: a.id, jobId, submission: 3 });
    await stack.workers.start({ concurrency: 1 });
    expect(await settled(a.id, earlier)).toMatchObject({ state: 'completed', returnvalue: { skipped: 'stale' } });
    expect(await settled(a.id, later)).toMatchObject({ state: 'completed', returnvalue: { skipped: 'stale' } });
    expect(await snapshot(a)).toEqual(before);
    expect(await row(a, jobId)).toMatchObject({ status: 'QUEUED', submission: 2, attempts: 0 });

    const current = await forge(a.id, { tenantId: a.id, jobId, submission: 2, actor: { subject: 'mallory', roles: ['admin'], clientId: null } });
    expect(await waitForStatus(stack, adminA, jobId, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    expect(await settled(a.id, current)).toMatchObject({ state: 'completed' });
    expect(await row(a, jobId)).toMatchObject({ run_as_subject: retrier, run_as_roles: 'admin' });
  });

  it('a row without a recorded principal (submitted before it was recorded) runs as its creator with the data_scientist role only', async () => {
    const jobId = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(adminA, submitTraining, {
        input: { datasetVersionId: linearA, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName: 'legacy-run', hyperParameters: { epochs: 2 } },
      }),
    ).submitTrainingJob.id;
    // What a row written before the principal columns existed looks like (the worker is not running yet).
    await stack.platform.runtime.db.query(`UPDATE \`${a.schema}\`.jobs SET run_as_subject = NULL, run_as_roles = NULL, run_as_client = NULL WHERE id = ?`, [jobId]);
    const creator = String((await row(a, jobId))['created_by']);
    await stack.workers.start({ concurrency: 1 });
    expect(await waitForStatus(stack, adminA, jobId, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', error: null });

    await stack.drainAudit(a.id);
    const byRun = (await stack.platform.runtime.db.query(`SELECT actor_subject, actor_roles, actor_client, action FROM \`${a.schema}\`.audit_events WHERE request_id = ?`, [
      `job-${jobId}-1`,
    ])) as Array<Record<string, string | null>>;
    expect(byRun.length).toBeGreaterThan(0);
    for (const event of byRun) expect(event).toMatchObject({ actor_subject: creator, actor_roles: 'data_scientist', actor_client: null });
  });
});
