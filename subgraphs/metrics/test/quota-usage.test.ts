import { setTimeout as sleep } from 'node:timers/promises';
import { buildSlowModel } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { CollectedSubscription, connectSubscriptions, type TestSubscriptionClient } from '../../../gateway/test/subscriptions-support';
import { cancelJob, linearCsv, portRelay, submitProfile, submitTraining, uploadDataset, waitForStatus, type JobView } from '../../jobs/test/job-support';
import { linearModel, newModel, predict, rowsInput, uploadVersion } from '../../models/test/model-flow';

const usageQuery = '{ tenantUsage { datasets storedBytes quotas { name limit used reserved windowSeconds } } }';
const setLimits = 'mutation($id: ID!, $limits: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $limits) { limits { maxDatasets maxDatasetVersions maxModels maxModelVersions maxStorageBytes } } }';

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
  windowSeconds: number | null;
}

const storedQuotaNames = ['datasetVersions', 'datasets', 'modelVersions', 'models', 'storageBytes'];
const liveQuotaNames = ['maxQueuedJobs', 'maxConcurrentJobs', 'predictionsPerMinute', 'maxPredictionsInFlight', 'maxOpenSubscriptions', 'costPerMinute'];
const stored = (quotas: QuotaRow[]) => quotas.filter((q) => storedQuotaNames.includes(q.name));
const live = (quotas: QuotaRow[]) => Object.fromEntries(quotas.filter((q) => liveQuotaNames.includes(q.name)).map((q) => [q.name, q]));

async function usageOf(stack: TestStack, token: string) {
  return expectNoErrors(await stack.query<{ tenantUsage: { datasets: number; storedBytes: number; quotas: QuotaRow[] } }>(token, usageQuery)).tenantUsage;
}

const setLiveLimits = `mutation($id: ID!, $limits: TenantLimitsInput!) {
  setTenantLimits(id: $id, limits: $limits) { limits { maxQueuedJobs maxConcurrentJobs predictionsPerMinute maxPredictionsInFlight maxOpenSubscriptions costPerMinute } }
}`;
const updateServing = 'mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }';
const jobEventsSubscription = 'subscription { jobEvents { jobId status } }';

