import { buildMemoryHungryModel, buildSlowModel } from '@tessera/onnx';
import { InferencePools } from '@tessera/inference';
import { PredictionsInFlightSync, PredictionsPerMinute } from '@tessera/models';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { linearByHand, linearModel, newModel, predict, rowsInput, uploadVersion } from './model-flow';

const updateServing = `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`;
const setTenantLimits = `mutation($id: ID!, $limits: TenantLimitsInput!) {
  setTenantLimits(id: $id, limits: $limits) {
    id overriddenLimits
    limits { predictionsPerMinute maxPredictionsInFlight maxQueuedPredictions inferenceProcesses inferenceThreads inferenceProcessMemoryMb }
  }
}`;
const row = [1, 2, 3];

/** Every test runs inside one pinned minute: a minute boundary can never fall inside a test. */
const pinnedMinute = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
const quotaClock = () => pinnedMinute;

/**
 * A tenant with its tokens and models: linear (3 features), slow and memory-hungry (both 3 features).
 * The slow model spins a core until its timeout, which every test using it sits through: 1.5 s is
 * still several times what the one or two requests that must land while it runs take on a loaded
 * machine (a run that ended early makes the refusal not happen, so the test fails, never passes).
 */
const slowTimeoutMs = 1_500;
interface QuotaTenant {
  tenant: TestTenant;
  viewer: string;
  linearId: string;
  slowId?: string;
  hungryId?: string;
}

async function quotaTenant(stack: TestStack, limits: Record<string, number>, extra: Array<'slow' | 'hungry'> = []): Promise<QuotaTenant> {
  const tenant = await stack.createTenant({ limits });
  const [scientist, viewer] = await Promise.all([tenant.token('data_scientist'), tenant.token('viewer')]);
  const linearId = await newModel(stack, scientist, 'linear');
  await uploadVersion(stack, scientist, linearId, linearModel());
  const result: QuotaTenant = { tenant, viewer, linearId };
  if (extra.includes('slow')) {
    result.slowId = await newModel(stack, scientist, 'slow');
    await uploadVersion(stack, scientist, result.slowId, buildSlowModel({ features: 3 }));
    expectNoErrors(await stack.query(scientist, updateServing, { id: result.slowId, input: { timeoutMs: slowTimeoutMs, batching: false } }));
  }
  if (extra.includes('hungry')) {
    result.hungryId = await newModel(stack, scientist, 'hungry');
    await uploadVersion(stack, scientist, result.hungryId, buildMemoryHungryModel({ features: 3, megabytesPerRow: 512 }));
    expectNoErrors(await stack.query(scientist, updateServing, { id: result.hungryId, input: { timeoutMs: 60_000, batching: false } }));
  }
  return result;
}

const predictModel = (stack: TestStack, who: QuotaTenant, modelId: string) => predict(stack, who.viewer, { modelId, version: 1, inputs: [rowsInput([row])] });

/** A prediction that must succeed, with the linear model's known answer. */
async function expectServed(stack: TestStack, who: QuotaTenant): Promise<void> {
  const result = expectNoErrors(await predictModel(stack, who, who.linearId));
  expect(result.predict.outputs[0]!.data[0]).toBeCloseTo(linearByHand(row), 5);
}

/** The single error of a refused call: typed, never a 500. */
function onlyError(response: GraphQLResponse<unknown>) {
  expect(response.status).not.toBe(500);
  expect(response.errors).toHaveLength(1);
  return response.errors![0]!;
}

