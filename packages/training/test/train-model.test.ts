/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import * as ort from 'onnxruntime-node';
import { exportOnnx, loadTrainingData, predictRow, resolveHyperParameters, trainModel, HyperParameterError, TrainingCancelled, TrainingDataError, TrainingDiverged } from '../src';
import { seededRandom } from '../src/random';

function syntheticRows(count: number, f: (x1: number, x2: number, noise: number) => number, seed = 7): Array<Record<string, string>> {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const x1 = random() * 10 - 5;
    const x2 = random() * 100;
    return { x1: x1.toFixed(4), x2: x2.toFixed(3), y: String(f(x1, x2, (random() - 0.5) * 0.02)) };
  });
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('training', () => {
  it('linear regression recovers known coefficients and the ONNX export predicts the same', async () => {
    const rows = syntheticRows(800, (x1, x2, noise) => 3 * x1 - 0.5 * x2 + 7 + noise);
    const data = await loadTrainingData(iterate(rows), { featureColumns: ['x1', 'x2'], targetColumn: 'y', maxRows: 10_000 });
    const losses: number[] = [];
    const model = await trainModel('LINEAR_REGRESSION', data, resolveHyperParameters('LINEAR_REGRESSION', { epochs: 60 }), { onEpoch: (r) => void losses.push(r.loss) });
    if (model.kind !== 'LINEAR_REGRESSION') throw new Error('wrong kind');
    expect(model.weights[0]).toBeCloseTo(3, 1);
    expect(model.weights[1]).toBeCloseTo(-0.5, 2);
    expect(model.bias).toBeCloseTo(7, 1);
    expect(losses).toHaveLength(60);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);

    const session = await ort.InferenceSession.create(exportOnnx(model));
    const output = await session.run({ input: new ort.Tensor('float32', Float32Array.from([1, 10, -2, 50]), [2, 2]) });
    const predictions = Array.from(output['output']!.data as Float32Array);
    expect(predictions[0]).toBeCloseTo(predictRow(model, [1, 10]), 3);
    expect(predictions[1]).toBeCloseTo(3 * -2 - 25 + 7, 0);
  });

  it('logistic regression separates a linearly separable class and refuses a non-binary target', async () => {
    const rows = syntheticRows(600, (x1) => (x1 > 0.5 ? 1 : 0));
    const data = await loadTrainingData(iterate(rows), { featureColumns: ['x1'], targetColumn: 'y', maxRows: 10_000 });
    const model = await trainModel('LOGISTIC_REGRESSION', data, resolveHyperParameters('LOGISTIC_REGRESSION', { epochs: 40, learningRate: 0.5 }));
    expect(predictRow(model, [3])).toBeGreaterThan(0.9);
    expect(predictRow(model, [-2])).toBeLessThan(0.1);
    const bad = await loadTrainingData(iterate(syntheticRows(10, (x1) => x1)), { featureColumns: ['x1'], targetColumn: 'y', maxRows: 100 });
    await expect(trainModel('LOGISTIC_REGRESSION', bad, resolveHyperParameters('LOGISTIC_REGRESSION', {}))).rejects.toThrow(TrainingDataError);
  });

  it('an MLP fits a non-linear function better than its first epoch, and exports to an equivalent ONNX graph', async () => {
    const rows = syntheticRows(500, (x1) => x1 * x1);
    const data = await loadTrainingData(iterate(rows), { featureColumns: ['x1'], targetColumn: 'y', maxRows: 10_000 });
    const losses: number[] = [];
    const model = await trainModel('MLP', data, resolveHyperParameters('MLP', { epochs: 80, hiddenUnits: [16], learningRate: 0.05 }), { onEpoch: (r) => void losses.push(r.loss) });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 4);
    const session = await ort.InferenceSession.create(exportOnnx(model));
    const output = await session.run({ input: new ort.Tensor('float32', Float32Array.from([2]), [1, 1]) });
    expect((output['output']!.data as Float32Array)[0]).toBeCloseTo(predictRow(model, [2]), 3);
    expect(predictRow(model, [2])).toBeGreaterThan(2.5);
    expect(predictRow(model, [2])).toBeLessThan(5.5);
  });

  it('stops between epochs when asked', async () => {
    const data = await loadTrainingData(iterate(syntheticRows(50, (x1) => x1)), { featureColumns: ['x1'], targetColumn: 'y', maxRows: 100 });
    let epochs = 0;
    await expect(
      trainModel('LINEAR_REGRESSION', data, resolveHyperParameters('LINEAR_REGRESSION', { epochs: 100 }), { onEpoch: () => void epochs++, shouldStop: () => epochs >= 3 }),
    ).rejects.toThrow(TrainingCancelled);
    expect(epochs).toBe(3);
  });

  describe('a learning rate too high for the data (10, within bounds, on 15 iris rows)', () => {
    const iris = [[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [4.7, 3.2, 1.3, 0.2], [4.6, 3.1, 1.5, 0.2], [5.0, 3.6, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.4, 3.2, 4.5, 1.5], [6.9, 3.1, 4.9, 1.5],
      [5.5, 2.3, 4.0, 1.3], [6.5, 2.8, 4.6, 1.5], [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9], [7.1, 3.0, 5.9, 2.1], [6.3, 2.9, 5.6, 1.8], [6.5, 3.0, 5.8, 2.2]];
    const irisData = () => loadTrainingData(iterate(iris.map(([a, b, c, y]) => ({ a: String(a), b: String(b), c: String(c), y: String(y) }))), { featureColumns: ['a', 'b', 'c'], targetColumn: 'y', maxRows: 100 });

    it.each([
      ['LINEAR_REGRESSION', 200],
      ['MLP', 200],
    ] as const)('%s over %i epochs stops with TrainingDiverged at the first non-finite loss, which is never reported', async (modelType, epochs) => {
      const losses: number[] = [];
      const training = trainModel(modelType, await irisData(), resolveHyperParameters(modelType, { epochs, learningRate: 10 }), { onEpoch: (r) => void losses.push(r.loss) });
      await expect(training).rejects.toThrow(TrainingDiverged);
      await expect(training).rejects.toThrow(/Lower hyperParameters.learningRate \(it was 10\)/);
      expect(losses.length).toBeGreaterThan(0);
      expect(losses.length).toBeLessThan(epochs);
      expect(losses.every((loss) => Number.isFinite(loss))).toBe(true);
    });

    it('weights still finite as float64 but beyond float32 (what the ONNX graph holds) are refused too', async () => {
      const losses: number[] = [];
      const training = trainModel('LINEAR_REGRESSION', await irisData(), resolveHyperParameters('LINEAR_REGRESSION', { epochs: 100, learningRate: 10 }), { onEpoch: (r) => void losses.push(r.loss) });
      await expect(training).rejects.toMatchObject({ name: 'TrainingDiverged', epoch: null });
      expect(losses).toHaveLength(100);
      expect(losses.every((loss) => Number.isFinite(loss))).toBe(true);
    });
  });

  it.each([
    [{ epochs: 0 }, 'hyperParameters.epochs'],
    [{ epochs: 1.5 }, 'hyperParameters.epochs'],
    [{ learningRate: -1 }, 'hyperParameters.learningRate'],
    [{ batchSize: 10_000_000 }, 'hyperParameters.batchSize'],
    [{ hiddenUnits: [] }, 'hyperParameters.hiddenUnits'],
    [{ hiddenUnits: [8, 1000] }, 'hyperParameters.hiddenUnits[1]'],
  ])('refuses hyper-parameters %j naming %s', (given, field) => {
    try {
      resolveHyperParameters('MLP', given);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(HyperParameterError);
      expect((error as HyperParameterError).field).toBe(field);
    }
  });

  // Training runs on the worker's one thread beside other tenants' runs: it hands the loop back
  // within a batch and within the epoch's loss pass too. It yielded only between batches, so one
  // batch of the largest network (batchSize up to 65 536) or the loss pass over all rows held the
  // thread for seconds to minutes: lock renewals, progress, cancels and the other slot's run stalled.
  it('hands the event loop back (and so looks for a stop) within one big batch and within the loss pass', async () => {
    const rows = syntheticRows(400, (x1, x2, noise) => x1 - 0.01 * x2 + noise);
    const data = await loadTrainingData(iterate(rows), { featureColumns: ['x1', 'x2'], targetColumn: 'y', maxRows: 10_000 });
    // One epoch of one batch: before, the only looks were at the epoch's start and after the batch.
    const hp = resolveHyperParameters('MLP', { epochs: 1, batchSize: 65_536, hiddenUnits: [256, 256], learningRate: 1e-4 });
    let polls = 0;
    const started = performance.now();
    await expect(trainModel('MLP', data, hp, { shouldStop: () => ++polls > 3 })).rejects.toThrow(TrainingCancelled);
    expect(polls).toBe(4);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it.each([[[]], [[4, 4, 4, 4, 4]]])('refuses %j hidden layers saying how many layers it takes (it said "must be an integer between 1 and 4" of a list)', (hiddenUnits) => {
    expect(() => resolveHyperParameters('MLP', { hiddenUnits })).toThrow('hyperParameters.hiddenUnits must list between 1 and 4 hidden layers');
  });

  it.each([
    [{ hiddenUnits: [8] }, 'hyperParameters.hiddenUnits'],
    [{ activation: 'tanh' as const }, 'hyperParameters.activation'],
  ])('refuses the MLP-only %j for a linear model, naming %s (it would be ignored)', (given, field) => {
    for (const modelType of ['LINEAR_REGRESSION', 'LOGISTIC_REGRESSION'] as const) {
      expect(() => resolveHyperParameters(modelType, given)).toThrow(expect.objectContaining({ field }));
    }
    expect(() => resolveHyperParameters('MLP', given)).not.toThrow();
  });

  it('skips rows with empty cells and fails on a dataset with no usable row', async () => {
    const data = await loadTrainingData(iterate([{ a: '1', y: '2' }, { a: '', y: '3' }, { a: '2', y: '' }, { a: '3', y: '4' }]), { featureColumns: ['a'], targetColumn: 'y', maxRows: 10 });
    expect(data.rows).toBe(2);
    expect(data.skippedRows).toBe(2);
    await expect(loadTrainingData(iterate([{ a: '', y: '1' }]), { featureColumns: ['a'], targetColumn: 'y', maxRows: 10 })).rejects.toThrow(TrainingDataError);
  });
});
