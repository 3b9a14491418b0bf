import { FamilyKeys } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { ModelRegistry } from '@tessera/models';
import { buildLinearRegression } from '@tessera/onnx';
import { jobRows, jobView, linearCsv, portRelay, queueCounts, recordJobEvents, submitBatch, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';
import { ensureRunning, restartRedis, usePrivateRedis } from './redis-restart';
import { TcpSwitch } from './tcp-switch';

/**
 * Faults with real processes: a worker killed with SIGKILL mid-training, Redis restarted with jobs
 * queued (a Redis of this file's own), storage (the datasets service that opens job objects)
 * unreachable for a while.
 */
describe('jobs: worker crash, Redis restart, transient storage outage', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let smallVersion: string;
  let privateRedis: Awaited<ReturnType<typeof usePrivateRedis>> | undefined;

  beforeAll(async () => {
    // This file restarts Redis: a server of its own, so the other test files running meanwhile keep theirs.
    privateRedis = await usePrivateRedis();
    // Retries of an unreachable dependency 0.5 s, 1 s, 2 s apart, not 1 s, 2 s, 4 s: still 4 attempts,
    // and each wait the storage test watches (QUEUED between two attempts) is 1 s or more, several of
    // its 150 ms polls.
    stack = await startTestStack({ jobRetryBackoffMs: 500 });
    // Polls and drives volume on purpose: a minute's burst, so the gateway's burst limit (tested in
    // gateway/test/rate-limit.test.ts) does not pace this test.
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    scientist = await tenant.token('data_scientist');
    smallVersion = (await uploadDataset(stack, scientist, 'small', 'a,b\n1,2\n3,4\n')).versionId;
  });
  afterAll(async () => {
    await ensureRunning();
    await stack?.stop();
    await privateRedis?.stop();
  });

  it('kill -9 of the worker mid-training: another worker recovers the job and finishes it, with exactly one model version and one stored object', async () => {
    // 600 epochs of 300 rows (a second or less of training; 1 500 rows made the recovered run, which
    // trains to the end, five times longer for nothing the test checks).
    const { versionId } = await uploadDataset(stack, scientist, 'crash', linearCsv(300));
    // The first worker reaches the models service through a relay that holds: its run cannot
    // register a model, so it cannot end before the kill below, however fast it trains (the kill
    // lands mid-training or, on a fast machine, at the latest while it waits to register, with
    // nothing stored yet). The second worker reaches the models service directly.
    const models = await portRelay(stack, 'models');
    try {
      const first = await stack.workers.start({ concurrency: 1, env: models.env });
      models.relay.hold();
      const submitted = expectNoErrors(
        await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
          input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'MLP', modelName: 'crash-model', hyperParameters: { epochs: 600, hiddenUnits: [32], batchSize: 16 } },
        }),
      ).submitTrainingJob;
      // Progress is reported at most every 100 ms, so the first losses show a few epochs in.
      await waitUntil(async () => (await jobView(stack, scientist, submitted.id)).lossHistory.length >= 2, 'training to be under way');
      // The other worker starts meanwhile: the job is held by the first one until it dies, and only a
      // stalled entry (after the kill) is the other's to take.
      const second = stack.workers.start({ concurrency: 1 });
      await first.kill();
      expect((await jobView(stack, scientist, submitted.id)).status).toBe('RUNNING'); // nobody told the row: the worker just vanished

      await second;
      const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED'], 120_000);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, error: null });
      expect(done.lossHistory).toHaveLength(600); // the recovered run trained from the start

      const versions = (await stack.platform.runtime.db.query(`SELECT id, object_key FROM \`${tenant.schema}\`.model_versions WHERE job_id = ?`, [submitted.id])) as Array<{ id: string; object_key: string }>;
      expect(versions).toHaveLength(1);
      expect(versions[0]!.id).toBe(done.result!.modelVersionId);
      const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 't', sourceIp: undefined });
      expect(await scope.bucket.listKeys('models/')).toEqual([versions[0]!.object_key]);
    } finally {
      await models.relay.off();
    }
    await stack.workers.stopAll();
  });

  it('Redis restarted while jobs are queued: the jobs survive and complete; the API submits again', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: smallVersion } })).submitProfileJob.id);
    }
    expect(await queueCounts(stack, tenant.id)).toMatchObject({ waiting: 5 });
    try {
      await restartRedis();
    } finally {
      await ensureRunning();
    }
    expect(await queueCounts(stack, tenant.id)).toMatchObject({ waiting: 5 });
    await stack.workers.start({ concurrency: 2 });
    for (const id of ids) expect(await waitForStatus(stack, scientist, id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    // The platform's own Redis connections came back too.
    const after = await waitForSubmit();
    expect(await waitForStatus(stack, scientist, after, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    await stack.workers.stopAll();
  });

  // A worker reaches a job's objects only through the datasets service (which opens them: presigned
  // URL and object key), so storage being away, for a worker, is that service being away.
  it('storage unreachable (the datasets service that opens the objects): the job goes back to the queue with backoff and succeeds once it is back; it fails typed when it stays away', async () => {
    const datasets = new URL(stack.platform.subgraphs.datasets.url);
    const relay = new TcpSwitch(datasets.hostname, Number(datasets.port));
    await relay.on();
    await stack.workers.start({ concurrency: 1, env: { DATASETS_PORT_URL: `https://${datasets.hostname}:${relay.port}` } });
    await relay.off();
    try {
      const recorder = await recordJobEvents(stack, tenant.id);
      const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: smallVersion } })).submitProfileJob;
      await waitUntil(async () => {
        const view = await jobView(stack, scientist, job.id);
        return view.attempts >= 2 && view.status === 'QUEUED';
      }, 'a second attempt to fail and be requeued');
      const waiting = await jobView(stack, scientist, job.id);
      // The tenant reads which service was away, never its address (the worker's log has that).
      expect(waiting.error).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'A dependency was unreachable (The datasets-job service is not reachable.); retrying.' });
      expect(waiting.phase).toMatch(/^retrying in \d+ s$/);
      await relay.on();
      const done = await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED']);
      // The row is read from the database; the event of the same change comes over pub/sub a moment later.
      await waitUntil(async () => recorder.events.some((e) => e.jobId === job.id && (e.status === 'SUCCEEDED' || e.status === 'FAILED')), 'the terminal event to be published');
      await recorder.close();
      expect(done).toMatchObject({ status: 'SUCCEEDED', error: null });
      expect(done.attempts).toBeGreaterThanOrEqual(3);
      // Transitions (progress events repeat RUNNING; collapse those): back to QUEUED between attempts.
      const transitions = recorder.events.filter((e) => e.jobId === job.id).map((e) => e.status).filter((status, i, all) => i === 0 || all[i - 1] !== status);
      expect(transitions.slice(0, 4)).toEqual(['QUEUED', 'RUNNING', 'QUEUED', 'RUNNING']);
      expect(transitions.at(-1)).toBe('SUCCEEDED');

      // Storage gone for good: after the last attempt the job is FAILED with SERVICE_UNAVAILABLE.
      await relay.off();
      const doomed = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: smallVersion } })).submitProfileJob;
      const failed = await waitForStatus(stack, scientist, doomed.id, ['FAILED', 'SUCCEEDED'], 60_000);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 4, error: { code: 'SERVICE_UNAVAILABLE', message: 'The datasets-job service is not reachable.' } });
      expect((await jobRows(stack, tenant)).find((r) => r['id'] === doomed.id)).toMatchObject({ status: 'FAILED', run_token: null });
    } finally {
      await relay.off();
      await stack.workers.stopAll();
    }
  });

  it('batch inference after a crashed attempt: the attempt\'s leftover object is removed, only the registered predictions remain', async () => {
    const admin = await tenant.token('admin');
    const { versionId } = await uploadDataset(stack, admin, 'to-predict', 'x\n1\n2\n3\n');
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 't', sourceIp: undefined });
    const { version: model } = await new ModelRegistry(scope).registerVersion({ modelName: 'doubler', onnx: buildLinearRegression({ weights: [2], bias: 1 }) });
    const outputId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(admin, 'mutation { createDataset(input: { name: "scored" }) { id } }')).createDataset.id;
    const job = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(admin, submitBatch, { input: { datasetVersionId: versionId, modelVersionId: model.id, outputDatasetName: 'scored' } }),
    ).submitBatchInferenceJob;
    // What a worker killed between storing and registering would have left behind.
    const leftover = `datasets/${outputId}/job-${job.id}-a0.csv`;
    await scope.bucket.putEncryptedBuffer(leftover, Buffer.from('x,prediction\n1,'), await scope.currentDataKey());

    await stack.workers.start({ concurrency: 1 });
    const done = await waitForStatus(stack, admin, job.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    const versions = (await stack.platform.runtime.db.query(`SELECT id, object_key FROM \`${tenant.schema}\`.dataset_versions WHERE dataset_id = ?`, [outputId])) as Array<{ id: string; object_key: string }>;
    expect(versions).toEqual([{ id: done.result!.datasetVersionId, object_key: `datasets/${outputId}/job-${job.id}-a1.csv` }]);
    expect(await scope.bucket.listKeys(`datasets/${outputId}/`)).toEqual([versions[0]!.object_key]);
    const content = (await scope.bucket.getDecryptedBuffer(versions[0]!.object_key, new FamilyKeys(scope, { table: 'dataset_keys', idColumn: 'dataset_id' }).resolver(outputId))).toString('utf8');
    expect(content).toBe('x,prediction\n1,3\n2,5\n3,7\n');
    await stack.workers.stopAll();
  });

  /** After a Redis restart the first submit may meet a reconnecting client: SERVICE_UNAVAILABLE, then fine. */
  async function waitForSubmit(): Promise<string> {
    for (let i = 0; ; i++) {
      const response = await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: smallVersion } });
      if (!response.errors) return response.data!.submitProfileJob.id;
      expect(response.errors[0]?.extensions?.['code']).toBe('SERVICE_UNAVAILABLE');
      if (i > 20) throw new Error('the API never recovered its Redis connection');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});