describe('models: per-tenant prediction quotas', () => {
  let stack: TestStack;
  let other: QuotaTenant;

  beforeAll(async () => {
    stack = await startTestStack({ inference: { quotaClock, pools: { memoryCheckIntervalMs: 50, maxThreadsPerProcess: 4 } } });
    other = await quotaTenant(stack, {});
  });
  afterAll(() => stack?.stop());

  const pool = (who: QuotaTenant) => stack.platform.modelServing.pools.poolFor(who.tenant.id, 'shared');
  const waitUntil = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('predictionsPerMinute: the next prediction is QUOTA_EXCEEDED with quota, limit and usage; the other tenant keeps being served', async () => {
    const limited = await quotaTenant(stack, { predictionsPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      await expectServed(stack, limited);
      await expectServed(stack, other);
    }
    const refused = onlyError(await predictModel(stack, limited, limited.linearId));
    expect(refused.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'predictionsPerMinute', limit: 3, used: 3 });
    expect(refused.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
    await expectServed(stack, other);
    // Refusals do not count: still 3 used.
    expect(onlyError(await predictModel(stack, limited, limited.linearId)).extensions).toMatchObject({ used: 3 });
  });

  it('predictionsPerMinute holds across replicas: predictions counted by another replica (same Redis) use up the same minute', async () => {
    const limited = await quotaTenant(stack, { predictionsPerMinute: 4 });
    const otherReplica = new PredictionsPerMinute({ redis: stack.config.redis, logger: stack.config.logger, now: quotaClock });
    try {
      await otherReplica.take(limited.tenant.id, 4);
      await otherReplica.take(limited.tenant.id, 4);
      await expectServed(stack, limited);
      await expectServed(stack, limited);
      expect(onlyError(await predictModel(stack, limited, limited.linearId)).extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'predictionsPerMinute', limit: 4, used: 4 });
      await expect(otherReplica.take(limited.tenant.id, 4)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', extensions: expect.objectContaining({ used: 4 }) });
    } finally {
      await otherReplica.close();
    }
  });

  it('maxPredictionsInFlight: a call beyond it is refused before queueing while the other tenant is served; a raised limit applies to the next call', async () => {
    const limited = await quotaTenant(stack, { maxPredictionsInFlight: 1 }, ['slow']);
    await expectServed(stack, limited);
    const hung = predictModel(stack, limited, limited.slowId!);
    await waitUntil(() => pool(limited).stats().workers.some((worker) => worker.busy), 'the slow run to start');

    const refused = onlyError(await predictModel(stack, limited, limited.linearId));
    expect(refused.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'maxPredictionsInFlight', limit: 1, used: 1 });
    expect(pool(limited).stats().queued).toBe(0);
    await expectServed(stack, other);

    // The platform admin raises the limit: the very next call is accepted (it waits behind the slow run).
    const admin = await stack.platformAdminToken();
    const updated = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Record<string, number> } }>(admin, setTenantLimits, { id: limited.tenant.id, limits: { maxPredictionsInFlight: 5 } }));
    expect(updated.setTenantLimits.limits['maxPredictionsInFlight']).toBe(5);
    const accepted = predictModel(stack, limited, limited.linearId);
    expect(errorCodes(await hung)).toEqual(['INFERENCE_TIMEOUT']);
    const served = expectNoErrors(await accepted);
    expect(served.predict.outputs[0]!.data[0]).toBeCloseTo(linearByHand(row), 5);
  });

  it('maxPredictionsInFlight holds across replicas: calls in flight on another replica count, and stop counting once answered', async () => {
    const limited = await quotaTenant(stack, { maxPredictionsInFlight: 1 }, ['slow']);
    const tenantId = limited.tenant.id;
    // A call here first: the tenant is active on this replica, so its count is exchanged.
    await expectServed(stack, limited);
    const thisReplica = stack.platform.modelServing.predictionsInFlight;
    // Another models replica: its own pools and its own exchange over the same Redis.
    const otherPools = new InferencePools();
    const otherReplica = new PredictionsInFlightSync(otherPools, { redis: stack.config.redis, logger: stack.config.logger });
    try {
      const elsewhere = otherPools
        .predict({
          tenantId,
          tier: 'shared',
          modelKey: 'slow',
          load: async () => buildSlowModel({ features: 3 }),
          inputs: { input: { type: 'float32', data: row, dims: [1, 3] } },
          batching: false,
          // Only two Redis syncs and one request must fit in it (see slowTimeoutMs).
          timeoutMs: 2_000,
          limits: { maxInFlight: 1, maxQueued: 10, processes: 1, intraOpNumThreads: 1, processMemoryMb: 1024 },
        })
        .then(
          () => 'served',
          (error: { code?: string }) => error.code,
        );
      expect(otherPools.inFlightCount(tenantId)).toBe(1);
      await otherReplica.syncNow();
      await thisReplica.syncNow();

      const refused = onlyError(await predictModel(stack, limited, limited.linearId));
      expect(refused.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'maxPredictionsInFlight', limit: 1, used: 1 });
      await expectServed(stack, other);

      expect(await elsewhere).toBe('INFERENCE_TIMEOUT');
      await otherReplica.syncNow();
      await thisReplica.syncNow();
      await expectServed(stack, limited);
    } finally {
      await otherPools.close();
      await otherReplica.close();
    }
  });

  it('maxQueuedPredictions: with its one process busy and one call waiting, the next is QUOTA_EXCEEDED; the other tenant is unaffected', async () => {
    const limited = await quotaTenant(stack, { maxQueuedPredictions: 1 }, ['slow']);
    await expectServed(stack, limited);
    const running = predictModel(stack, limited, limited.slowId!);
    await waitUntil(() => pool(limited).stats().workers.some((worker) => worker.busy), 'the slow run to start');
    const waiting = predictModel(stack, limited, limited.slowId!);
    await waitUntil(() => pool(limited).stats().queued === 1, 'the second call to queue');

    const refused = onlyError(await predictModel(stack, limited, limited.linearId));
    expect(refused.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'maxQueuedPredictions', limit: 1, used: 1 });
    await expectServed(stack, other);
    expect(errorCodes(await running)).toEqual(['INFERENCE_TIMEOUT']);
    expect(errorCodes(await waiting)).toEqual(['INFERENCE_TIMEOUT']);
  });

  it('inferenceProcesses and inferenceThreads set by setTenantLimits resize and restart the pool at the next call', async () => {
    const tenant = await quotaTenant(stack, {});
    await expectServed(stack, tenant);
    expect(pool(tenant).stats().workers).toEqual([expect.objectContaining({ intraOpNumThreads: 1 })]);
    const [firstPid] = pool(tenant).stats().workers.map((worker) => worker.pid);

    const admin = await stack.platformAdminToken();
    const updated = expectNoErrors(
      await stack.query<{ setTenantLimits: { limits: Record<string, number>; overriddenLimits: string[] } }>(admin, setTenantLimits, {
        id: tenant.tenant.id,
        limits: { inferenceProcesses: 2, inferenceThreads: 2 },
      }),
    );
    expect(updated.setTenantLimits.limits).toMatchObject({ inferenceProcesses: 2, inferenceThreads: 2 });
    expect(updated.setTenantLimits.overriddenLimits).toEqual(expect.arrayContaining(['inferenceProcesses', 'inferenceThreads']));

    // Two concurrent calls: two processes, both with 2 threads; the 1-thread process is gone.
    await Promise.all([expectServed(stack, tenant), expectServed(stack, tenant)]);
    const stats = pool(tenant).stats();
    expect(stats.resources).toMatchObject({ processes: 2, intraOpNumThreads: 2 });
    expect(stats.workers.length).toBeGreaterThanOrEqual(1);
    expect(stats.workers.length).toBeLessThanOrEqual(2);
    for (const worker of stats.workers) expect(worker.intraOpNumThreads).toBe(2);
    expect(stats.workers.map((worker) => worker.pid)).not.toContain(firstPid);
  });

  it('a process over inferenceProcessMemoryMb is killed: that call fails INFERENCE_FAILED / MEMORY_LIMIT, the other tenant is served, the pool recovers', async () => {
    const limited = await quotaTenant(stack, { inferenceProcessMemoryMb: 300 }, ['hungry']);
    await expectServed(stack, limited);
    const hog = predictModel(stack, limited, limited.hungryId!);
    await expectServed(stack, other);
    const failure = onlyError(await hog);
    expect(failure.extensions).toMatchObject({ code: 'INFERENCE_FAILED', reason: 'MEMORY_LIMIT', limitMb: 300 });
    await expectServed(stack, limited);
    await expectServed(stack, other);
  });

  it('limits that are not positive integers are BAD_USER_INPUT naming the limit (never a 500), and nothing changes', async () => {
    const tenant = await quotaTenant(stack, {});
    const admin = await stack.platformAdminToken();
    for (const limits of [{ inferenceThreads: 0 }, { maxPredictionsInFlight: -1 }, { inferenceProcessMemoryMb: 0 }]) {
      const error = onlyError(await stack.query(admin, setTenantLimits, { id: tenant.tenant.id, limits }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `limits.${Object.keys(limits)[0]}` });
    }
    await expectServed(stack, tenant);
    expect(pool(tenant).stats().resources).toMatchObject({ processes: 1, intraOpNumThreads: 1, maxQueued: 256 });
  });
});
