/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import { buildLinearRegression, buildLogisticRegression, buildMemoryHungryModel, buildMlp, inspectOnnxModel, type MlpLayer } from '../src';
import { createSession, expectClose, runFloatModel, sigmoid } from './run-model';

describe('buildLinearRegression', () => {
  const weights = [0.5, -2, 3.25];
  const bias = 1.5;
  const dot = (row: number[]): number => row.reduce((sum, x, i) => sum + x * weights[i]!, bias);

  it('predicts x·w + b for every row of a batch', async () => {
    const rows = [
      [1, 2, 3],
      [0, 0, 0],
      [-4, 0.5, 10],
      [2, 2, -1],
    ];
    const { dims, values } = await runFloatModel(buildLinearRegression({ weights, bias }), rows);
    expect(dims).toEqual([4, 1]);
    // Hand-computed: 0.5 - 4 + 9.75 + 1.5 = 7.75; 1.5; -2 - 1 + 32.5 + 1.5 = 31; 1 - 4 - 3.25 + 1.5 = -4.75
    expectClose(values, [[7.75], [1.5], [31], [-4.75]]);
    expectClose(values, rows.map((row) => [dot(row)]));
  });

  it('accepts any batch size (symbolic batch dimension), including a single row and 1000 rows', async () => {
    const model = buildLinearRegression({ weights, bias });
    const one = await runFloatModel(model, [[1, 1, 1]]);
    expectClose(one.values, [[0.5 - 2 + 3.25 + 1.5]]);
    const many = Array.from({ length: 1000 }, (_, i) => [i / 10, (i % 7) - 3, Math.sin(i)]);
    const result = await runFloatModel(model, many);
    expect(result.dims).toEqual([1000, 1]);
    expectClose(result.values, many.map((row) => [dot(row)]));
  });

  it('uses the given input and output names', async () => {
    const model = buildLinearRegression({ weights: [2], bias: 0, inputName: 'features', outputName: 'price' });
    const { values } = await runFloatModel(model, [[21]], { input: 'features', output: 'price' });
    expectClose(values, [[42]]);
    const info = inspectOnnxModel(model);
    expect(info.inputs.map((i) => i.name)).toEqual(['features']);
    expect(info.outputs.map((o) => o.name)).toEqual(['price']);
  });

  it('refuses specs that cannot make a model', () => {
    expect(() => buildLinearRegression({ weights: [], bias: 0 })).toThrow(RangeError);
    expect(() => buildLinearRegression({ weights: [Number.NaN], bias: 0 })).toThrow(/finite/);
    expect(() => buildLinearRegression({ weights: [1], bias: 0, inputName: 'x', outputName: 'x' })).toThrow(/differ/);
  });
});

describe('buildLogisticRegression', () => {
  it('predicts sigmoid(x·w + b) probabilities', async () => {
    const rows = [
      [0, 0],
      [1, 1],
      [-3, 2],
      [10, -10],
    ];
    const { dims, values } = await runFloatModel(buildLogisticRegression({ weights: [0.8, -0.4], bias: -0.1 }), rows);
    expect(dims).toEqual([4, 1]);
    // Logits by hand: -0.1; 0.8 - 0.4 - 0.1 = 0.3; -2.4 - 0.8 - 0.1 = -3.3; 8 + 4 - 0.1 = 11.9
    expectClose(values, [[sigmoid(-0.1)], [sigmoid(0.3)], [sigmoid(-3.3)], [sigmoid(11.9)]]);
    expect(values[0]![0]).toBeCloseTo(0.47502081, 5);
    values.forEach(([p]) => {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    });
  });
});

