import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { jobRows, jobView, linearCsv, portRelay, queueCounts, recordJobEvents, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

const setLimits = `mutation($id: ID!, $limits: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $limits) { id limits { maxJobRunSeconds } overriddenLimits } }`;

/**
 * maxJobRunSeconds with a real worker: a tenant whose bound is 2 s has its long training stopped
 * (FAILED JOB_TIME_LIMIT, not retried, no model version, its slot free again, audited and
 * published), while another tenant's training running on the same worker at the same time, with
 * the default bound, runs on past it and succeeds. Order is read from job rows, never from clocks.
 */
describe('jobs: a run is bounded by its tenant\'s maxJobRunSeconds', () => {
  let stack: TestStack;
  let limited: TestTenant;
  let other: TestTenant;
  let platformAdmin: string;
  let models: TcpSwitch;
  const versions = new Map<string, string>();
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    stack = await startTestStack();
    // The worker reaches the models service through a relay, held while the other tenant's run must go on.
    const modelsPort = await portRelay(stack, 'models');
    models = modelsPort.relay;
    [limited, other] = await Promise.all([
      stack.createTenant({ limits: { costBurst: 60_000, maxJobRunSeconds: 2 } }),
      stack.createTenant({ limits: { costBurst: 60_000 } }),
      stack.workers.start({ concurrency: 2, env: modelsPort.env }),
    ]);
    platformAdmin = await stack.platformAdminToken();
    await Promise.all(
      [limited, other].map(async (tenant) => {
        tokens.set(tenant.id, await tenant.token('data_scientist'));
        // The limited tenant's 2 000 epochs over 3 000 rows are minutes of work; the other tenant's run
        // is held at its end (below), so its rows only have to make a model.
        versions.set(tenant.id, (await uploadDataset(stack, tokens.get(tenant.id)!, 'data', linearCsv(tenant === limited ? 3000 : 300))).versionId);
      }),
    );
  }, 240_000);
  afterAll(async () => {
    await models?.off();
    await stack?.stop();
  });

  const train = async (tenant: TestTenant, modelName: string, epochs: number) =>
    expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(tokens.get(tenant.id)!, submitTraining, {
        input: { datasetVersionId: versions.get(tenant.id)!, targetColumn: 'y', modelType: 'MLP', modelName, hyperParameters: { epochs, hiddenUnits: [64, 32], batchSize: 8 } },
      }),
    ).submitTrainingJob.id;
  const modelVersions = async (tenant: TestTenant) => (await stack.platform.runtime.db.query(`SELECT id, job_id FROM \`${tenant.schema}\`.model_versions`)) as Array<{ id: string; job_id: string }>;
  const statusOf = async (tenant: TestTenant, id: string) => String((await jobRows(stack, tenant)).find((row) => row['id'] === id)?.['status']);

  it('stops the limited tenant\'s long training (FAILED JOB_TIME_LIMIT, no model version, slot free) while the other tenant\'s runs on and succeeds', async () => {
    // The other tenant's training first, running when the limited one starts and still when that one
    // has failed. 20 epochs of 300 rows take well under a second, so
    // its run is held at its end: the models relay holds from its submit until the limited run has
    // failed, and a run cannot end SUCCEEDED before it has registered its model.
    models.hold();
    const otherJob = await train(other, 'steady', 20);
    await waitForStatus(stack, tokens.get(other.id)!, otherJob, ['RUNNING']);
    const recorder = await recordJobEvents(stack, limited.id);
    // Minutes of epochs: it could only end by its bound.
    const limitedJob = await train(limited, 'long', 2000);
    const failed = await waitForStatus(stack, tokens.get(limited.id)!, limitedJob, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 120_000);
    // The other tenant's job, running all along, is still running: the 2 s bound is not its.
    expect(await statusOf(other, otherJob)).toBe('RUNNING');
    models.release();
    await recorder.close();

    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, result: null, error: { code: 'JOB_TIME_LIMIT' } });
    expect(failed.error!.message).toContain('maxJobRunSeconds');
    expect(await modelVersions(limited)).toEqual([]);
    // Not retried: the entry ended failed, nothing waits or runs, and the row stays FAILED.
    expect(await queueCounts(stack, limited.id)).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    const published = recorder.events.filter((e) => e.jobId === limitedJob);
    expect(published.at(-1)).toMatchObject({ status: 'FAILED', error: { code: 'JOB_TIME_LIMIT' } });
    await stack.drainAudit(limited.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT action FROM \`${limited.schema}\`.audit_events WHERE target_id = ? ORDER BY seq`, [limitedJob])) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(['job.submit', 'job.failed']);

    // Its slot (lease) is free: another of its jobs runs to the end. The bound is raised first (read
    // when a run starts, so it applies to the next run): a profile on a loaded machine may take 2 s.
    expectNoErrors(await stack.query(platformAdmin, setLimits, { id: limited.id, limits: { maxJobRunSeconds: 600 } }));
    const next = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(tokens.get(limited.id)!, submitProfile, { input: { datasetVersionId: versions.get(limited.id)! } })).submitProfileJob.id;
    expect(await waitForStatus(stack, tokens.get(limited.id)!, next, ['SUCCEEDED', 'FAILED'], 90_000)).toMatchObject({ status: 'SUCCEEDED', error: null });

    // The other tenant's training ends as it would have: SUCCEEDED, with its model version.
    const done = await waitForStatus(stack, tokens.get(other.id)!, otherJob, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 300_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, error: null });
    expect(done.lossHistory).toHaveLength(20);
    expect((await modelVersions(other)).map((v) => v.job_id)).toEqual([otherJob]);
    // The limited job is still FAILED, run once.
    expect(await jobView(stack, tokens.get(limited.id)!, limitedJob)).toMatchObject({ status: 'FAILED', attempts: 1 });
  }, 420_000);

  it('setTenantLimits refuses a bad maxJobRunSeconds (BAD_USER_INPUT naming the field) and changes nothing', async () => {
    const overrides = async () => JSON.stringify(await stack.adminQuery(`SELECT limit_overrides FROM \`${stack.config.database.controlSchema}\`.tenants WHERE id = ?`, [other.id]));
    const before = await overrides();
    for (const value of [0, -5, 7 * 24 * 3600 + 1, 1e12, 1.5, 3600.25]) {
      const answer: GraphQLResponse<unknown> = await stack.query(platformAdmin, setLimits, { id: other.id, limits: { maxConcurrentJobs: 3, maxJobRunSeconds: value } });
      expect(errorCodes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.extensions).toMatchObject({ field: 'limits.maxJobRunSeconds' });
      expect(await overrides()).toBe(before);
    }
    // The bound itself is accepted, and null goes back to the default (3600).
    const set = expectNoErrors(await stack.query<{ setTenantLimits: { limits: { maxJobRunSeconds: number }; overriddenLimits: string[] } }>(platformAdmin, setLimits, { id: other.id, limits: { maxJobRunSeconds: 7 * 24 * 3600 } }));
    expect(set.setTenantLimits.limits.maxJobRunSeconds).toBe(604_800);
    const reset = expectNoErrors(await stack.query<{ setTenantLimits: { limits: { maxJobRunSeconds: number }; overriddenLimits: string[] } }>(platformAdmin, setLimits, { id: other.id, limits: { maxJobRunSeconds: null } }));
    expect(reset.setTenantLimits.limits.maxJobRunSeconds).toBe(3600);
    expect(reset.setTenantLimits.overriddenLimits).not.toContain('maxJobRunSeconds');
    // A tenant's own admin cannot raise its bound.
    expect(errorCodes(await stack.query(await limited.token('admin'), setLimits, { id: limited.id, limits: { maxJobRunSeconds: 3600 } }))).toEqual(['FORBIDDEN']);
  }, 60_000);
});