/** Reads the tenant's usage until `holds` (live counters are shared every 250 ms), or fails with the last reading. */
async function usageWhen(stack: TestStack, token: string, holds: (quotas: Record<string, QuotaRow>) => boolean, what: string): Promise<Record<string, QuotaRow>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const quotas = live((await usageOf(stack, token)).quotas);
    if (holds(quotas)) return quotas;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(quotas)}`);
    await sleep(100);
  }
}

/**
 * Per-minute counts are read in the UTC minute they were made: with fewer than `seconds` left in
 * this minute, wait for the next one (a boundary inside the test would reset them, by design).
 */
async function minuteWithAtLeast(seconds: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1_000) await sleep(left + 250);
}

/** tenantUsage shows every quota beside its limit, from the numbers the quotas enforce, for the caller's tenant only. */
describe('metrics: tenantUsage quotas', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let platformAdmin: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant({ limits: { maxDatasets: 2, maxStorageBytes: 5_000 } })]);
    platformAdmin = await stack.platformAdminToken();
  });
  afterAll(() => stack?.stop());

  it('every quota with its limit (defaults or the tenant override), used and reserved, for any role', async () => {
    for (const role of ['viewer', 'data_scientist', 'admin'] as const) {
      const usage = await usageOf(stack, await b.token(role));
      // The tenant's own requests cost units: the only live quota in use by a tenant that only reads.
      const costUsed = usage.quotas.find((q) => q.name === 'costPerMinute')?.used;
      expect(usage.quotas).toEqual([
        { name: 'datasetVersions', limit: 10_000, used: 0, reserved: 0, windowSeconds: null },
        { name: 'datasets', limit: 2, used: 0, reserved: 0, windowSeconds: null },
        { name: 'modelVersions', limit: 10_000, used: 0, reserved: 0, windowSeconds: null },
        { name: 'models', limit: 1_000, used: 0, reserved: 0, windowSeconds: null },
        { name: 'storageBytes', limit: 5_000, used: 0, reserved: 0, windowSeconds: null },
        { name: 'maxQueuedJobs', limit: 1_000, used: 0, reserved: 0, windowSeconds: null },
        { name: 'maxConcurrentJobs', limit: 4, used: 0, reserved: 0, windowSeconds: null },
        { name: 'predictionsPerMinute', limit: 30_000, used: 0, reserved: 0, windowSeconds: 60 },
        { name: 'maxPredictionsInFlight', limit: 512, used: 0, reserved: 0, windowSeconds: null },
        { name: 'maxOpenSubscriptions', limit: 100, used: 0, reserved: 0, windowSeconds: null },
        { name: 'costPerMinute', limit: 60_000, used: costUsed, reserved: 0, windowSeconds: 60 },
      ]);
      expect(costUsed).toBeLessThan(1_000);
    }
    expect(errorCodes(await stack.query(platformAdmin, usageQuery))).toEqual(['FORBIDDEN']);
  });

  it('tenant B filling its quota never affects tenant A, and each sees only its own usage', async () => {
    const [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    for (const name of ['b1', 'b2']) expectNoErrors(await stack.query(tokenB, 'mutation($n: String!) { createDataset(input: { name: $n }) { id } }', { n: name }));
    const refused = await stack.query(tokenB, 'mutation { createDataset(input: { name: "b3" }) { id } }');
    expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: 'datasets', limit: 2, used: 2 });
    // B holds a pending upload reservation too: A sees none of it.
    const firstB = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { id: string } }> } }>(tokenB, '{ datasets { edges { node { id } } } }')).datasets.edges[0]!.node.id;
    expectNoErrors(await stack.query(tokenB, 'mutation($d: ID!) { createDatasetUpload(input: { datasetId: $d, filename: "p.csv", byteSize: 100 }) { id } }', { d: firstB }));

    const usageB = await usageOf(stack, tokenB);
    expect(usageB.quotas.find((q) => q.name === 'datasets')).toEqual({ name: 'datasets', limit: 2, used: 2, reserved: 0, windowSeconds: null });
    expect(usageB.quotas.find((q) => q.name === 'storageBytes')!.reserved).toBeGreaterThan(100);
    const usageA = await usageOf(stack, tokenA);
    expect(usageA.datasets).toBe(0);
    for (const quota of stored(usageA.quotas)) expect(quota).toMatchObject({ used: 0, reserved: 0 });
    expectNoErrors(await stack.query(tokenA, 'mutation { createDataset(input: { name: "a1" }) { id } }'));
    expect((await usageOf(stack, tokenA)).quotas.find((q) => q.name === 'datasets')).toMatchObject({ used: 1, limit: 1_000 });
    expect((await usageOf(stack, tokenB)).quotas.find((q) => q.name === 'datasets')).toMatchObject({ used: 2, limit: 2 });
    // There is no argument to name another tenant: the tenant comes from the token.
    expect(errorCodes(await stack.query(tokenB, `{ tenantUsage(tenantId: "${a.id}") { datasets } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('quota limits are tenant limits: set by the platform admin, typed errors for bad values, and a lowered limit refuses the next write', async () => {
    const changed = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Record<string, number> } }>(platformAdmin, setLimits, { id: a.id, limits: { maxDatasets: 1, maxModelVersions: 7 } }));
    expect(changed.setTenantLimits.limits).toMatchObject({ maxDatasets: 1, maxModelVersions: 7, maxModels: 1_000, maxDatasetVersions: 10_000 });
    for (const [limits, field] of [
      [{ maxDatasets: 0 }, 'limits.maxDatasets'],
      [{ maxModels: -3 }, 'limits.maxModels'],
    ] as const) {
      const response = await stack.query(platformAdmin, setLimits, { id: a.id, limits });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions).toMatchObject({ field });
    }
    // Not integers at all: GraphQL's Int refuses them before the service sees them, naming the field.
    for (const limits of [{ maxDatasetVersions: 1.5 }, { maxModelVersions: 1e300 }]) {
      const response = await stack.query(platformAdmin, setLimits, { id: a.id, limits });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toContain(Object.keys(limits)[0]);
    }
    const tokenA = await a.token('data_scientist');
    const refused = await stack.query(tokenA, 'mutation { createDataset(input: { name: "a2" }) { id } }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'datasets', limit: 1, used: 1 });
    expect((await usageOf(stack, tokenA)).quotas.find((q) => q.name === 'modelVersions')).toMatchObject({ limit: 7, used: 0 });
    // Lowered below what the tenant holds: usage shows it over, nothing is deleted, writes are refused.
    expectNoErrors(await stack.query(platformAdmin, setLimits, { id: b.id, limits: { maxDatasets: 1 } }));
    expect((await usageOf(stack, await b.token('viewer'))).quotas.find((q) => q.name === 'datasets')).toEqual({ name: 'datasets', limit: 1, used: 2, reserved: 0, windowSeconds: null });
  });

  it('live quotas: jobs queued and running, predictions this minute and in flight, open subscriptions and cost units, beside the tenant\'s own limits; another tenant sees none of it', async () => {
    const [busy, quiet] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    // Limits are per tenant: the busy tenant's are set by the platform admin, the quiet one keeps the defaults.
    const limits = { maxQueuedJobs: 5, maxConcurrentJobs: 1, predictionsPerMinute: 40, maxPredictionsInFlight: 3, maxOpenSubscriptions: 4, costPerMinute: 50_000 };
    expect(expectNoErrors(await stack.query<{ setTenantLimits: { limits: Record<string, number> } }>(platformAdmin, setLiveLimits, { id: busy.id, limits })).setTenantLimits.limits).toEqual(limits);
    const [scientist, viewer, quietViewer] = await Promise.all([busy.token('data_scientist'), busy.token('viewer'), quiet.token('viewer')]);

    // Jobs: a worker will run a training (the tenant may run one job at a time) and two more wait queued.
    // The worker reaches the models service through a relay, held from the submit on: a run registers
    // its model there before it can end, so it stays RUNNING for the rest of the test however fast the
    // machine trains (2 000 epochs kept a core busy for all of it instead). Its call waits there for
    // up to 30 s (the port client's timeout): the training is submitted in the timed minute, seconds
    // before it is read.
    const modelsPort = await portRelay(stack, 'models');
    await stack.workers.start({ env: modelsPort.env });
    const { versionId } = await uploadDataset(stack, scientist, 'long', linearCsv(3000));

    // Models to predict with: a linear one, and one that spins until its 5 s timeout (to hold a prediction in
    // flight long enough for the cost units and in-flight reports, every 250 ms, to catch up on a loaded machine).
    const linearId = await newModel(stack, scientist, 'linear');
    await uploadVersion(stack, scientist, linearId, linearModel());
    const slowId = await newModel(stack, scientist, 'slow');
    await uploadVersion(stack, scientist, slowId, buildSlowModel({ features: 3 }));
    expectNoErrors(await stack.query(scientist, updateServing, { id: slowId, input: { timeoutMs: 5_000, batching: false } }));

    // Subscriptions through the gateway (graphql-ws): two of the busy tenant, one of the quiet tenant.
    const clients: TestSubscriptionClient[] = [];
    const subscribe = async (token: string) => {
      const connection = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${token}` });
      clients.push(connection);
      await connection.connected;
      return new CollectedSubscription(connection.client, { query: jobEventsSubscription });
    };
    let slow: Promise<unknown> | undefined;
    try {
      await subscribe(viewer);
      await subscribe(viewer);
      await subscribe(quietViewer);

      // Everything per minute happens, and is read, in one UTC minute: about 10 s here (the training
      // started, the slow call's 5 s, a few requests), so 30 s left is three times that (asking for
      // 40 s waited 13 s on average).
      await minuteWithAtLeast(30);
      modelsPort.relay.hold();
      const long = expectNoErrors(
        await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
          input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'MLP', hyperParameters: { epochs: 5, hiddenUnits: [64, 32], batchSize: 8 } },
        }),
      ).submitTrainingJob;
      await waitForStatus(stack, scientist, long.id, ['RUNNING']);
      for (let i = 0; i < 2; i++) expectNoErrors(await stack.query(scientist, submitProfile, { input: { datasetVersionId: versionId } }));
      for (let i = 0; i < 5; i++) expectNoErrors(await predict(stack, viewer, { modelId: linearId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
      slow = predict(stack, viewer, { modelId: slowId, version: 1, inputs: [rowsInput([[1, 2, 3]])] });

      // In-flight counts are each replica's last report (every 250 ms): wait for the slow call to be admitted and reported.
      const busyQuotas = await usageWhen(
        stack,
        viewer,
        // Cost units are exchanged between gateway replicas through Redis (every 250 ms), so they can trail the calls a little.
        (q) => q['predictionsPerMinute']!.used === 6 && q['maxPredictionsInFlight']!.used === 1 && q['maxOpenSubscriptions']!.used === 2 && q['costPerMinute']!.used >= 300,
        'the slow prediction admitted and in flight, both subscriptions open, and the six calls counted in cost units',
      );
      expect(busyQuotas).toEqual({
        maxQueuedJobs: { name: 'maxQueuedJobs', limit: 5, used: 3, reserved: 0, windowSeconds: null },
        maxConcurrentJobs: { name: 'maxConcurrentJobs', limit: 1, used: 1, reserved: 0, windowSeconds: null },
        // Five answered and the slow one admitted: every admitted prediction counts, in the minute it started.
        predictionsPerMinute: { name: 'predictionsPerMinute', limit: 40, used: 6, reserved: 0, windowSeconds: 60 },
        maxPredictionsInFlight: { name: 'maxPredictionsInFlight', limit: 3, used: 1, reserved: 0, windowSeconds: null },
        maxOpenSubscriptions: { name: 'maxOpenSubscriptions', limit: 4, used: 2, reserved: 0, windowSeconds: null },
        costPerMinute: { name: 'costPerMinute', limit: 50_000, used: busyQuotas['costPerMinute']!.used, reserved: 0, windowSeconds: 60 },
      });
      // Six predict calls cost at least 50 units each this minute (the gateway's weight of predict).
      expect(busyQuotas['costPerMinute']!.used).toBeGreaterThanOrEqual(300);

      // The quiet tenant sees its own numbers only: its one subscription, none of the busy tenant's
      // jobs or predictions, and in cost units at most its own tenantUsage query (about 50 units).
      const quietQuotas = live((await usageOf(stack, quietViewer)).quotas);
      expect(quietQuotas).toEqual({
        maxQueuedJobs: { name: 'maxQueuedJobs', limit: 1_000, used: 0, reserved: 0, windowSeconds: null },
        maxConcurrentJobs: { name: 'maxConcurrentJobs', limit: 4, used: 0, reserved: 0, windowSeconds: null },
        predictionsPerMinute: { name: 'predictionsPerMinute', limit: 30_000, used: 0, reserved: 0, windowSeconds: 60 },
        maxPredictionsInFlight: { name: 'maxPredictionsInFlight', limit: 512, used: 0, reserved: 0, windowSeconds: null },
        maxOpenSubscriptions: { name: 'maxOpenSubscriptions', limit: 100, used: 1, reserved: 0, windowSeconds: null },
        costPerMinute: { name: 'costPerMinute', limit: 60_000, used: quietQuotas['costPerMinute']!.used, reserved: 0, windowSeconds: 60 },
      });
      expect(quietQuotas['costPerMinute']!.used).toBeLessThan(100);

      // Live means live: the slow call ends (its timeout), the busy tenant's sockets close, the training is cancelled.
      await slow;
      await Promise.all(clients.splice(0, 2).map((client) => client.dispose()));
      expectNoErrors(await stack.query(scientist, cancelJob, { id: long.id }));
      const after = await usageWhen(stack, viewer, (q) => q['maxPredictionsInFlight']!.used === 0 && q['maxOpenSubscriptions']!.used === 0, 'the prediction answered and the subscriptions closed');
      expect(after['predictionsPerMinute']!.used).toBe(6);
      expect(live((await usageOf(stack, quietViewer)).quotas)['maxOpenSubscriptions']!.used).toBe(1);
    } finally {
      await slow?.catch(() => undefined);
      await Promise.all(clients.map((client) => client.dispose()));
      await modelsPort.relay.off();
    }
  }, 180_000);
});
