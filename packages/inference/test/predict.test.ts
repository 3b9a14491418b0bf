import { errors } from '@tessera/errors';
import { buildLinearRegression, buildLogisticRegression, buildMlp, onnxFixtures } from '@tessera/onnx';
import { InferencePools, type InferenceRecord, type PredictResult } from '../src';
import { countingLoader, predictError, rowsInput } from './helpers';

const linear = buildLinearRegression({ weights: [2, -1, 0.5], bias: 3 });
const linearByHand = (row: number[]) => 2 * row[0]! - row[1]! + 0.5 * row[2]! + 3;

// 2 → 3 (relu) → 1 (none): hand-computable.
const mlpLayers = [
  { weights: [[1, -1, 0.5], [2, 1, -1]], bias: [0, 1, -0.5], activation: 'relu' as const },
  { weights: [[1], [-2], [3]], bias: [0.25], activation: 'none' as const },
];
const mlp = buildMlp({ layers: mlpLayers });
function mlpByHand(row: number[]): number {
  const relu = (value: number) => Math.max(0, value);
  const hidden = [0, 1, 2].map((j) => relu(row[0]! * mlpLayers[0]!.weights[0]![j]! + row[1]! * mlpLayers[0]!.weights[1]![j]! + mlpLayers[0]!.bias[j]!));
  return hidden[0]! * 1 + hidden[1]! * -2 + hidden[2]! * 3 + 0.25;
}

const logistic = buildLogisticRegression({ weights: [1, 1], bias: -1 });

