import { buildFailingModel, buildLinearRegression, buildSlowModel, onnxFixtures } from '@tessera/onnx';
import { InferencePools, type InferenceRecord } from '../src';
import { predictError, rowsInput } from './helpers';

/**
 * A run that fails still used the inference process: its time is the call's `computeMs` (what the
 * models service meters as `inferenceMs` and holds the tenant's inferenceMs budget to). Before,
 * a failed call recorded 0, so a model that always runs into its time limit (up to 120 s of a
 * core per call) or produces an answer over the output limit was served for free, and a tenant's
 * inferenceMs budget never stopped it.
 */
const slow = buildSlowModel({ features: 2 });
const failing = buildFailingModel({ features: 2 });
const fanOut = onnxFixtures.buildFanOutModel(500);
const linear = buildLinearRegression({ weights: [1, 1], bias: 0 });

describe('InferencePools: the compute of failed runs is recorded', () => {
  const pools = new InferencePools({ shared: { processes: 1 }, maxOutputValues: 1_000, batching: { maxBatchSize: 16, maxDelayMs: 50 } });
  const records: InferenceRecord[] = [];
  pools.onRecord((record) => records.push(record));
  afterAll(() => pools.close());

  const recordsOf = (modelKey: string) => records.filter((record) => record.modelKey === modelKey);
  /** A process is up and idle (a killed one is replaced first), so the next calls run at once instead of timing out in the queue. */
  const processReady = () => pools.predict({ tenantId: 't-fail', tier: 'shared', modelKey: 'linear:1', load: async () => linear, inputs: rowsInput([[1, 2]]) });

  it('a run stopped at its time limit records the time it ran (the time limit)', async () => {
    await processReady();
    const error = await predictError(pools, { tenantId: 't-fail', tier: 'shared', modelKey: 'slow:1', load: async () => slow, inputs: rowsInput([[1, 2]]), timeoutMs: 400, batching: false });
    expect(error.extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'RUNNING' });
    const [record] = recordsOf('slow:1');
    expect(record).toMatchObject({ ok: false, errorCode: 'INFERENCE_TIMEOUT' });
    // The process ran the model from when it got the call until it was killed: at least the limit.
    expect(record!.computeMs).toBeGreaterThanOrEqual(400);
    expect(record!.computeMs).toBeLessThan(400 + 10_000);
  });

  it('a merged run stopped at its time limit is shared among its calls by rows, adding up to the run', async () => {
    const call = (rows: number[][]) => predictError(pools, { tenantId: 't-fail', tier: 'shared', modelKey: 'slow:2', load: async () => slow, inputs: rowsInput(rows), timeoutMs: 400 });
    await processReady();
    const errors = await Promise.all([call([[1, 2]]), call([[1, 2], [3, 4], [5, 6]])]);
    expect(errors.map((error) => [error.code, error.extensions['phase']])).toEqual([
      ['INFERENCE_TIMEOUT', 'RUNNING'],
      ['INFERENCE_TIMEOUT', 'RUNNING'],
    ]);
    const merged = recordsOf('slow:2');
    expect(merged).toHaveLength(2);
    const [one, three] = merged.sort((a, b) => a.computeMs - b.computeMs);
    expect(one!.computeMs + three!.computeMs).toBeGreaterThanOrEqual(400);
    expect(three!.computeMs / one!.computeMs).toBeCloseTo(3, 5);
  });

  it('a run the runtime fails, and an answer over the output limit, record their run time', async () => {
    await processReady();
    const runtime = await predictError(pools, { tenantId: 't-fail', tier: 'shared', modelKey: 'failing:1', load: async () => failing, inputs: rowsInput([[1, 2]]), batching: false });
    expect(runtime.code).toBe('INFERENCE_FAILED');
    const tooLarge = await predictError(pools, { tenantId: 't-fail', tier: 'shared', modelKey: 'fan:1', load: async () => fanOut, inputs: rowsInput([[1], [2], [3]]), batching: false });
    expect(tooLarge.extensions['reason']).toBe('OUTPUT_TOO_LARGE');
    for (const key of ['failing:1', 'fan:1']) {
      const [record] = recordsOf(key);
      expect(record).toMatchObject({ ok: false });
      expect(record!.computeMs).toBeGreaterThan(0);
    }
  });

  it('nothing is recorded as compute for a call that never reached a process', async () => {
    const error = await predictError(pools, {
      tenantId: 't-fail',
      tier: 'shared',
      modelKey: 'unloadable:1',
      load: async () => {
        throw new Error('storage down');
      },
      inputs: rowsInput([[1, 2]]),
    });
    expect(error.code).not.toBe('INFERENCE_TIMEOUT');
    expect(recordsOf('unloadable:1')).toEqual([expect.objectContaining({ ok: false, computeMs: 0 })]);
  });
});
