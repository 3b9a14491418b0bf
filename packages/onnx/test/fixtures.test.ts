/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import * as ort from 'onnxruntime-node';
import { buildFailingModel, buildSlowModel, inspectOnnxModel, onnxFixtures } from '../src';
import { createSession, expectClose, runFloatModel } from './run-model';

describe('test fixture models', () => {
  it('buildFailingModel passes validation and loads, then throws inside session.run for any batch', async () => {
    const model = buildFailingModel();
    const info = inspectOnnxModel(model);
    expect(info.inputs).toEqual([{ name: 'input', elementType: 'float32', shape: ['batch', 4], shapeKnown: true }]);
    expect(info.outputs).toEqual([{ name: 'output', elementType: 'float32', shape: ['batch', 1], shapeKnown: true }]);
    const session = await createSession(model);
    try {
      for (const rows of [1, 3, 50]) {
        const input = new ort.Tensor('float32', new Float32Array(rows * 4).fill(0.5), [rows, 4]);
        await expect(session.run({ input })).rejects.toThrow(/Gather.*out of data bounds/s);
      }
    } finally {
      await session.release();
    }
  });

  it('buildSlowModel passes validation and loads with the declared signature (never run here: it does not return)', async () => {
    const model = buildSlowModel();
    const info = inspectOnnxModel(model);
    expect(info.operators).toEqual(['Identity', 'Loop', 'Tanh']);
    expect(info.inputs).toEqual([{ name: 'input', elementType: 'float32', shape: ['batch', 4], shapeKnown: true }]);
    expect(info.outputs).toEqual([{ name: 'output', elementType: 'float32', shape: ['batch', 4], shapeKnown: true }]);
    const session = await createSession(model);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    await session.release();
  });

  it('buildSlowModel with a tiny trip count computes tanh applied N times (the loop really iterates)', async () => {
    const rows = [[0.5, -1, 2, 0]];
    let expected = rows[0]!;
    for (let i = 0; i < 3; i++) expected = expected.map(Math.tanh);
    const { values } = await runFloatModel(buildSlowModel({ iterations: 3 }), rows);
    expectClose(values, [expected]);
  });

  it('an If model with a subgraph runs (then-branch adds 1)', async () => {
    const { values } = await runFloatModel(onnxFixtures.buildValidIfModel(), [[1, 2]]);
    expectClose(values, [[2, 3]]);
  });

  it('an ai.onnx.ml LinearRegressor model runs and matches x·c + intercept', async () => {
    const { values } = await runFloatModel(onnxFixtures.buildMlLinearRegressor([1.5, -2], 0.25), [[2, 1], [0, 0]]);
    expectClose(values, [[1.25], [0.25]]);
  });
});
