import { buildFailingModel, buildSlowModel, onnxFixtures } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import {
  auditTrail,
  linearByHand,
  linearModel,
  logisticByHand,
  logisticModel,
  mlpByHand,
  mlpModel,
  newModel,
  predict,
  rowsInput,
  setAlias,
  uploadVersion,
} from './model-flow';

const rows3 = [
  [1, 2, 3],
  [-0.5, 0.25, 4],
  [0, 0, 0],
  [10, -3, 0.125],
];
const updateServing = `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`;

describe('models: predict', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let scientist: string;
  let viewer: string;
  let linearId: string;
  let logisticId: string;
  let mlpId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    // Polls and drives volume on purpose: a minute's burst, so the gateway's burst limit (tested in
    // gateway/test/rate-limit.test.ts) does not pace this test.
    acme = await stack.createTenant({ limits: { costBurst: 60_000 } });
    [scientist, viewer] = await Promise.all([acme.token('data_scientist'), acme.token('viewer')]);
    linearId = await newModel(stack, scientist, 'linear');
    await uploadVersion(stack, scientist, linearId, linearModel());
    logisticId = await newModel(stack, scientist, 'logistic');
    await uploadVersion(stack, scientist, logisticId, logisticModel());
    mlpId = await newModel(stack, scientist, 'mlp');
    await uploadVersion(stack, scientist, mlpId, mlpModel());
  });
  afterAll(() => stack?.stop());

  it('linear regression: outputs match w·x + b computed by hand, with shapes (a viewer may predict)', async () => {
    const res = expectNoErrors(await predict(stack, viewer, { modelId: linearId, version: 1, inputs: [rowsInput(rows3)] }));
    const [output] = res.predict.outputs;
    expect(output).toMatchObject({ name: 'output', elementType: 'float32', shape: [4, 1] });
    rows3.forEach((row, i) => expect(output!.data[i]).toBeCloseTo(linearByHand(row), 5));
    expect(res.predict.modelVersion.number).toBe(1);
  });

  it('logistic regression: sigmoid probabilities match by hand; addressed by model name', async () => {
    const rows = [
      [0, 0],
      [2, 1],
      [-3, 4],
    ];
    const res = expectNoErrors(await predict(stack, viewer, { modelName: 'LOGISTIC', version: 1, inputs: [rowsInput(rows)] }));
    const [output] = res.predict.outputs;
    expect(output!.shape).toEqual([3, 1]);
    rows.forEach((row, i) => {
      expect(output!.data[i]).toBeCloseTo(logisticByHand(row), 5);
      expect(output!.data[i]).toBeGreaterThan(0);
      expect(output!.data[i]).toBeLessThan(1);
    });
  });

  it('MLP (3 → 4 relu → 2): outputs match a forward pass computed by hand', async () => {
    const res = expectNoErrors(await predict(stack, viewer, { modelId: mlpId, version: 1, inputs: [rowsInput(rows3)] }));
    const [output] = res.predict.outputs;
    expect(output!.shape).toEqual([4, 2]);
    rows3.forEach((row, i) => {
      const expected = mlpByHand(row);
      expect(output!.data[2 * i]).toBeCloseTo(expected[0]!, 5);
      expect(output!.data[2 * i + 1]).toBeCloseTo(expected[1]!, 5);
    });
  });

  it('concurrent callers each get their own rows back, with batching on and off (off → batchSize 1)', async () => {
    for (const batching of [true, false]) {
      expectNoErrors(await stack.query(scientist, updateServing, { id: mlpId, input: { batching, maxDelayMs: 20 } }));
      const calls = Array.from({ length: 12 }, (_, i) => [[i, i / 2, -i]]);
      const results = await Promise.all(calls.map((rows) => predict(stack, viewer, { modelId: mlpId, version: 1, inputs: [rowsInput(rows)] })));
      results.forEach((res, i) => {
        const data = expectNoErrors(res).predict;
        const expected = mlpByHand(calls[i]![0]!);
        expect(data.outputs[0]!.shape).toEqual([1, 2]);
        expect(data.outputs[0]!.data[0]).toBeCloseTo(expected[0]!, 5);
        expect(data.outputs[0]!.data[1]).toBeCloseTo(expected[1]!, 5);
        if (!batching) expect(data.batchSize).toBe(1);
      });
    }
  });

  it('predict by alias follows promote and rollback; calls during alias moves all succeed on one of the two versions', async () => {
    const modelId = await newModel(stack, scientist, 'promoted');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    const v2 = await uploadVersion(stack, scientist, modelId, mlpModel());
    const move = (version: number) => stack.query(scientist, setAlias, { input: { modelId, alias: 'production', version } });
    const byAlias = () => predict(stack, viewer, { modelId, alias: 'production', inputs: [rowsInput([[1, 2, 3]])] });
    expectNoErrors(await move(1));
    expect(expectNoErrors(await byAlias()).predict.modelVersion).toEqual({ id: v1.id, number: 1 });
    expectNoErrors(await move(2));
    const promoted = expectNoErrors(await byAlias()).predict;
    expect(promoted.modelVersion).toEqual({ id: v2.id, number: 2 });
    expect(promoted.outputs[0]!.data[0]).toBeCloseTo(mlpByHand([1, 2, 3])[0]!, 5);
    expectNoErrors(await move(1));
    const rolledBack = expectNoErrors(await byAlias()).predict;
    expect(rolledBack.modelVersion.number).toBe(1);
    expect(rolledBack.outputs[0]!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);

    // Zero downtime: 60 calls by alias while the alias flips back and forth.
    const calls = Array.from({ length: 60 }, () => byAlias());
    // The moves one after another (concurrent moves may commit in any order), the calls meanwhile.
    const moves = (async () => {
      const answers = [];
      for (const version of [2, 1, 2, 1, 2]) answers.push(await move(version));
      return answers;
    })();
    const [results, moved] = await Promise.all([Promise.all(calls), moves]);
    moved.forEach((res) => expectNoErrors(res));
    for (const res of results) {
      const data = expectNoErrors(res).predict;
      if (data.modelVersion.number === 1) expect(data.outputs[0]!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
      else {
        expect(data.modelVersion.number).toBe(2);
        expect(data.outputs[0]!.data[0]).toBeCloseTo(mlpByHand([1, 2, 3])[0]!, 5);
      }
    }
    expect(expectNoErrors(await byAlias()).predict.modelVersion.number).toBe(2);
  });

  it('a model that runs forever times out (INFERENCE_TIMEOUT) and another tenant keeps predicting meanwhile', async () => {
    const other = await stack.createTenant();
    const otherToken = await other.token('data_scientist');
    const otherModel = await newModel(stack, otherToken, 'healthy');
    await uploadVersion(stack, otherToken, otherModel, linearModel());

    const slowId = await newModel(stack, scientist, 'slow');
    await uploadVersion(stack, scientist, slowId, buildSlowModel({ features: 3 }));
    expectNoErrors(await stack.query(scientist, updateServing, { id: slowId, input: { timeoutMs: 1500, batching: false } }));
    const slow = predict(stack, viewer, { modelId: slowId, version: 1, inputs: [rowsInput([[1, 2, 3]])] });
    const healthy = await Promise.all(Array.from({ length: 5 }, () => predict(stack, otherToken, { modelId: otherModel, version: 1, inputs: [rowsInput([[1, 2, 3]])] })));
    healthy.forEach((res) => expect(expectNoErrors(res).predict.outputs[0]!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5));
    expect(errorCodes(await slow)).toEqual(['INFERENCE_TIMEOUT']);
    // The tenant's own pool recovers for its other models.
    expect(expectNoErrors(await predict(stack, viewer, { modelId: linearId, version: 1, inputs: [rowsInput([[1, 2, 3]])] })).predict.outputs[0]!.data[0]).toBeCloseTo(linearByHand([1, 2, 3]), 5);
  });

  it('a model that throws inside the runtime is INFERENCE_FAILED, and the pool keeps serving', async () => {
    const failingId = await newModel(stack, scientist, 'failing');
    await uploadVersion(stack, scientist, failingId, buildFailingModel({ features: 3 }));
    expect(errorCodes(await predict(stack, viewer, { modelId: failingId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }))).toEqual(['INFERENCE_FAILED']);
    // The predict route answers it with its own status, never a 500: the model failed, not the service.
    const route = await fetch(`${stack.gatewayUrl}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ modelId: failingId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }),
    });
    expect(route.status).toBe(422);
    expect(((await route.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('INFERENCE_FAILED');
    expectNoErrors(await predict(stack, viewer, { modelId: linearId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
  });

  it('an answer over 262 144 values (a tiny model broadcasting its input) is PAYLOAD_TOO_LARGE before it leaves the inference process; one within it is served', async () => {
    const fanOutId = await newModel(stack, scientist, 'fan-out');
    await uploadVersion(stack, scientist, fanOutId, onnxFixtures.buildFanOutModel(1_024));
    const call = (rows: number) => stack.query<{ predict: { outputs: Array<{ shape: number[] }> } }>(viewer, `query($input: PredictInput!) { predict(input: $input) { outputs { shape } } }`, {
      input: { modelId: fanOutId, version: 1, inputs: [{ name: 'input', shape: [rows, 1], data: Array<number>(rows).fill(1) }] },
    });
    expect(expectNoErrors(await call(256)).predict.outputs[0]!.shape).toEqual([256, 1_024]);
    const refused = await call(257);
    expect(errorCodes(refused)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ reason: 'OUTPUT_TOO_LARGE', maxOutputValues: 262_144, outputValues: 263_168 });
    // The caller's own later calls, and other models, are served as before.
    expect(expectNoErrors(await call(1)).predict.outputs[0]!.shape).toEqual([1, 1_024]);
  });

  it('a version the runtime cannot load is MODEL_NOT_LOADABLE with what the runtime found and none of its source paths; the pool keeps serving', async () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['mismatched', onnxFixtures.buildBrokenGraphModel('incompatible-matmul'), /Incompatible dimensions for matrix multiplication/],
      ['short-weights', onnxFixtures.buildShortInitializerModel(), /Initializer 'bias': data field count \(1\) does not match expected count from shape \(2\)/],
    ];
    for (const [name, onnx, said] of cases) {
      const modelId = await newModel(stack, scientist, name);
      await uploadVersion(stack, scientist, modelId, onnx);
      for (let call = 0; call < 2; call += 1) {
        const res = await predict(stack, viewer, { modelId, version: 1, inputs: [rowsInput([[1, 2]])] });
        expect(errorCodes(res)).toEqual(['MODEL_NOT_LOADABLE']);
        expect(res.errors?.[0]?.extensions?.['reason']).toBe('LOAD_FAILED');
        expect(res.errors?.[0]?.message).toMatch(said);
        expect(res.errors?.[0]?.message).not.toMatch(/onnxruntime_src|\.(cc|h):\d+|onnxruntime::|std::/);
      }
    }
    expectNoErrors(await predict(stack, viewer, { modelId: linearId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
  });

  it('records latency, batch size, rows and errors per version per minute, served by the metrics subgraph, with one aggregated audit event per minute and caller', async () => {
    const modelId = await newModel(stack, scientist, 'metered');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    expectNoErrors(await stack.query(scientist, updateServing, { id: modelId, input: { batching: false } }));
    for (let i = 0; i < 5; i += 1) expectNoErrors(await predict(stack, viewer, { modelId, version: 1, inputs: [rowsInput([[1, 2, 3], [4, 5, 6]])] }));
    for (let i = 0; i < 2; i += 1) expectNoErrors(await predict(stack, scientist, { modelId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
    await stack.platform.modelServing.stats.flush({ closeAll: true });

    const stats = expectNoErrors(
      await stack.query<{ inferenceStats: { calls: number; rows: number; errors: number; maxBatchSize: number; meanLatencyMs: number; minutes: Array<{ minute: string; modelVersionId: string; versionNumber: number; calls: number; latencyLe500ms: number }> } }>(
        viewer,
        `query($id: ID!) { inferenceStats(modelId: $id) { calls rows errors maxBatchSize meanLatencyMs minutes { minute modelVersionId versionNumber calls latencyLe500ms } } }`,
        { id: modelId },
      ),
    ).inferenceStats;
    expect(stats).toMatchObject({ calls: 7, rows: 12, errors: 0, maxBatchSize: 1 });
    expect(stats.meanLatencyMs).toBeGreaterThan(0);
    expect(stats.minutes.every((m) => m.modelVersionId === v1.id && m.versionNumber === 1)).toBe(true);
    const minutes = new Set(stats.minutes.map((m) => m.minute));

    const events = (await auditTrail(stack, acme)).filter((e) => e.action === 'model.predict' && e.targetId === v1.id);
    expect(events.reduce((n, e) => n + Number(e.details['calls']), 0)).toBe(7);
    expect(events.reduce((n, e) => n + Number(e.details['rows']), 0)).toBe(12);
    // One event per caller per minute in which it called: 2 callers, each within the stats' minutes.
    const perCaller = new Map<string, number>();
    for (const e of events) perCaller.set(e.actorSubject, (perCaller.get(e.actorSubject) ?? 0) + 1);
    expect(perCaller.size).toBe(2);
    for (const count of perCaller.values()) expect(count).toBeLessThanOrEqual(minutes.size);

    // Errors are counted too.
    const failingId = await newModel(stack, scientist, 'metered-failing');
    await uploadVersion(stack, scientist, failingId, buildFailingModel({ features: 3 }));
    expect(errorCodes(await predict(stack, viewer, { modelId: failingId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }))).toEqual(['INFERENCE_FAILED']);
    await stack.platform.modelServing.stats.flush({ closeAll: true });
    const failing = expectNoErrors(await stack.query<{ inferenceStats: { calls: number; errors: number } }>(viewer, `query($id: ID!) { inferenceStats(modelId: $id) { calls errors } }`, { id: failingId }));
    expect(failing.inferenceStats).toEqual({ calls: 1, errors: 1 });
  });

  it('inferenceStats refuses bad ranges and unknown models', async () => {
    const q = `query($id: ID!, $from: DateTime, $to: DateTime) { inferenceStats(modelId: $id, from: $from, to: $to) { calls } }`;
    expect(errorCodes(await stack.query(viewer, q, { id: linearId, from: 'yesterday' }))).toEqual(['BAD_USER_INPUT']);
    // As strict as every other DateTime argument: no time zone, date only, trailing text, year 275760.
    for (const from of ['2026-12-06T07:00:00', '2026-12-06', '2026-12-06T07:00:00Z\u0000garbage', '+275760-01-01T00:00:00Z']) {
      expect({ from, codes: errorCodes(await stack.query(viewer, q, { id: linearId, from })) }).toEqual({ from, codes: ['BAD_USER_INPUT'] });
    }
    expect(errorCodes(await stack.query(viewer, q, { id: linearId, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(viewer, q, { id: linearId, from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(viewer, q, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(viewer, q, { id: 'nope' }))).toEqual(['BAD_USER_INPUT']);
  });
});
