import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { expectNoErrors, startTestStack, type TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { CollectedSubscription, connectSubscriptions, type TestSubscriptionClient } from '../../../gateway/test/subscriptions-support';
import { jobRows, linearCsv, portRelay, submitProfile, submitTraining, uploadDataset, type JobView } from './job-support';

/**
 * Live job progress end to end: a real graphql-ws client talks to the gateway only, a real worker
 * child process runs the jobs, and every event the client sees was published by that worker (nothing
 * is put on the event bus by the test). The model a TRAIN job registered is then used through the
 * gateway's `predict`.
 */

jest.setTimeout(180_000);

const eventFields = 'jobId kind status progress phase metrics { name value } error { code message } occurredAt';
const jobEventsSubscription = `subscription { jobEvents { ${eventFields} } }`;
const jobProgressSubscription = `subscription P($jobId: ID!) { jobProgress(jobId: $jobId) { ${eventFields} } }`;
const predictQuery = `query($input: PredictInput!) { predict(input: $input) { outputs { name shape data } modelVersion { id number } } }`;

interface LiveEvent {
  jobId: string;
  kind: string;
  status: string;
  progress: number;
  phase: string | null;
  metrics: Array<{ name: string; value: number }> | null;
  error: { code: string; message: string } | null;
  occurredAt: string;
}
type JobEventsData = { jobEvents: LiveEvent };
type JobProgressData = { jobProgress: LiveEvent };
interface PredictData {
  predict: { outputs: Array<{ name: string; shape: number[]; data: Array<number | null> }>; modelVersion: { id: string; number: number } };
}

/** Status order of the state machine; a stream must never go back. */
const statusRank: Record<string, number> = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };
const truth = (x1: number, x2: number, x3: number) => 3 * x1 - 2 * x2 + 0.5 * x3 + 4; // linearCsv's generating function
const lossOf = (event: LiveEvent) => event.metrics?.find((m) => m.name === 'loss')?.value;

function eventsOf<T>(results: Array<{ data?: T | null; errors?: readonly unknown[] }>, pick: (data: T) => LiveEvent): LiveEvent[] {
  for (const result of results) expect(result.errors).toBeUndefined();
  return results.map((r) => pick(r.data!));
}

function expectMonotonic(events: LiveEvent[]): void {
  const ranks = events.map((e) => statusRank[e.status]);
  expect(ranks.every((rank) => rank !== undefined)).toBe(true);
  for (let i = 1; i < ranks.length; i++) expect(ranks[i]!).toBeGreaterThanOrEqual(ranks[i - 1]!);
}