describe('buildMlp', () => {
  // 3 inputs -> 4 hidden (relu) -> 2 outputs (none); weights are [in][out].
  const layers: MlpLayer[] = [
    {
      weights: [
        [0.2, -0.5, 1.0, 0.0],
        [0.7, 0.1, -0.3, 0.4],
        [-1.2, 0.6, 0.5, 0.9],
      ],
      bias: [0.1, -0.2, 0.0, 0.3],
      activation: 'relu',
    },
    {
      weights: [
        [1.0, -1.0],
        [0.5, 0.25],
        [-0.75, 2.0],
        [0.3, 0.3],
      ],
      bias: [0.05, -0.05],
      activation: 'none',
    },
  ];

  /** Independent forward pass in float64, written out loop by loop. */
  function forward(specLayers: MlpLayer[], row: number[]): number[] {
    let h = row;
    for (const layer of specLayers) {
      const out: number[] = [];
      for (let j = 0; j < layer.bias.length; j++) {
        let z = layer.bias[j]!;
        for (let i = 0; i < h.length; i++) z += h[i]! * layer.weights[i]![j]!;
        out.push(activate(layer.activation, z));
      }
      h = out;
    }
    return h;
  }
  const activate = (activation: MlpLayer['activation'], z: number): number =>
    activation === 'relu' ? Math.max(0, z) : activation === 'tanh' ? Math.tanh(z) : activation === 'sigmoid' ? sigmoid(z) : z;

  it('matches a two-layer forward pass computed by hand', async () => {
    // Row [1, 2, 3] by hand: hidden pre-activations
    //   0.2 + 1.4 - 3.6 + 0.1 = -1.9 -> 0;  -0.5 + 0.2 + 1.8 - 0.2 = 1.3;  1.0 - 0.6 + 1.5 + 0 = 1.9;  0 + 0.8 + 2.7 + 0.3 = 3.8
    //   out0 = 0 + 1.3*0.5 - 1.9*0.75 + 3.8*0.3 + 0.05 = 0.65 - 1.425 + 1.14 + 0.05 = 0.415
    //   out1 = 0 + 1.3*0.25 + 1.9*2 + 3.8*0.3 - 0.05 = 0.325 + 3.8 + 1.14 - 0.05 = 5.215
    const { dims, values } = await runFloatModel(buildMlp({ layers }), [[1, 2, 3]]);
    expect(dims).toEqual([1, 2]);
    expectClose(values, [[0.415, 5.215]]);
  });

  it('matches the reference forward pass for a batch of rows', async () => {
    const rows = Array.from({ length: 64 }, (_, i) => [Math.cos(i), (i % 5) - 2, i / 32]);
    const { dims, values } = await runFloatModel(buildMlp({ layers }), rows);
    expect(dims).toEqual([64, 2]);
    expectClose(values, rows.map((row) => forward(layers, row)));
  });

  it('applies tanh and sigmoid activations, and a final activation on the output', async () => {
    const tanhSigmoid: MlpLayer[] = [
      { weights: [[1, -2], [0.5, 1]], bias: [0, 0.5], activation: 'tanh' },
      { weights: [[2], [-1]], bias: [0.25], activation: 'sigmoid' },
    ];
    const rows = [
      [0.3, -0.7],
      [2, 1],
    ];
    const { values } = await runFloatModel(buildMlp({ layers: tanhSigmoid }), rows);
    // Row [0.3, -0.7]: hidden = tanh(0.3 - 0.35) = tanh(-0.05), tanh(-0.6 - 0.7 + 0.5) = tanh(-0.8)
    const h = [Math.tanh(-0.05), Math.tanh(-0.8)];
    expect(values[0]![0]).toBeCloseTo(sigmoid(2 * h[0]! - h[1]! + 0.25), 5);
    expectClose(values, rows.map((row) => forward(tanhSigmoid, row)));
  });

  it('declares [batch, in] -> [batch, out] and loads with the declared names', async () => {
    const model = buildMlp({ layers });
    const info = inspectOnnxModel(model);
    expect(info.inputs).toEqual([{ name: 'input', elementType: 'float32', shape: ['batch', 3], shapeKnown: true }]);
    expect(info.outputs).toEqual([{ name: 'output', elementType: 'float32', shape: ['batch', 2], shapeKnown: true }]);
    expect(info.operators).toEqual(['Gemm', 'Relu']);
    const session = await createSession(model);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    await session.release();
  });

  it('refuses inconsistent layers', () => {
    const first = layers[0]!;
    expect(() => buildMlp({ layers: [] })).toThrow(/at least one layer/);
    expect(() => buildMlp({ layers: [{ ...first, bias: [1] }] })).toThrow(/bias must have 4 values/);
    expect(() => buildMlp({ layers: [first, first] })).toThrow(/expects 3 inputs but the previous layer has 4 units/);
    expect(() => buildMlp({ layers: [{ ...first, weights: [[1, 2], [3]] }] })).toThrow(/every weights row/);
  });
});

describe('buildMemoryHungryModel', () => {
  it('runs through its big intermediate tensor: tanh applied `iterations` times, [batch, F] in and out', async () => {
    const rows = [
      [0.1, -0.5, 1, 2],
      [0, 0.25, -1, 3],
    ];
    const { dims, values } = await runFloatModel(buildMemoryHungryModel({ features: 4, megabytesPerRow: 1, iterations: 2 }), rows);
    expect(dims).toEqual([2, 4]);
    const expected = rows.map((row) => row.map((x) => Math.tanh(Math.tanh(x))));
    values.forEach((row, r) => row.forEach((value, c) => expect(value).toBeCloseTo(expected[r]![c]!, 3)));
    const info = inspectOnnxModel(buildMemoryHungryModel({ features: 3 }));
    expect(info.inputs.map((i) => i.name)).toEqual(['input']);
    expect(info.outputs.map((o) => o.name)).toEqual(['output']);
  });

  it('refuses specs that cannot make a model', () => {
    expect(() => buildMemoryHungryModel({ megabytesPerRow: 0 })).toThrow(RangeError);
    expect(() => buildMemoryHungryModel({ iterations: 0 })).toThrow(RangeError);
    expect(() => buildMemoryHungryModel({ features: 0 })).toThrow(RangeError);
  });
});
