import { onnxFixtures } from '@tessera/onnx';
import { inferenceVariables, InferencePools, parseInferencePoolsOptions, toInferencePoolsOptions } from '../src';
import { predictError } from './helpers';

/** 500 output values per input row. */
const fanOut = onnxFixtures.buildFanOutModel(500);
const rows = (count: number) => ({ input: { type: 'float32' as const, data: Array.from({ length: count }, (_, i) => i), dims: [count, 1] } });

describe('InferencePools: output values per call', () => {
  const pools = new InferencePools({ shared: { processes: 1 }, maxOutputValues: 1_000, batching: { maxBatchSize: 64, maxDelayMs: 50 } });
  afterAll(() => pools.close());
  const call = (count: number, batching?: false) => ({ tenantId: 't-out', tier: 'shared' as const, modelKey: 'fan:1', load: async () => fanOut, inputs: rows(count), ...(batching === false ? { batching } : {}) });

  it('has a default, and INFERENCE_MAX_OUTPUT_VALUES sets it', () => {
    expect(parseInferencePoolsOptions({}).maxOutputValues).toBe(262_144);
    expect(parseInferencePoolsOptions(toInferencePoolsOptions(inferenceVariables.parse({ INFERENCE_MAX_OUTPUT_VALUES: '5000' }))).maxOutputValues).toBe(5_000);
  });

  it('an answer at the limit is returned; one over it is PAYLOAD_TOO_LARGE (OUTPUT_TOO_LARGE), and the process stays', async () => {
    const fits = await pools.predict(call(2));
    expect(fits.outputs['output']!.dims).toEqual([2, 500]);
    expect(fits.outputs['output']!.data[999]).toBe(1);

    const error = await predictError(pools, call(3));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.extensions).toMatchObject({ reason: 'OUTPUT_TOO_LARGE', maxOutputValues: 1_000, outputValues: 1_500 });

    const after = await pools.predict(call(1));
    expect(after.pid).toBe(fits.pid);
    expect(after.outputs['output']!.data).toHaveLength(500);
  });

  it('an answer of one value with millions of dimensions is INFERENCE_FAILED in the process: its shape never reaches the event loop all tenants share', async () => {
    // A 300-byte model answered a rank chosen by the caller: at 10 000 000 dimensions the shape was
    // ~70 MB to deserialize, copy and serialize in the parent, per call, for one value.
    const model = onnxFixtures.buildRankOutputModel();
    const rank = (dims: number) => ({ tenantId: 't-out', tier: 'shared' as const, modelKey: 'rank:1', load: async () => model, batching: false as const, inputs: { input: { type: 'float32' as const, data: [2], dims: [1] }, rank: { type: 'int64' as const, data: [dims], dims: [1] } } });
    const fits = await pools.predict(rank(64));
    expect(fits.outputs['output0']!.dims).toHaveLength(64);
    const error = await predictError(pools, rank(100_000));
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.message).toMatch(/output "output0" has 100000 dimensions; an answer carries at most 64/);
    const after = await pools.predict(rank(3));
    expect(after.pid).toBe(fits.pid);
    expect(after.outputs['output0']!.dims).toEqual([1, 1, 1]);
  });

  it('an answer of more than 1 024 output tensors is INFERENCE_FAILED in the process (a version stored before uploads were held to 1 024 outputs)', async () => {
    const call = (count: number) => ({ tenantId: 't-out', tier: 'shared' as const, modelKey: `outputs:${count}`, load: async () => onnxFixtures.buildModelWithOutputs(count), batching: false as const, inputs: { input: { type: 'float32' as const, data: [1, 2], dims: [1, 2] } } });
    // 999 outputs: 1 000 values, this pool's value limit (the count is checked first, below).
    expect(Object.keys((await pools.predict(call(999))).outputs)).toHaveLength(999);
    const error = await predictError(pools, call(1025));
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.message).toMatch(/1025 outputs; an answer carries at most 1024/);
  });

  it('in a merged run each call is held to its own limit: the call over it fails, its neighbours are answered', async () => {
    // Calls submitted in one tick form one run: 5 rows, 2 500 values, within 3 × 1 000.
    const [small, big, other] = await Promise.allSettled([pools.predict(call(1)), pools.predict(call(3)), pools.predict(call(1))]);
    expect(small).toMatchObject({ status: 'fulfilled', value: { batchSize: 3 } });
    expect(other).toMatchObject({ status: 'fulfilled', value: { batchSize: 3 } });
    expect(big).toMatchObject({ status: 'rejected', reason: { code: 'PAYLOAD_TOO_LARGE', extensions: { reason: 'OUTPUT_TOO_LARGE', outputValues: 1_500 } } });
  });

  it('a merged run over the limits of all its calls together is rerun call by call', async () => {
    // 7 rows, 3 500 values: over 2 × 1 000 for the run, so each call runs alone.
    const [big, fits] = await Promise.allSettled([pools.predict(call(5)), pools.predict(call(2))]);
    expect(big).toMatchObject({ status: 'rejected', reason: { code: 'PAYLOAD_TOO_LARGE', extensions: { outputValues: 2_500 } } });
    expect(fits).toMatchObject({ status: 'fulfilled', value: { batchSize: 1 } });
    // The model still merges afterwards.
    const merged = await Promise.all([pools.predict(call(1)), pools.predict(call(1))]);
    expect(merged.map((result) => result.batchSize)).toEqual([2, 2]);
  });
});