describe('InferencePools.predict', () => {
  const pools = new InferencePools({ shared: { processes: 1 } });
  const records: InferenceRecord[] = [];
  pools.onRecord((record) => records.push(record));
  afterAll(() => pools.close());

  it('linear regression matches the hand-computed values and reports its pool and process', async () => {
    const rows = [
      [1, 2, 3],
      [0, 0, 0],
      [-4, 1.5, 10],
    ];
    const loader = countingLoader(linear);
    const result = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'lin:1', load: loader.load, inputs: rowsInput(rows) });
    expect(result.outputs['output']!.dims).toEqual([3, 1]);
    expect(result.outputs['output']!.type).toBe('float32');
    result.outputs['output']!.data.forEach((value, index) => expect(value).toBeCloseTo(linearByHand(rows[index]!), 5));
    expect(result).toMatchObject({ poolId: 'shared:tenant-a', batchSize: 1, batchRows: 3, sessionLoaded: true });
    expect(pools.poolFor('tenant-a', 'shared').id).toBe('shared:tenant-a');
    expect(pools.poolFor('tenant-a', 'shared').stats().workers.map((worker) => worker.pid)).toEqual([result.pid]);
    expect(result.pid).not.toBe(process.pid);
    expect(loader.calls()).toBe(1);

    // Second call: the session is kept, nothing is loaded again.
    const again = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'lin:1', load: loader.load, inputs: rowsInput([[1, 1, 1]]) });
    expect(again.outputs['output']!.data[0]).toBeCloseTo(4.5, 5);
    expect(again.sessionLoaded).toBe(false);
    expect(again.pid).toBe(result.pid);
    expect(loader.calls()).toBe(1);
  });

  it('a two-layer MLP (relu) and a logistic regression match the hand-computed values', async () => {
    const rows = [
      [1, 2],
      [-3, 0.5],
      [0.2, -0.7],
    ];
    const result = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'mlp:1', load: async () => mlp, inputs: rowsInput(rows) });
    expect(result.outputs['output']!.dims).toEqual([3, 1]);
    result.outputs['output']!.data.forEach((value, index) => expect(value).toBeCloseTo(mlpByHand(rows[index]!), 5));

    const probability = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'logit:1', load: async () => logistic, inputs: rowsInput([[0.5, 0.5], [2, 3]]) });
    expect(probability.outputs['output']!.data[0]).toBeCloseTo(0.5, 5);
    expect(probability.outputs['output']!.data[1]).toBeCloseTo(1 / (1 + Math.exp(-4)), 5);
  });

  it('accepts typed arrays as input data', async () => {
    const result = await pools.predict({
      tenantId: 'tenant-a',
      tier: 'shared',
      modelKey: 'lin:1',
      load: async () => linear,
      inputs: { input: { type: 'float32', data: new Float32Array([1, 2, 3, 4, 5, 6]).subarray(3), dims: [1, 3] } },
    });
    expect(result.outputs['output']!.data[0]).toBeCloseTo(linearByHand([4, 5, 6]), 5);
  });

  it('merges concurrent calls for the same model into one run and splits the outputs back per caller', async () => {
    const callers = [[[1, 2, 3]], [[4, 5, 6], [7, 8, 9]], [[0, 0, 1]], [[-1, -2, -3], [1, 0, 0], [2, 2, 2]]];
    const batching = { maxBatchSize: 64, maxDelayMs: 20 };
    const results = await Promise.all(
      callers.map((rows) => pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput(rows), batching })),
    );
    results.forEach((result, index) => {
      const rows = callers[index]!;
      expect(result.batchSize).toBe(4);
      expect(result.batchRows).toBe(7);
      expect(result.outputs['output']!.dims).toEqual([rows.length, 1]);
      result.outputs['output']!.data.forEach((value, row) => expect(value).toBeCloseTo(linearByHand(rows[row]!), 5));
    });
    // One run served all four: the same process, the session loaded once.
    expect(new Set(results.map((result) => result.pid)).size).toBe(1);
    expect(results.filter((result) => result.sessionLoaded)).toHaveLength(4);
    // The run's session.run milliseconds are split by rows: each share is proportional to its rows.
    const runMs = (results[0]!.computeMs * 7) / callers[0]!.length;
    expect(runMs).toBeGreaterThan(0);
    results.forEach((result, index) => expect(result.computeMs).toBeCloseTo((runMs * callers[index]!.length) / 7, 9));
  });

  it('batches never mix tenants: the same model key, called by two tenants in one tick, runs once per tenant in its own process', async () => {
    const batching = { maxBatchSize: 64, maxDelayMs: 20 };
    const call = (tenantId: string, value: number) =>
      pools.predict({ tenantId, tier: 'shared', modelKey: 'lin:same-key', load: async () => linear, inputs: rowsInput([[value, 0, 0]]), batching });
    const results = await Promise.all([1, 2, 3].flatMap((value) => [call('mix-a', value), call('mix-b', 10 + value)]));
    const ofA = results.filter((_, index) => index % 2 === 0);
    const ofB = results.filter((_, index) => index % 2 === 1);
    // Each tenant's three calls were merged with each other only.
    for (const result of results) expect(result.batchRows).toBeLessThanOrEqual(3);
    expect(new Set(ofA.map((result) => result.poolId))).toEqual(new Set(['shared:mix-a']));
    expect(new Set(ofB.map((result) => result.poolId))).toEqual(new Set(['shared:mix-b']));
    const pidsA = new Set(ofA.map((result) => result.pid));
    for (const result of ofB) expect(pidsA.has(result.pid)).toBe(false);
    ofA.forEach((result, index) => expect(result.outputs['output']!.data[0]).toBeCloseTo(linearByHand([index + 1, 0, 0]), 5));
    ofB.forEach((result, index) => expect(result.outputs['output']!.data[0]).toBeCloseTo(linearByHand([11 + index, 0, 0]), 5));
  });

  it('typed outputs: the arrays onnxruntime produced, per caller, without conversion', async () => {
    const results = await Promise.all(
      [[[1, 2, 3]], [[4, 5, 6], [7, 8, 9]]].map((rows) =>
        pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput(rows), batching: { maxBatchSize: 8, maxDelayMs: 0 }, outputData: 'typed' }),
      ),
    );
    // (By tag: the arrays come over IPC, from another realm than this test's.)
    expect(Object.prototype.toString.call(results[0]!.outputs['output']!.data)).toBe('[object Float32Array]');
    expect(Array.from(results[1]!.outputs['output']!.data as Float32Array)).toEqual([linearByHand([4, 5, 6]), linearByHand([7, 8, 9])].map((value) => Math.fround(value)));
  });

  it('caps a merged run at maxBatchSize rows; the rest form the next batches', async () => {
    const batching = { maxBatchSize: 4, maxDelayMs: 20 };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[index, 0, 0]]), batching }),
      ),
    );
    // How the ten calls split into runs depends on when each reaches the queue (a loaded machine may
    // start a run before all ten arrived); what must hold is the cap, and that calls were merged.
    const sizes = results.map((result) => result.batchSize);
    expect(Math.max(...sizes)).toBe(4);
    for (const size of new Set(sizes)) expect(sizes.filter((s) => s === size).length % size).toBe(0);
    results.forEach((result, index) => expect(result.outputs['output']!.data[0]).toBeCloseTo(linearByHand([index, 0, 0]), 5));
  });

  it('never merges calls whose inputs differ in shape or model; with batching disabled every call runs alone', async () => {
    const mixed = await Promise.all([
      pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 1, 1]]), batching: { maxBatchSize: 8, maxDelayMs: 20 } }),
      pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'mlp:1', load: async () => mlp, inputs: rowsInput([[1, 2]]), batching: { maxBatchSize: 8, maxDelayMs: 20 } }),
    ]);
    expect(mixed.map((result) => result.batchSize)).toEqual([1, 1]);
    expect(mixed[1]!.outputs['output']!.data[0]).toBeCloseTo(mlpByHand([1, 2]), 5);

    const alone: PredictResult[] = await Promise.all(
      [1, 2, 3, 4].map((value) =>
        pools.predict({ tenantId: 'tenant-b', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[value, 0, 0]]), batching: false }),
      ),
    );
    expect(alone.map((result) => result.batchSize)).toEqual([1, 1, 1, 1]);
    alone.forEach((result, index) => expect(result.outputs['output']!.data[0]).toBeCloseTo(linearByHand([index + 1, 0, 0]), 5));
  });

  it('rejects malformed inputs with BAD_USER_INPUT naming the input, before anything runs', async () => {
    const base = { tenantId: 'tenant-c', tier: 'shared' as const, modelKey: 'lin:1', load: async () => linear };
    const wrongLength = await predictError(pools, { ...base, inputs: { input: { type: 'float32', data: [1, 2], dims: [1, 3] } } });
    expect(wrongLength.code).toBe('BAD_USER_INPUT');
    expect(wrongLength.message).toContain('"input"');
    expect(wrongLength.extensions['field']).toBe('inputs.input');
    const badType = await predictError(pools, { ...base, inputs: { input: { type: 'string' as never, data: [1, 2, 3], dims: [1, 3] } } });
    expect(badType.code).toBe('BAD_USER_INPUT');
    const badInteger = await predictError(pools, { ...base, inputs: { input: { type: 'int64', data: [1.5, 2, 3], dims: [1, 3] } } });
    expect(badInteger.code).toBe('BAD_USER_INPUT');
    const badValue = await predictError(pools, { ...base, inputs: { input: { type: 'float32', data: [1, 'x' as never, 3], dims: [1, 3] } } });
    expect(badValue.code).toBe('BAD_USER_INPUT');
    const badTimeout = await predictError(pools, { ...base, timeoutMs: 0, inputs: rowsInput([[1, 2, 3]]) });
    expect(badTimeout.code).toBe('BAD_USER_INPUT');
    const badBatching = await predictError(pools, { ...base, batching: { maxBatchSize: 0, maxDelayMs: 1 }, inputs: rowsInput([[1, 2, 3]]) });
    expect(badBatching.code).toBe('BAD_USER_INPUT');
    // Nothing was started for this tenant.
    expect(pools.poolFor('tenant-c', 'shared').stats().workers).toEqual([]);
  });

  it('a shape the model does not accept is a typed INFERENCE_FAILED from the runtime, and the pool keeps serving', async () => {
    const error = await predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 2]]) });
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.extensions['reason']).toBe('RUNTIME_ERROR');
    const ok = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 2, 3]]) });
    expect(ok.outputs['output']!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
  });

  it('bytes the runtime cannot load fail with MODEL_NOT_LOADABLE (LOAD_FAILED, 422), not a server error', async () => {
    const error = await predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'junk:1', load: async () => new TextEncoder().encode('not onnx'), inputs: rowsInput([[1, 2, 3]]) });
    expect(error.code).toBe('MODEL_NOT_LOADABLE');
    expect(error.extensions['reason']).toBe('LOAD_FAILED');
    expect(error.httpStatus).toBe(422);
  });

  it('external data in a file that got past the upload checks reads nothing on the host: the process resolves it under a path that never exists', async () => {
    // A file stored before a gap in the upload checks was closed, or one the checks miss: without
    // the empty directory onnxruntime read `package.json` of the working directory (the service's).
    const model = onnxFixtures.buildFunctionDefaultExternalDataModel('package.json');
    const input = { input: { type: 'float32' as const, data: [0], dims: [1] } };
    const error = await predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'external:1', load: async () => model, inputs: input });
    expect(error.code).toBe('MODEL_NOT_LOADABLE');
    expect(error.message).toMatch(/does not exist/);
    expect(error.message).not.toContain(process.cwd());
  });

  it('a version the runtime refused is answered from memory for the next calls: no storage read, no bytes to the process, only in that tenant\'s pool', async () => {
    // No parent-side byte cache: every attempt to load would read storage again.
    const uncached = new InferencePools({ shared: { processes: 1 }, modelBytesCacheBytes: 0 });
    try {
      const junk = countingLoader(new TextEncoder().encode('not onnx'));
      const call = (tenantId: string) => ({ tenantId, tier: 'shared' as const, modelKey: 'junk:2', load: junk.load, inputs: rowsInput([[1, 2, 3]]) });
      const first = await predictError(uncached, call('tenant-r'));
      expect(first.code).toBe('MODEL_NOT_LOADABLE');
      expect(junk.calls()).toBe(1);
      const loadsBefore = uncached.poolFor('tenant-r', 'shared').stats().workers.map((worker) => worker.sessionLoads);
      const repeated = await Promise.all([1, 2, 3].map(() => predictError(uncached, call('tenant-r'))));
      for (const error of repeated) {
        expect(error.code).toBe('MODEL_NOT_LOADABLE');
        expect(error.message).toBe(first.message);
        expect(error.extensions['reason']).toBe('LOAD_FAILED');
        expect(error).not.toBe(first);
      }
      expect(junk.calls()).toBe(1);
      expect(uncached.poolFor('tenant-r', 'shared').stats().workers.map((worker) => worker.sessionLoads)).toEqual(loadsBefore);
      // Another tenant's pool knows nothing of it: its own call reads its own bytes.
      expect((await predictError(uncached, call('tenant-s'))).code).toBe('MODEL_NOT_LOADABLE');
      expect(junk.calls()).toBe(2);
      // The refusing tenant's pool still serves its other versions.
      const ok = await uncached.predict({ tenantId: 'tenant-r', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 2, 3]]) });
      expect(ok.outputs['output']!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
    } finally {
      await uncached.close();
    }
  });

  it("a load failure says what the runtime found without onnxruntime's source paths, line numbers or C++ signatures", async () => {
    const error = await predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'short:1', load: async () => onnxFixtures.buildShortInitializerModel(), inputs: rowsInput([[1, 2]]) });
    expect(error.code).toBe('MODEL_NOT_LOADABLE');
    expect(error.message).toMatch(/Initializer 'bias': data field count \(1\) does not match expected count from shape \(2\)/);
    expect(error.message).not.toMatch(/onnxruntime_src|\.(cc|h):\d+|onnxruntime::|std::|ONNXRuntimeError/);
    // The pool keeps serving.
    const ok = await pools.predict({ tenantId: 'tenant-a', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 2, 3]]) });
    expect(ok.outputs['output']!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
  });

  it('load() failures: a typed error passes through, anything else (or a hung read) is SERVICE_UNAVAILABLE', async () => {
    const hungPools = new InferencePools({ loadTimeoutMs: 200 });
    try {
      const base = { tenantId: 'tenant-e', tier: 'shared' as const, inputs: rowsInput([[1, 2, 3]]) };
      const notFound = await predictError(hungPools, { ...base, modelKey: 'gone', load: async () => Promise.reject(errors.notFound('Model version', 'v9')) });
      expect(notFound.code).toBe('NOT_FOUND');
      const broken = await predictError(hungPools, { ...base, modelKey: 'broken', load: async () => Promise.reject(new Error('ECONNRESET from storage')) });
      expect(broken.code).toBe('SERVICE_UNAVAILABLE');
      expect(broken.message).not.toContain('ECONNRESET');
      const hung = await predictError(hungPools, { ...base, modelKey: 'hung', load: () => new Promise<Uint8Array>(() => undefined) });
      expect(hung.code).toBe('SERVICE_UNAVAILABLE');
      // The process that waited for the bytes is free again.
      const ok = await hungPools.predict({ ...base, modelKey: 'lin:1', load: async () => linear });
      expect(ok.outputs['output']!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
    } finally {
      await hungPools.close();
    }
  });

  it('records one entry per call, failures included, with the error code', async () => {
    records.length = 0;
    await pools.predict({ tenantId: 'tenant-d', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: rowsInput([[1, 2, 3]]) });
    await predictError(pools, { tenantId: 'tenant-d', tier: 'shared', modelKey: 'lin:1', load: async () => linear, inputs: { input: { type: 'float32', data: [1], dims: [2] } } });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ tenantId: 'tenant-d', modelKey: 'lin:1', poolId: 'shared:tenant-d', batchSize: 1, ok: true });
    expect(records[0]!.latencyMs).toBeGreaterThan(0);
    expect(records[0]!.computeMs).toBeGreaterThan(0);
    expect(records[0]!.errorCode).toBeUndefined();
    expect(records[1]).toMatchObject({ tenantId: 'tenant-d', ok: false, errorCode: 'BAD_USER_INPUT' });
  });
});
