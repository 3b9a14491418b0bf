import { createLogger } from '@tessera/config';
import { readRingSignals, sharedPool, openRedis, type WorkerPool } from '@tessera/job-queue';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { readSupervisorEnvironment, startWorkerSupervisor, type RingStatus, type WorkerSupervisor } from '@tessera/workers';
import { cancelJob, linearCsv, submitTraining, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/**
 * Scaling on real queues: a flood of jobs in one ring starts that ring's workers (never above its
 * max) and they go back to the ring's min once it is idle; a dedicated tenant's ring scales on its
 * own, and another tenant's flood neither starts its workers nor reaches its queue.
 */
describe('worker supervisor: scaling per ring', () => {
  let stack: TestStack;
  let shared: TestTenant;
  let dedicated: TestTenant;
  let supervisor: WorkerSupervisor;
  const versions = new Map<string, string>();
  const longVersions = new Map<string, string>();
  const tokens = new Map<string, string>();
  const samples: RingStatus[][] = [];
  let sampler: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await startTestStack();
    [shared, dedicated] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.createTenant({ tier: 'dedicated', limits: { costBurst: 60_000 } })]);
    await Promise.all(
      [shared, dedicated].map(async (tenant) => {
        tokens.set(tenant.id, await tenant.token('data_scientist'));
        versions.set(tenant.id, (await uploadDataset(stack, tokens.get(tenant.id)!, 'flood', linearCsv(400))).versionId);
        longVersions.set(tenant.id, (await uploadDataset(stack, tokens.get(tenant.id)!, 'hold', linearCsv(20_000))).versionId);
      }),
    );
    const dedicatedPool: WorkerPool = { kind: 'dedicated', tenantId: dedicated.id };
    const [sharedRedis, dedicatedRedis] = await Promise.all([stack.workers.redis(), stack.workers.redis(dedicated.id)]);
    supervisor = await startWorkerSupervisor({
      config: readSupervisorEnvironment({
        SUPERVISOR_MIN_WORKERS: '1',
        SUPERVISOR_MAX_WORKERS: '3',
        SUPERVISOR_RING_LIMITS: JSON.stringify({ [`dedicated-${dedicated.id}`]: { min: 1, max: 2 } }),
        SUPERVISOR_QUEUED_PER_WORKER: '2',
        SUPERVISOR_INTERVAL_MS: '250',
        SUPERVISOR_IDLE_MS: '1500',
      }),
      rings: [
        { pool: sharedPool('us-east-1'), redis: sharedRedis, spawn: (instanceId) => stack.workers.start({ concurrency: 1, env: { WORKER_INSTANCE_ID: instanceId } }) },
        { pool: dedicatedPool, redis: dedicatedRedis, spawn: (instanceId) => stack.workers.start({ concurrency: 1, dedicatedTenant: dedicated.id, env: { WORKER_INSTANCE_ID: instanceId, WORKER_HEALTH_PORT: '0' } }) },
      ],
      logger: createLogger('error'),
    });
    sampler = setInterval(() => samples.push(supervisor.status()), 100);
  }, 240_000);
  afterAll(async () => {
    clearInterval(sampler);
    await supervisor?.stop();
    await stack?.stop();
  });

  const ring = (name: string) => supervisor.status().find((r) => r.ring === name)!;
  const alive = (r: RingStatus) => r.workers.filter((w) => w.state !== 'retiring').length;
  const most = (name: string, from: number) => Math.max(...samples.slice(from).map((s) => alive(s.find((r) => r.ring === name)!)));
  // A training job takes well under a second of work, so one worker can drain a flood as fast as
  // it is submitted and the queue the scaling rule reads never fills. The ring's first worker is
  // therefore held by a long job (2 000 epochs over 20 000 rows) while the flood is
  // submitted, and that job is cancelled once the scale-up has been seen. The scale-up is read from
  // the supervisor's status sampled every 100 ms, since a worker can take 10–25 s to start on a
  // loaded machine and the backlog may be gone by then.
  const submit = async (tenant: TestTenant, modelName: string, datasetVersionId: string, epochs: number) =>
    expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(tokens.get(tenant.id)!, submitTraining, {
        input: { datasetVersionId, targetColumn: 'y', modelType: 'MLP', modelName, hyperParameters: { epochs, hiddenUnits: [8], batchSize: 16 } },
      }),
    ).submitTrainingJob.id;
  // The flood's jobs are 100 epochs, not 600: the rule reads how many are queued, not how long they
  // run, and the held job keeps them queued until the scale-up has been seen; each still has to succeed.
  const flood = async (tenant: TestTenant, n: number) => Promise.all(Array.from({ length: n }, async (_, i) => submit(tenant, `m${i}`, versions.get(tenant.id)!, 100)));
  const hold = async (tenant: TestTenant) => {
    const id = await submit(tenant, 'hold', longVersions.get(tenant.id)!, 2_000);
    await waitForStatus(stack, tokens.get(tenant.id)!, id, ['RUNNING'], 60_000);
    return id;
  };
  const release = async (tenant: TestTenant, id: string) => {
    expectNoErrors(await stack.query<{ cancelJob: JobView }>(tokens.get(tenant.id)!, cancelJob, { id }));
    expect(await waitForStatus(stack, tokens.get(tenant.id)!, id, ['CANCELLED', 'SUCCEEDED', 'FAILED'], 60_000)).toMatchObject({ status: 'CANCELLED' });
  };

  it('a shared tenant\'s flood scales the shared ring up to its max only, then back to min; the dedicated ring is untouched and its tenant\'s job runs meanwhile', async () => {
    const sharedRing = 'shared-us-east-1';
    const dedicatedRing = `dedicated-${dedicated.id}`;
    expect(alive(ring(sharedRing))).toBe(1);
    expect(alive(ring(dedicatedRing))).toBe(1);
    const from = samples.length;
    const held = await hold(shared);
    const floodIds = await flood(shared, 7);
    const [dedicatedJob] = await flood(dedicated, 1);
    await waitUntil(async () => most(sharedRing, from) === 3, 'the shared ring to scale up to 3', 75_000);
    await release(shared, held);
    // The dedicated tenant's job is not queued behind the flood: its own worker runs it.
    expect(await waitForStatus(stack, tokens.get(dedicated.id)!, dedicatedJob!, ['SUCCEEDED', 'FAILED'], 60_000)).toMatchObject({ status: 'SUCCEEDED' });
    for (const id of floodIds) expect(await waitForStatus(stack, tokens.get(shared.id)!, id, ['SUCCEEDED', 'FAILED'], 90_000)).toMatchObject({ status: 'SUCCEEDED' });
    await waitUntil(async () => alive(ring(sharedRing)) === 1 && ring(sharedRing).workers.length === 1, 'the shared ring back at its min', 30_000);
    expect(most(sharedRing, from)).toBe(3); // never above max, though 7 queued / 2 per worker asked for 4
    expect(most(dedicatedRing, from)).toBe(1);
  }, 240_000);

  it('a dedicated tenant\'s flood scales its own ring only', async () => {
    const from = samples.length;
    const held = await hold(dedicated);
    const ids = await flood(dedicated, 5);
    // What KEDA reads: the worker's own ring's counts on its health port, no tenant id beyond the ring's name.
    const port = stack.workers.running().find((w) => w.pool === `dedicated-${dedicated.id}`)!.healthPort!;
    const scaling = (await (await fetch(`http://127.0.0.1:${port}/_scaling`)).json()) as Record<string, unknown>;
    expect(Object.keys(scaling).sort()).toEqual(['delayed', 'oldestWaitMs', 'queued', 'ring', 'running', 'tenants']);
    expect(scaling).toMatchObject({ ring: `dedicated-${dedicated.id}`, tenants: 1 });
    expect(Number(scaling['queued']) + Number(scaling['running'])).toBeGreaterThan(0);
    await waitUntil(async () => most(`dedicated-${dedicated.id}`, from) === 2, 'the dedicated ring to scale up to 2', 30_000);
    await release(dedicated, held);
    for (const id of ids) expect(await waitForStatus(stack, tokens.get(dedicated.id)!, id, ['SUCCEEDED', 'FAILED'], 90_000)).toMatchObject({ status: 'SUCCEEDED' });
    expect(most('shared-us-east-1', from)).toBe(1);
    expect(most(`dedicated-${dedicated.id}`, from)).toBe(2);
  }, 240_000);

  it('the dedicated ring\'s account cannot read the shared ring\'s signals or another tenant\'s queue (Redis NOPERM)', async () => {
    const redis = openRedis(await stack.workers.redis(dedicated.id), 'cross-ring', 'request');
    try {
      await expect(readRingSignals(redis, stack.config.redis.keyPrefix, sharedPool('us-east-1'))).rejects.toThrow(/NOPERM/);
      await expect(redis.llen(`${stack.config.redis.keyPrefix}:jobs-${shared.id}:wait`)).rejects.toThrow(/NOPERM/);
    } finally {
      redis.disconnect();
    }
  }, 240_000);
});
