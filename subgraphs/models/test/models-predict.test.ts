import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import Redis from 'ioredis';
import { redisConnectionOptions } from '@tessera/config';
import { LiveQuotaKeys, minuteOf } from '@tessera/quotas';
import { internalContextHeader } from '@tessera/auth';
import { buildFailingModel, buildSlowModel, onnxFixtures } from '@tessera/onnx';
import { errorCodes, expectNoErrors, requestSubgraph, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
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
  type PredictOutput,
} from './model-flow';

const rows3 = [
  [1, 2, 3],
  [-0.5, 0.25, 4],
  [0, 0, 0],
  [10, -3, 0.125],
];
const updateServing = `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`;

/**
 * One stack for the predict query's tests and the predict route's (the route's were a file of their
 * own with the same stack options: one stack start less).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('models: predict', () => {
  let acme: TestTenant;
  let scientist: string;
  let viewer: string;
  let linearId: string;
  let logisticId: string;
  let mlpId: string;

  beforeAll(async () => {
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

interface RouteAnswer {
  status: number;
  headers: Headers;
  body: {
    data?: {
      outputs: Array<{ name: string; elementType: string; shape: number[]; dataBase64?: string; data?: Array<number | null> }>;
      modelVersion: { id: string; modelId: string; number: number };
      batchSize: number;
      latencyMs: number;
    };
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

const createServiceAccount = 'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }';
const createApiKey = 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }';

const rows = [
  [0.5, -1, 2],
  [1, 0, -0.25],
];
const float32Base64 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
const fromFloat32Base64 = (text: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(text, 'base64')).buffer));
/** The per-minute counters reset on the UTC minute: with fewer than `seconds` left, wait for the next one. */
async function minuteWithAtLeast(seconds: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1_000) await new Promise((resolve) => setTimeout(resolve, left + 250));
}
const mlpInput = (data: number[][] = rows) => ({ name: 'input', shape: [data.length, data[0]!.length], data: data.flat() });

/**
 * POST /v1/predict: `predict` without GraphQL. It answers what the query answers, refuses what the
 * query refuses with the same typed errors (and an HTTP status), and keeps every boundary the
 * query keeps: token, tenant, API-key scope, cost units, the models subgraph's signed context.
 */