describe('jobs: live progress through the gateway (graphql-ws), real worker', () => {
  let stack: TestStack;
  let redis: Redis;
  // The worker's ports, each through a relay the tests hold to keep a run where they need it.
  const relays: Record<'jobs' | 'datasets' | 'models', TcpSwitch> = {} as never;
  const clients: TestSubscriptionClient[] = [];

  const connect = async (token: string): Promise<TestSubscriptionClient> => {
    const connection = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${token}` });
    clients.push(connection);
    await connection.connected;
    return connection;
  };

  /**
   * Waits until the jobs subgraph holds a Redis subscription on the tenant's 'jobs' channel. Used right
   * after opening a tenant's first `jobEvents`: from then on every event the worker publishes reaches it.
   * (A read of Redis' bookkeeping, not a publish.)
   */
  async function untilListening(tenant: TestTenant): Promise<void> {
    const channel = `${stack.config.redis.keyPrefix}:tenant:${tenant.id}:jobs`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(count) > 0) return;
      if (Date.now() > deadline) throw new Error(`nobody subscribed to ${channel}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    stack = await startTestStack();
    redis = new Redis(stack.config.redis.url);
    const env: Record<string, string> = {};
    for (const service of ['jobs', 'datasets', 'models'] as const) {
      const port = await portRelay(stack, service);
      relays[service] = port.relay;
      Object.assign(env, port.env);
    }
    await stack.workers.start({ concurrency: 2, env });
  });
  afterEach(async () => {
    for (const relay of Object.values(relays)) relay.release();
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    redis?.disconnect();
    await stack?.workers.stopAll();
    for (const relay of Object.values(relays)) await relay.off();
    await stack?.stop();
  });

  it('a graphql-ws client sees QUEUED → RUNNING → progress → SUCCEEDED for a TRAIN job on a real CSV, and the model predicts through the gateway', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'live-linear', linearCsv(2000, 7));
    const socket = await connect(scientist);

    // Every job event of the tenant, listening before the job exists: it must see the whole life, QUEUED included.
    const all = new CollectedSubscription<JobEventsData>(socket.client, { query: jobEventsSubscription });
    await untilListening(tenant);

    // 2 000 epochs of 2 000 rows train in a fraction of a second, within the subscription's set-up on
    // a fast machine, and within one pace of progress (a new percent no sooner than 100 ms after the
    // last report). So the run is held where the test needs it: it opens its data through the
    // datasets port (held), then its first report ('loading data') goes to the jobs port, held in
    // turn until jobProgress below is up and at least 150 ms have passed since that report was
    // made. Its first epoch's report is then due whatever the machine, and the 'registering model'
    // report after the last epoch comes too: two losses, both seen by both subscriptions.
    const datasetsHeld = relays.datasets.hold().held;
    const submitted = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
        input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName: 'live-linear-model', hyperParameters: { epochs: 2000 } },
      }),
    ).submitTrainingJob;
    expect(submitted).toMatchObject({ kind: 'TRAIN', status: 'QUEUED', progress: 0 });
    const jobId = submitted.id;
    const progress = new CollectedSubscription<JobProgressData>(socket.client, { query: jobProgressSubscription, variables: { jobId } });
    await datasetsHeld;
    const reportHeld = relays.jobs.hold().held;
    relays.datasets.release();
    await reportHeld;
    await Promise.all([progress.until((results) => results.length > 0), sleep(150)]);
    relays.jobs.release();

    // jobProgress completes by itself after the terminal event.
    expect(await progress.ended).toEqual({ kind: 'complete' });
    const live = eventsOf(progress.results, (d) => d.jobProgress);
    const terminal = (results: typeof all.results) => results.some((r) => r.data?.jobEvents.jobId === jobId && statusRank[r.data.jobEvents.status] === 2);
    const everything = eventsOf(await all.until(terminal), (d) => d.jobEvents);
    all.stop();

    // jobProgress: the current state first (QUEUED, or RUNNING if the worker was faster than the subscribe),
    // then only this job's events, never going back, ending with SUCCEEDED.
    expect(live.every((e) => e.jobId === jobId && e.kind === 'TRAIN')).toBe(true);
    expect(['QUEUED', 'RUNNING']).toContain(live[0]!.status);
    expectMonotonic(live);
    // The events after the snapshot are the worker's, in publish order: progress never decreases.
    // (The snapshot itself may be a step ahead of an event that was already on its way.)
    const published = live.slice(1).map((e) => e.progress);
    expect(published).toEqual([...published].sort((a, b) => a - b));
    const runningUpdates = live.filter((e) => e.status === 'RUNNING' && e.progress > 0 && e.progress < 100 && Number.isFinite(lossOf(e)));
    expect(runningUpdates.length).toBeGreaterThanOrEqual(1);
    expect(live.at(-1)).toMatchObject({ jobId, status: 'SUCCEEDED', progress: 100, error: null });
    expect(live.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(1);

    // jobEvents (listening since before the submit): exactly QUEUED first, then RUNNING updates with the
    // loss falling, then SUCCEEDED; the tenant has no other job, so nothing else is in the stream.
    expect(new Set(everything.map((e) => e.jobId))).toEqual(new Set([jobId]));
    expect(everything[0]).toMatchObject({ jobId, kind: 'TRAIN', status: 'QUEUED', progress: 0 });
    expectMonotonic(everything);
    expect(everything.map((e) => e.status).filter((s, i, all) => all.indexOf(s) === i)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const running = everything.filter((e) => e.status === 'RUNNING');
    expect(running.map((e) => e.progress)).toEqual(running.map((e) => e.progress).sort((a, b) => a - b));
    const losses = running.map(lossOf).filter((loss): loss is number => loss !== undefined);
    expect(losses.length).toBeGreaterThanOrEqual(2);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(everything.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 100, error: null });
    // Paced, not one report per epoch: at most one per whole percent (a new one no sooner than
    // 100 ms after the last) plus one per 500 ms of the run, where 2 000 epochs once made 2 000
    // writes and publishes.
    const { startedAt, finishedAt } = expectNoErrors(await stack.query<{ job: { startedAt: string; finishedAt: string } }>(scientist, 'query($id: ID!) { job(id: $id) { startedAt finishedAt } }', { id: jobId })).job;
    const runSeconds = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
    expect(running.length).toBeLessThanOrEqual(Math.min(100 + 2 * runSeconds, 10 * runSeconds) + 3);

    // The final job view: a registered model version whose weights recover y = 3·x1 − 2·x2 + 0.5·x3 + 4.
    const done = expectNoErrors(await stack.query<{ job: JobView }>(scientist, `query($id: ID!) { job(id: $id) { status progress result { modelId modelVersionId modelVersionNumber weights bias } } }`, { id: jobId })).job;
    expect(done).toMatchObject({ status: 'SUCCEEDED', progress: 100 });
    const result = done.result!;
    expect(result.modelVersionId).toEqual(expect.any(String));
    expect(result.weights![0]).toBeCloseTo(3, 1);
    expect(result.weights![1]).toBeCloseTo(-2, 1);
    expect(result.weights![2]).toBeCloseTo(0.5, 2);
    expect(Math.abs(result.bias! - 4)).toBeLessThan(0.1);

    // predict through the gateway, by model id and by model name, on rows the training never saw.
    const rows = [
      [1, 1, 10],
      [-2, 3, 50],
      [0, 0, 0],
      [4.5, 0.25, 99],
      [-4, 3.5, 1],
    ];
    const inputs = [{ name: 'input', data: rows.flat(), shape: [rows.length, 3] }];
    const byId = expectNoErrors(await stack.query<PredictData>(scientist, predictQuery, { input: { modelId: result.modelId, version: result.modelVersionNumber, inputs } })).predict;
    const byName = expectNoErrors(await stack.query<PredictData>(scientist, predictQuery, { input: { modelName: 'live-linear-model', version: result.modelVersionNumber, inputs } })).predict;
    expect(byId.modelVersion).toEqual({ id: result.modelVersionId, number: result.modelVersionNumber });
    expect(byName.modelVersion).toEqual(byId.modelVersion);
    expect(byId.outputs).toHaveLength(1);
    expect(byId.outputs[0]!.shape).toEqual([rows.length, 1]);
    expect(byName.outputs[0]!.data).toEqual(byId.outputs[0]!.data);
    byId.outputs[0]!.data.forEach((predicted, i) => {
      const [x1, x2, x3] = rows[i]!;
      expect(predicted).not.toBeNull();
      expect(Math.abs(predicted! - truth(x1!, x2!, x3!))).toBeLessThan(0.2);
    });
  });

  it('two tenants running jobs at the same time each see only their own events; B cannot follow A\'s job', async () => {
    const [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    const [dataA, dataB] = await Promise.all([
      uploadDataset(stack, tokenA, 'a-data', linearCsv(1500, 11)),
      uploadDataset(stack, tokenB, 'b-data', linearCsv(1500, 13)),
    ]);
    const [socketA, socketB] = await Promise.all([connect(tokenA), connect(tokenB)]);
    const streamA = new CollectedSubscription<JobEventsData>(socketA.client, { query: jobEventsSubscription });
    const streamB = new CollectedSubscription<JobEventsData>(socketB.client, { query: jobEventsSubscription });
    await Promise.all([untilListening(a), untilListening(b)]);

    // 150 epochs of 1 500 rows train in well under a second: each run is held before it registers its
    // model (the models port) until both are seen RUNNING, so that they overlap on any machine.
    relays.models.hold();
    const train = { targetColumn: 'y', modelType: 'LINEAR_REGRESSION', hyperParameters: { epochs: 150 } };
    const [jobA, jobB] = await Promise.all([
      stack.query<{ submitTrainingJob: JobView }>(tokenA, submitTraining, { input: { datasetVersionId: dataA.versionId, ...train } }),
      stack.query<{ submitTrainingJob: JobView }>(tokenB, submitTraining, { input: { datasetVersionId: dataB.versionId, ...train } }),
    ]).then(([ra, rb]) => [expectNoErrors(ra).submitTrainingJob.id, expectNoErrors(rb).submitTrainingJob.id]);
    // A PROFILE job for each too, so each stream carries two of its own jobs interleaved.
    const [profileA, profileB] = await Promise.all([
      stack.query<{ submitProfileJob: JobView }>(tokenA, submitProfile, { input: { datasetVersionId: dataA.versionId } }),
      stack.query<{ submitProfileJob: JobView }>(tokenB, submitProfile, { input: { datasetVersionId: dataB.versionId } }),
    ]).then(([ra, rb]) => [expectNoErrors(ra).submitProfileJob.id, expectNoErrors(rb).submitProfileJob.id]);

    // While A's training runs, B asks to follow it by id: NOT_FOUND, exactly like an id that never existed.
    const seesRunning = (id: string) => (results: typeof streamA.results) => results.some((r) => r.data?.jobEvents.jobId === id && r.data.jobEvents.status === 'RUNNING');
    await Promise.all([streamA.until(seesRunning(jobA!)), streamB.until(seesRunning(jobB!))]);
    relays.models.release();
    const foreign = new CollectedSubscription<JobProgressData>(socketB.client, { query: jobProgressSubscription, variables: { jobId: jobA } });
    const neverExisted = randomUUID();
    const missing = new CollectedSubscription<JobProgressData>(socketB.client, { query: jobProgressSubscription, variables: { jobId: neverExisted } });
    expect(await foreign.ended).toEqual({ kind: 'complete' });
    expect(await missing.ended).toEqual({ kind: 'complete' });
    const shape = (results: typeof foreign.results, id: string) =>
      results.map((r) => ({ data: r.data ?? null, errors: r.errors?.map((e) => ({ code: e.extensions?.['code'], message: e.message.replace(id, '<id>') })) }));
    expect(shape(foreign.results, jobA!)).toEqual([{ data: null, errors: [{ code: 'NOT_FOUND', message: expect.any(String) }] }]);
    expect(shape(missing.results, neverExisted)).toEqual(shape(foreign.results, jobA!));

    // Collect until each stream saw both of its own jobs succeed.
    const succeeded = (ids: string[]) => (results: typeof streamA.results) =>
      ids.every((id) => results.some((r) => r.data?.jobEvents.jobId === id && statusRank[r.data.jobEvents.status] === 2));
    const eventsA = eventsOf(await streamA.until(succeeded([jobA!, profileA!])), (d) => d.jobEvents);
    const eventsB = eventsOf(await streamB.until(succeeded([jobB!, profileB!])), (d) => d.jobEvents);
    streamA.stop();
    streamB.stop();

    expect(new Set(eventsA.map((e) => e.jobId))).toEqual(new Set([jobA, profileA]));
    expect(new Set(eventsB.map((e) => e.jobId))).toEqual(new Set([jobB, profileB]));
    for (const [events, ids] of [
      [eventsA, [jobA!, profileA!]],
      [eventsB, [jobB!, profileB!]],
    ] as const) {
      for (const id of ids) {
        const own = events.filter((e) => e.jobId === id);
        // QUEUED is published by the jobs service, RUNNING and later by the worker, over different
        // Redis connections: when the worker starts the job at once (two tenants, a loaded machine),
        // QUEUED may arrive just after RUNNING. Every event is there; the worker's are in order.
        expect(own.filter((e) => e.status === 'QUEUED')).toHaveLength(1);
        expectMonotonic(own.filter((e) => e.status !== 'QUEUED'));
        expect(own.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 100, error: null });
      }
    }

    // The premise holds: the two trainings really overlapped (each started before the other finished).
    const [rowA, rowB] = await Promise.all([jobRows(stack, a), jobRows(stack, b)]).then(([ra, rb]) => [ra.find((r) => r['id'] === jobA)!, rb.find((r) => r['id'] === jobB)!]);
    const time = (row: Record<string, unknown>, column: string) => new Date(row[column] as Date).getTime();
    expect(time(rowA!, 'started_at')).toBeLessThan(time(rowB!, 'finished_at'));
    expect(time(rowB!, 'started_at')).toBeLessThan(time(rowA!, 'finished_at'));
  });
});
