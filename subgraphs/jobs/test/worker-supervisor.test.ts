import { createLogger } from '@tessera/config';
import { openRedis, sharedPool } from '@tessera/job-queue';
import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { expectNoErrors, startTestStack, type TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { readSupervisorEnvironment, startWorkerSupervisor, type WorkerSupervisor } from '@tessera/workers';
import { jobView, linearCsv, portRelay, submitProfile, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/**
 * The worker supervisor against the real stack: worker processes that die with SIGKILL mid-job are
 * replaced, their job runs again at once (not after its lock expires) and ends; a job whose workers
 * keep dying ends FAILED as WORKER_LOST instead of staying RUNNING.
 */
describe('worker supervisor: kill -9 mid-job', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let supervisor: WorkerSupervisor;
  let trainingVersion: string;
  let models: TcpSwitch;
  // How long the last worker process took to start (seconds on a loaded machine: tsx compiles it).
  let lastStartMs = 0;
  const startTook = () => lastStartMs;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    scientist = await tenant.token('data_scientist');
    trainingVersion = (await uploadDataset(stack, scientist, 'crash', linearCsv(300))).versionId;
    const redis = await stack.workers.redis();
    // Every worker reaches the models service through a relay, held while a run must not end.
    const modelsPort = await portRelay(stack, 'models');
    models = modelsPort.relay;
    supervisor = await startWorkerSupervisor({
      config: readSupervisorEnvironment({ SUPERVISOR_MIN_WORKERS: '1', SUPERVISOR_MAX_WORKERS: '1', SUPERVISOR_INTERVAL_MS: '300', SUPERVISOR_RESTART_BACKOFF_MS: '200', SUPERVISOR_RESTART_BACKOFF_MAX_MS: '800' }),
      // Locks of 30 s: without the supervisor's release the killed run's job would wait that long.
      rings: [
        {
          pool: sharedPool('us-east-1'),
          redis,
          spawn: async (instanceId) => {
            const started = Date.now();
            const worker = await stack.workers.start({ concurrency: 1, lockMs: 30_000, stalledIntervalMs: 1_000, env: { ...modelsPort.env, WORKER_INSTANCE_ID: instanceId } });
            lastStartMs = Date.now() - started;
            return worker;
          },
        },
      ],
      logger: createLogger(process.env['SUPERVISOR_TEST_LOG'] === '1' ? 'info' : 'error'),
    });
  }, 180_000);
  afterAll(async () => {
    await supervisor?.stop();
    await models?.off();
    await stack?.stop();
  });

  const ring = () => supervisor.status()[0]!;
  const runningPid = () => ring().workers.find((w) => w.state === 'running')?.pid;
  const train = async (datasetVersionId: string, hyperParameters: Record<string, unknown>) =>
    expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
        input: { datasetVersionId, targetColumn: 'y', modelType: 'MLP', modelName: 'crash-model', hyperParameters },
      }),
    ).submitTrainingJob;

  it('a killed worker is replaced, its TRAIN job runs again at once and succeeds, and later jobs run', async () => {
    // 600 epochs of 300 rows: a second or less of training, run to the end by the replacement (what
    // the test is about does not depend on the run's length: 1 500 rows only made the replacement's
    // run five times longer). The run seen under way must not end before its worker is
    // killed: the models relay holds from the submit, and a run cannot end SUCCEEDED before it has
    // registered its model. Released once that worker is dead, for the replacement's run.
    models.hold();
    const job = await train(trainingVersion, { epochs: 600, hiddenUnits: [32], batchSize: 16 });
    await waitUntil(async () => (await jobView(stack, scientist, job.id)).lossHistory.length >= 2, 'training to be under way', 30_000);
    const victim = runningPid()!;
    process.kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    models.release();
    await waitUntil(async () => runningPid() !== undefined && runningPid() !== victim, 'a replacement worker', 40_000);
    expect(ring()).toMatchObject({ deaths: 1, recovered: { entries: 1, leases: 1 } });
    // Claimed again by the replacement well before the dead run's 30 s lock would have expired.
    await waitUntil(async () => (await jobView(stack, scientist, job.id)).attempts === 2, 'the job to run again', 45_000);
    // The replacement's start (seconds under load) plus one stalled check, not the 30 s lock.
    expect(Date.now() - killedAt - startTook()).toBeLessThan(10_000);
    const done = await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, error: null });

    const later = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: trainingVersion } })).submitProfileJob;
    expect(await waitForStatus(stack, scientist, later.id, ['SUCCEEDED', 'FAILED'], 30_000)).toMatchObject({ status: 'SUCCEEDED' });
  }, 180_000);

  it('a job whose worker dies once more than the stall limit ends FAILED as WORKER_LOST, not RUNNING, and the ring keeps a worker', async () => {
    // Minutes of epochs (2 000 over 3 000 rows, [64, 32]) on any machine: the run seen under way is
    // still training when its worker is killed, and nobody runs it again.
    const { versionId: longVersion } = await uploadDataset(stack, scientist, 'long', linearCsv(3000));
    const job = await train(longVersion, { epochs: 2000, hiddenUnits: [64, 32], batchSize: 8 });
    await waitUntil(async () => {
      const view = await jobView(stack, scientist, job.id);
      return view.status === 'RUNNING' && view.lossHistory.length >= 1;
    }, 'the run to be under way', 60_000);
    // Two workers already died under this entry (each restart of a worker takes seconds, so the
    // first two deaths are written as BullMQ counts them); the kill below is the third.
    const account = redisAccountFromEnvironment();
    const admin = openRedis({ url: account.url, keyPrefix: stack.config.redis.keyPrefix, ...(account.tlsCaFile ? { tlsCaFile: account.tlsCaFile } : {}) }, 'test-admin', 'request');
    try {
      await admin.hset(`${stack.config.redis.keyPrefix}:jobs-${tenant.id}:${job.id}.1`, 'stc', '2');
    } finally {
      admin.disconnect();
    }
    const deathsBefore = ring().deaths;
    process.kill(runningPid()!, 'SIGKILL');
    await waitUntil(async () => ring().deaths === deathsBefore + 1, 'the death to be seen', 10_000);
    const ended = await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'], 90_000);
    expect(ended.status).toBe('FAILED');
    expect(ended.error?.code).toBe('WORKER_LOST');
    expect(ended.lossHistory.length).toBeLessThan(2000); // not run to the end by anyone
    const after = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: trainingVersion } })).submitProfileJob;
    expect(await waitForStatus(stack, scientist, after.id, ['SUCCEEDED', 'FAILED'], 30_000)).toMatchObject({ status: 'SUCCEEDED' });
  }, 180_000);
});