describe('gateway: the predict route', () => {
  let a: TestTenant;
  let b: TestTenant;
  let aScientist: string;
  let aViewer: string;
  let aModel: string;
  let aVersion: { id: string; number: number };

  const post = async (token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<RouteAnswer> => {
    const response = await fetch(`${stack.gatewayUrl}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as RouteAnswer['body'] };
  };
  const codes = (answer: RouteAnswer) => (answer.body.errors ?? []).map((error) => String(error.extensions?.['code']));
  const refusedWith = (answer: RouteAnswer) => ({ status: answer.status, codes: codes(answer), data: answer.body.data ?? null });

  beforeAll(async () => {
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    [aScientist, aViewer] = await Promise.all([a.token('data_scientist'), a.token('viewer')]);
    aModel = await newModel(stack, aScientist, 'route-mlp');
    aVersion = await uploadVersion(stack, aScientist, aModel, mlpModel());
    expectNoErrors(await stack.query(aScientist, setAlias, { input: { modelId: aModel, alias: 'production', version: 1 } }));
  });

  it('answers what the predict query answers: by id and version or name and alias, lists or base64 in, base64 or numbers out; any role may call', async () => {
    const query = expectNoErrors(await predict(stack, aViewer, { modelId: aModel, version: 1, inputs: [mlpInput()] })).predict;
    const expected = rows.map(mlpByHand).flat();

    const byId = await post(aViewer, { modelId: aModel, version: 1, inputs: [mlpInput()] });
    expect(byId.status).toBe(200);
    expect(byId.headers.get('x-request-id')).toBeTruthy();
    const [output] = byId.body.data!.outputs;
    expect(byId.body.data).toMatchObject({ modelVersion: { id: aVersion.id, modelId: aModel, number: 1 }, batchSize: expect.any(Number), latencyMs: expect.any(Number) });
    expect(output).toMatchObject({ name: query.outputs[0]!.name, elementType: 'float32', shape: query.outputs[0]!.shape });
    expect(output!.data).toBeUndefined();
    const fromRoute = fromFloat32Base64(output!.dataBase64!);
    fromRoute.forEach((value, i) => expect(value).toBeCloseTo((query.outputs[0] as PredictOutput).data[i]!, 5));
    fromRoute.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));

    const byAlias = await post(aScientist, {
      modelName: 'route-mlp',
      alias: 'production',
      inputs: [{ name: 'input', shape: [2, 3], dataBase64: float32Base64(rows.flat()), elementType: 'float32' }],
      outputFormat: 'numbers',
    });
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.data!.modelVersion).toEqual({ id: aVersion.id, modelId: aModel, number: 1 });
    expect(byAlias.body.data!.outputs[0]!.dataBase64).toBeUndefined();
    byAlias.body.data!.outputs[0]!.data!.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));
  });

  it('refuses bad requests with the typed error and status GraphQL would give, and counts no prediction for them', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const model = await newModel(stack, scientist, 'strict');
    await uploadVersion(stack, scientist, model, mlpModel());
    const good = { modelId: model, version: 1, inputs: [mlpInput()] };
    const cases: Array<[string, unknown, Record<string, string>, number, string]> = [
      ['not JSON', '{"modelId":', {}, 400, 'BAD_REQUEST'],
      ['a JSON array', '[1, 2]', {}, 400, 'BAD_REQUEST'],
      ['a JSON string', '"predict"', {}, 400, 'BAD_REQUEST'],
      ['not declared as JSON', JSON.stringify(good), { 'content-type': 'text/plain' }, 400, 'BAD_REQUEST'],
      ['a compressed body', gzipSync(JSON.stringify(good)), { 'content-encoding': 'gzip' }, 400, 'BAD_REQUEST'],
      ['a plain body that claims a coding', JSON.stringify(good), { 'content-encoding': 'br' }, 400, 'BAD_REQUEST'],
      ['an unknown field', { ...good, tenantId: a.id }, {}, 400, 'BAD_USER_INPUT'],
      ['both id and name', { ...good, modelName: 'strict' }, {}, 400, 'BAD_USER_INPUT'],
      ['neither version nor alias', { modelId: model, inputs: [mlpInput()] }, {}, 400, 'BAD_USER_INPUT'],
      ['a version that is not an integer', { ...good, version: '1' }, {}, 400, 'BAD_USER_INPUT'],
      ['inputs that are not a list', { ...good, inputs: { name: 'input' } }, {}, 400, 'BAD_USER_INPUT'],
      ['a tensor without a name', { ...good, inputs: [{ shape: [2, 3], data: rows.flat() }] }, {}, 400, 'BAD_USER_INPUT'],
      ['data that are not numbers', { ...good, inputs: [{ name: 'input', shape: [1, 3], data: ['1', 2, 3] }] }, {}, 400, 'BAD_USER_INPUT'],
      ['a shape with a fraction', { ...good, inputs: [{ name: 'input', shape: [1.5, 3], data: [1, 2, 3] }] }, {}, 400, 'BAD_USER_INPUT'],
      ['the wrong shape', { ...good, inputs: [{ name: 'input', shape: [1, 4], data: [1, 2, 3, 4] }] }, {}, 400, 'BAD_USER_INPUT'],
      ['base64 that is not base64', { ...good, inputs: [{ name: 'input', shape: [1, 3], dataBase64: 'not base64!' }] }, {}, 400, 'BAD_USER_INPUT'],
      ['base64 of the wrong length', { ...good, inputs: [{ name: 'input', shape: [1, 3], dataBase64: float32Base64([1, 2]) }] }, {}, 400, 'BAD_USER_INPUT'],
      ['an unknown output format', { ...good, outputFormat: 'xml' }, {}, 400, 'BAD_USER_INPUT'],
      ['a model that does not exist', { ...good, modelId: randomUUID() }, {}, 404, 'NOT_FOUND'],
      ['a version that does not exist', { ...good, version: 9 }, {}, 404, 'NOT_FOUND'],
      ['a body over 1 MB', JSON.stringify({ ...good, padding: 'x'.repeat(1024 * 1024) }), {}, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const answer = await post(scientist, body, headers);
      expect({ what, ...refusedWith(answer) }).toEqual({ what, status, codes: [code], data: null });
    }
    // None of them ran or counted a prediction: the good call after them is the minute's first.
    await minuteWithAtLeast(5);
    expect((await post(scientist, good)).status).toBe(200);
    const usage = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; used: number }> } }>(scientist, '{ tenantUsage { quotas { name used } } }')).tenantUsage;
    expect(usage.quotas.find((quota) => quota.name === 'predictionsPerMinute')?.used).toBe(1);
  });

  it('a version the runtime cannot load is MODEL_NOT_LOADABLE, HTTP 422 (not a 500), without onnxruntime\'s source paths', async () => {
    const model = await newModel(stack, aScientist, 'route-unloadable');
    await uploadVersion(stack, aScientist, model, onnxFixtures.buildShortInitializerModel());
    const answer = await post(aViewer, { modelId: model, version: 1, inputs: [{ name: 'input', shape: [1, 2], data: [1, 2] }] });
    expect(refusedWith(answer)).toEqual({ status: 422, codes: ['MODEL_NOT_LOADABLE'], data: null });
    expect(answer.body.errors?.[0]?.message).toMatch(/Initializer 'bias': data field count/);
    expect(answer.body.errors?.[0]?.message).not.toMatch(/onnxruntime_src|\.(cc|h):\d+|onnxruntime::|std::/);
  });

  it('an auditor reads no predictions: FORBIDDEN, recorded in the tenant\'s audit trail as a denial of predict', async () => {
    const auditor = await a.token('auditor');
    expect(refusedWith(await post(auditor, { modelId: aModel, version: 1, inputs: [mlpInput()] }))).toEqual({ status: 403, codes: ['FORBIDDEN'], data: null });
    await stack.drainAudit(a.id);
    const denials = await stack.adminQuery<Array<{ target_id: string }>>(
      `SELECT target_id FROM \`${a.schema}\`.audit_events WHERE action = 'access.denied' AND actor_roles = 'auditor'`,
    );
    expect(denials.map((row) => row.target_id)).toEqual(['predict']);
  });

  it('other methods and unknown paths get typed JSON answers, never an HTML page', async () => {
    const get = await fetch(`${stack.gatewayUrl}/v1/predict`, { headers: { authorization: `Bearer ${aViewer}` } });
    expect({ status: get.status, allow: get.headers.get('allow'), codes: errorCodes((await get.json()) as { errors?: [] }) }).toEqual({ status: 405, allow: 'POST', codes: ['METHOD_NOT_ALLOWED'] });
    const unknown = await fetch(`${stack.gatewayUrl}/v1/predictions`, { method: 'POST', headers: { authorization: `Bearer ${aViewer}`, 'content-type': 'application/json' }, body: '{}' });
    expect({ status: unknown.status, type: unknown.headers.get('content-type'), codes: errorCodes((await unknown.json()) as { errors?: [] }) }).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      codes: ['NOT_FOUND'],
    });
  });

  it('counts in the tenant\'s request metrics as (predict route), its refusals as errors, and only in that tenant\'s', async () => {
    const counted = await stack.createTenant();
    const scientist = await counted.token('data_scientist');
    const model = await newModel(stack, scientist, 'counted');
    await uploadVersion(stack, scientist, model, mlpModel());
    const since = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < 2; i++) expect((await post(scientist, { modelId: model, version: 1, inputs: [mlpInput()] })).status).toBe(200);
    expect((await post(scientist, { modelId: model, version: 7, inputs: [mlpInput()] })).status).toBe(404);
    await stack.platform.gateway.flushRequestMetrics();
    const metricsQuery = 'query M($from: DateTime!, $to: DateTime!) { requestMetrics(from: $from, to: $to) { operations { operationType operationName requests errors } } }';
    const window = { from: since, to: new Date(Date.now() + 60_000).toISOString() };
    type Metrics = { requestMetrics: { operations: Array<{ operationType: string; operationName: string; requests: number; errors: number }> } };
    const mine = expectNoErrors(await stack.query<Metrics>(scientist, metricsQuery, window)).requestMetrics.operations;
    expect(mine).toContainEqual({ operationType: 'QUERY', operationName: '(predict route)', requests: 3, errors: 1 });
    const others = expectNoErrors(await stack.query<Metrics>(await b.token('admin'), metricsQuery, window)).requestMetrics.operations;
    expect(others.filter((operation) => operation.operationName === '(predict route)')).toEqual([]);
  });

  it('refuses callers without a valid token, on its headers alone', async () => {
    const body = { modelId: aModel, version: 1, inputs: [mlpInput()] };
    expect(refusedWith(await post(undefined, body))).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], data: null });
    const [header, payload, signature] = aViewer.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, tenant_id: b.id })).toString('base64url')}.${signature}`;
    expect(refusedWith(await post(tampered, body))).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], data: null });
    expect(refusedWith(await post('not-a-token', body))).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], data: null });
  });

  it.each(['admin', 'data_scientist', 'viewer'] as const)('tenant B (%s) gets NOT_FOUND for every handle on A, exactly as for nothing', async (role) => {
    const tokenB = await b.token(role);
    const probesOfA = async (tenant: TestTenant) => (await auditTrail(stack, tenant)).filter((event) => event.action === 'cross_tenant_attempt' && event.targetId === aModel).length;
    const probesBefore = await probesOfA(b);
    const handles: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ modelId: aModel, version: 1 }, { modelId: randomUUID(), version: 1 }],
      [{ modelId: aModel, alias: 'production' }, { modelId: randomUUID(), alias: 'production' }],
      [{ modelName: 'route-mlp', version: 1 }, { modelName: 'never-was', version: 1 }],
      [{ modelName: 'route-mlp', alias: 'production' }, { modelName: 'never-was', alias: 'production' }],
    ];
    for (const [withA, withNothing] of handles) {
      const fromA = await post(tokenB, { ...withA, inputs: [mlpInput()] });
      const fromNothing = await post(tokenB, { ...withNothing, inputs: [mlpInput()] });
      expect(refusedWith(fromA)).toEqual({ status: 404, codes: ['NOT_FOUND'], data: null });
      const scrub = (answer: RouteAnswer, handle: Record<string, unknown>) => answer.body.errors?.[0]?.message.replaceAll(String(handle['modelId'] ?? handle['modelName']), '<model>');
      expect(scrub(fromA, withA)).toBe(scrub(fromNothing, withNothing));
      expect(fromA.body.errors?.[0]?.extensions).toEqual(fromNothing.body.errors?.[0]?.extensions);
    }
    // Nothing ran: B's predictions of the minute are still none.
    const usage = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; used: number }> } }>(tokenB, '{ tenantUsage { quotas { name used } } }')).tenantUsage;
    expect(usage.quotas.find((quota) => quota.name === 'predictionsPerMinute')?.used).toBe(0);
    // Probing A's model id through predict is recorded in B's log as a cross-tenant attempt (what the
    // CROSS_TENANT_ATTEMPT alert counts), once per call by id, as `model(id)` records it; A's log shows nothing.
    expect(await probesOfA(b)).toBe(probesBefore + 2);
    expect(await probesOfA(a)).toBe(0);
  });

  it('straight to the models subgraph, without the gateway-signed context, the route answers nobody', async () => {
    const body = JSON.stringify({ modelId: aModel, version: 1, inputs: [mlpInput()] });
    const asGateway = { subgraph: 'models', ca: stack.pki.ca, client: stack.pki.identity('gateway') };
    const url = `${stack.platform.subgraphs.models.url}/internal/predict`;
    const unsigned = await requestSubgraph(url, { ...asGateway, headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(errorCodes(JSON.parse(unsigned.text) as { errors?: [] })).toEqual(['UNAUTHENTICATED']);
    const forged = await requestSubgraph(url, { ...asGateway, headers: { 'content-type': 'application/json', [internalContextHeader]: aViewer }, body });
    expect(forged.status).toBe(401);
    const get = await requestSubgraph(url, { ...asGateway, method: 'GET' });
    expect({ status: get.status, allow: get.headers.get('allow') }).toEqual({ status: 400, allow: 'POST' });
    // Another service's certificate is not let in at all.
    await expect(requestSubgraph(url, { ...asGateway, client: stack.pki.identity('audit'), headers: { 'content-type': 'application/json' }, body })).rejects.toThrow();
  });

  it('an API key limited to other operations is refused; one that lists predict may call it', async () => {
    const admin = await a.token('admin');
    const bot = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createServiceAccount, { input: { name: 'route-bot', role: 'VIEWER' } })).createServiceAccount;
    const keyOf = async (operations: string[]) =>
      expectNoErrors(await stack.query<{ createApiKey: { secret: string } }>(admin, createApiKey, { input: { serviceAccountId: bot.id, operations } })).createApiKey.secret;
    const body = { modelId: aModel, version: 1, inputs: [mlpInput()] };
    expect(refusedWith(await post(await keyOf(['datasets']), body))).toEqual({ status: 403, codes: ['FORBIDDEN'], data: null });
    expect((await post(await keyOf(['predict']), body)).status).toBe(200);
  });

  it('costs what the predict query costs, from the same budget: RATE_LIMITED with retry-after once it is spent', async () => {
    const tenant = await stack.createTenant({ limits: { costPerMinute: 1_000, costBurst: 1_000 } });
    const viewer = await tenant.token('data_scientist');
    const model = await newModel(stack, viewer, 'budget');
    await uploadVersion(stack, viewer, model, mlpModel());
    // The tenant's cost units of this minute, as the gateway shares them in Redis once it syncs.
    const redis = new Redis(stack.config.redis.url, { ...redisConnectionOptions(stack.config.redis), lazyConnect: true });
    const usedCost = async () => {
      await stack.platform.gateway.syncRateLimits();
      return Number((await redis.get(new LiveQuotaKeys(stack.config.redis.keyPrefix).costPerMinute(tenant.id, minuteOf(Date.now())))) ?? 0);
    };
    const body = { modelId: model, version: 1, inputs: [mlpInput()] };
    await minuteWithAtLeast(15);
    let routeCost: number;
    let queryCost: number;
    try {
      const before = await usedCost();
      expect((await post(viewer, body)).status).toBe(200);
      const afterRoute = await usedCost();
      expectNoErrors(
        await stack.query(viewer, 'query($input: PredictInput!) { predict(input: $input) { outputs { name elementType shape dataBase64 } modelVersion { id number model { id } } batchSize latencyMs } }', { input: body }),
      );
      const afterQuery = await usedCost();
      [routeCost, queryCost] = [afterRoute - before, afterQuery - afterRoute];
    } finally {
      redis.disconnect();
    }
    expect(routeCost).toBe(queryCost);
    expect(routeCost).toBeGreaterThanOrEqual(50);

    let answer: RouteAnswer | undefined;
    for (let call = 0; call < 20; call++) {
      answer = await post(viewer, body);
      if (answer.status !== 200) break;
    }
    expect(refusedWith(answer!)).toEqual({ status: 429, codes: ['RATE_LIMITED'], data: null });
    expect(answer!.body.errors?.[0]?.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
    expect(Number(answer!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The other tenant's budget is its own: A still predicts.
    expect((await post(aViewer, { modelId: aModel, version: 1, inputs: [mlpInput()] })).status).toBe(200);
  });

  it('pays for its answer too, one unit per KiB past the first, on the route and on POST and GET /graphql: a small input that answers 200 000 values is not the price of one row', async () => {
    // A model broadcasting each input row into 1 024 values: 200 rows in, 204 800 values out (~400 KiB as
    // numbers). Before, such a call cost what a one-row prediction costs (98 units), and four at a time
    // took another tenant's predictions from ~15 ms to 0.5–0.9 s: the models service serialised and the
    // gateway parsed and sent answers nobody paid for.
    const tenant = await stack.createTenant({ limits: { costPerMinute: 60_000, costBurst: 20_000 } });
    const scientist = await tenant.token('data_scientist');
    const model = await newModel(stack, scientist, 'fan-out');
    await uploadVersion(stack, scientist, model, onnxFixtures.buildFanOutModel(1_024));
    const redis = new Redis(stack.config.redis.url, { ...redisConnectionOptions(stack.config.redis), lazyConnect: true });
    const usedCost = async () => {
      await stack.platform.gateway.syncRateLimits();
      return Number((await redis.get(new LiveQuotaKeys(stack.config.redis.keyPrefix).costPerMinute(tenant.id, minuteOf(Date.now())))) ?? 0);
    };
    /**
     * The units one call took, the answer's share included (charged once the answer is sent: polled,
     * not timed). The counter is per UTC minute: a measurement that a minute boundary fell inside is
     * made again, instead of waiting up front for a minute with enough left (20 s asked: 3 s waited on average).
     */
    const costOf = async (call: () => Promise<number>): Promise<{ units: number; answerBytes: number }> => {
      for (;;) {
        const minute = minuteOf(Date.now());
        const before = await usedCost();
        const answerBytes = await call();
        let units = 0;
        for (let attempt = 0; attempt < 50; attempt++) {
          units = (await usedCost()) - before;
          if (units >= Math.ceil(answerBytes / 1024) - 1 + 50) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (minuteOf(Date.now()) === minute) return { units, answerBytes };
      }
    };
    const fanInput = (count: number) => ({ modelId: model, version: 1, inputs: [{ name: 'input', shape: [count, 1], data: Array<number>(count).fill(1) }] });
    const query = 'query($input: PredictInput!) { predict(input: $input) { outputs { shape data } } }';
    const viaRoute = (count: number) => async () => {
      const response = await fetch(`${stack.gatewayUrl}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${scientist}` },
        body: JSON.stringify({ ...fanInput(count), outputFormat: 'numbers' }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      return Buffer.byteLength(text);
    };
    const viaPost = (count: number) => async () => {
      const response = await fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${scientist}` },
        body: JSON.stringify({ query, variables: { input: fanInput(count) } }),
      });
      const text = await response.text();
      expect(JSON.parse(text)).not.toHaveProperty('errors');
      return Buffer.byteLength(text);
    };
    const viaGet = (count: number) => async () => {
      const search = new URLSearchParams({ query, variables: JSON.stringify({ input: fanInput(count) }) });
      const response = await fetch(`${stack.gatewayUrl}/graphql?${search.toString()}`, { headers: { authorization: `Bearer ${scientist}`, 'apollo-require-preflight': 'true' } });
      const text = await response.text();
      expect(JSON.parse(text)).not.toHaveProperty('errors');
      return Buffer.byteLength(text);
    };
    try {
      for (const [path, call] of [
        ['route', viaRoute],
        ['POST /graphql', viaPost],
        ['GET /graphql', viaGet],
      ] as const) {
        const small = await costOf(call(1));
        const large = await costOf(call(200));
        expect({ path, largeAnswer: large.answerBytes > 400 * 1024 }).toEqual({ path, largeAnswer: true });
        // The large call pays its answer's KiB (past the first) on top of what the small one paid
        // (within a unit or two: their requests' own sizes differ by a few hundred bytes).
        const answerUnits = Math.ceil(large.answerBytes / 1024) - Math.max(1, Math.ceil(small.answerBytes / 1024));
        expect({ path, paid: Math.abs(large.units - small.units - answerUnits) <= 2 }).toEqual({ path, paid: true });
      }
    } finally {
      redis.disconnect();
    }
  });
});
