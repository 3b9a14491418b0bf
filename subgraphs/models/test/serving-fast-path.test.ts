import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Principal } from '@tessera/auth';
import { buildLinearRegression } from '@tessera/onnx';
import type { PredictRequest } from '@tessera/inference';
import type { LogFields, Logger } from '@tessera/config';
import { databaseOf, redisOf } from '@tessera/platform';
import { createServiceRuntime, type ServiceRuntime } from '@tessera/service-kit';
import { startTelemetry } from '@tessera/telemetry';
import { errorCodes, expectNoErrors, startTestStack, TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { createModelServing, defaultModelsConfig, InferenceStatsRecorder, modelEntities, type ModelServing } from '../src';
import { PredictionService, type PredictInput } from '../src/domain/prediction.service';
import { outputNumbers } from '../src/domain/predict-input';
import { PredictionLog } from '../src/serving/prediction-log';
import { auditTrail, deleteModel, deleteVersion, newModel, predict, removeAlias, setAlias, uploadVersion } from './model-flow';

const row = [1, 2, 3];
/** Each version answers one coordinate of the row, so an answer names the version (and tenant) that produced it. */
const pick = (index: number) => buildLinearRegression({ weights: [0, 1, 2].map((i) => (i === index ? 1 : 0)), bias: 0 });
const updateServing = `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`;


/**
 * Predicts as a tenant's viewer on `serving` (a replica of the models service made by the test),
 * through the same PredictionService the route and the query use; `runsOnC` lists the tenants
 * whose calls reached its pools (a refused call never runs).
 */
function predictingThrough(stack: TestStack, serving: ModelServing, inputOf: (modelId: string) => PredictInput) {
  const runsOnC: string[] = [];
  const predictOnPools = serving.pools.predict.bind(serving.pools) as (request: PredictRequest) => ReturnType<ModelServing['pools']['predict']>;
  serving.pools.predict = ((request: PredictRequest) => {
    runsOnC.push(request.tenantId);
    return predictOnPools(request);
  }) as ModelServing['pools']['predict'];
  const predictOnC = async (tenant: TestTenant, modelId: string): Promise<{ answered: number } | { code: string | undefined; limit: unknown }> => {
    const caller: Principal = { kind: 'user', subject: 'replica-c-viewer', tenantId: tenant.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal(caller);
    try {
      const prediction = await new PredictionService(scope, serving, defaultModelsConfig).predict(inputOf(modelId));
      return { answered: outputNumbers(prediction.outputs[0]!.values)[0]! };
    } catch (error) {
      const refusal = error as { code?: string; extensions?: Record<string, unknown> };
      return { code: refusal.code, limit: refusal.extensions?.['limit'] };
    }
  };
  return { runsOnC, predictOnC };
}

describe('models: serving fast path', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  /** A second models replica: its own resolution cache, pools and Redis connections, the same database and Redis. */
  let replicaB: ModelServing;
  const requestsOnB: PredictRequest[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    replicaB = createModelServing(stack.platform.runtimes.models, { stats: { logDirectory: false } });
    const predictOnPools = replicaB.pools.predict.bind(replicaB.pools) as (request: PredictRequest) => ReturnType<ModelServing['pools']['predict']>;
    replicaB.pools.predict = ((request: PredictRequest) => {
      requestsOnB.push(request);
      return predictOnPools(request);
    }) as ModelServing['pools']['predict'];
  });
  afterAll(async () => {
    await replicaB?.close();
    await stack?.stop();
  });

  /** A predict answered by replica B, as a viewer of `tenant` (the scope the models subgraph would build). */
  async function predictOnB(tenant: TestTenant, input: PredictInput): Promise<number> {
    const principal: Principal = { kind: 'user', subject: 'replica-b-viewer', tenantId: tenant.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal(principal);
    const prediction = await new PredictionService(scope, replicaB, defaultModelsConfig).predict(input);
    return outputNumbers(prediction.outputs[0]!.values)[0]!;
  }
  const refusedOnB = async (tenant: TestTenant, input: PredictInput) =>
    predictOnB(tenant, input).then(
      (value) => `answered ${value}`,
      (error: { code?: string }) => error.code,
    );
  const byAlias = (alias = 'production'): PredictInput => ({ modelName: 'scorer', alias, inputs: [{ name: 'input', shape: [1, 3], data: row }] });
  const byVersion = (modelId: string, version: number): PredictInput => ({ modelId, version, inputs: [{ name: 'input', shape: [1, 3], data: row }] });
  const cachedOnB = (tenant: TestTenant) => replicaB.resolutions.size(tenant.id);

  it('an alias moved, serving changed, alias removed, version or model deleted through replica A: the very next predict on replica B sees it; tenants with the same model names never share entries', async () => {
    const [scientist, admin, otherScientist] = await Promise.all([acme.token('data_scientist'), acme.token('admin'), globex.token('data_scientist')]);
    // The same model name and alias in both tenants, answering different coordinates.
    const scorer = await newModel(stack, scientist, 'scorer');
    const v1 = await uploadVersion(stack, scientist, scorer, pick(0));
    await uploadVersion(stack, scientist, scorer, pick(1));
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId: scorer, alias: 'production', version: 1 } }));
    const otherScorer = await newModel(stack, otherScientist, 'scorer');
    await uploadVersion(stack, otherScientist, otherScorer, pick(2));
    expectNoErrors(await stack.query(otherScientist, setAlias, { input: { modelId: otherScorer, alias: 'production', version: 1 } }));

    // Warm replica B for both tenants, through the same handles.
    expect(await predictOnB(acme, byAlias())).toBe(1);
    expect(await predictOnB(acme, byVersion(scorer, 2))).toBe(2);
    expect(await predictOnB(acme, byVersion(scorer, 1))).toBe(1);
    expect(await predictOnB(globex, byAlias())).toBe(3);
    expect(cachedOnB(acme)).toBe(3);
    expect(cachedOnB(globex)).toBe(1);
    // Warm: answered again without a database read (the entries stay, nothing is re-read).
    expect(await predictOnB(acme, byAlias())).toBe(1);
    // Another tenant's model id is NOT_FOUND for acme even with globex's entry cached on this replica.
    expect(await predictOnB(globex, byVersion(otherScorer, 1))).toBe(3);
    expect(await refusedOnB(acme, byVersion(otherScorer, 1))).toBe('NOT_FOUND');

    // Promote on replica A (the stack's models subgraph): the first call on B uses version 2.
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId: scorer, alias: 'production', version: 2 } }));
    expect(await predictOnB(acme, byAlias())).toBe(2);
    // The other tenant's entries and answers are its own.
    expect(await predictOnB(globex, byAlias())).toBe(3);
    // Rollback, then the first call again.
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId: scorer, alias: 'production', version: 1 } }));
    expect(await predictOnB(acme, byAlias())).toBe(1);

    // Serving settings: the first call on B runs with the new ones.
    requestsOnB.length = 0;
    expectNoErrors(await stack.query(scientist, updateServing, { id: scorer, input: { batching: false, timeoutMs: 7_777 } }));
    expect(await predictOnB(acme, byAlias())).toBe(1);
    expect(requestsOnB).toEqual([expect.objectContaining({ tenantId: acme.id, batching: false, timeoutMs: 7_777 })]);

    // Alias removed: the first call on B by that alias is NOT_FOUND.
    expectNoErrors(await stack.query(scientist, removeAlias, { modelId: scorer, alias: 'production' }));
    expect(await refusedOnB(acme, byAlias())).toBe('NOT_FOUND');
    // Version 1 deleted (cached on B by number): NOT_FOUND at once.
    expect(await predictOnB(acme, byVersion(scorer, 1))).toBe(1);
    expectNoErrors(await stack.query(admin, deleteVersion, { id: v1.id }));
    expect(await refusedOnB(acme, byVersion(scorer, 1))).toBe('NOT_FOUND');
    // The model deleted (version 2 cached on B): NOT_FOUND at once.
    expect(await predictOnB(acme, byVersion(scorer, 2))).toBe(2);
    expectNoErrors(await stack.query(admin, deleteModel, { id: scorer }));
    expect(await refusedOnB(acme, byVersion(scorer, 2))).toBe('NOT_FOUND');

    // Through all of it globex kept its own model and answers, on both replicas.
    expect(await predictOnB(globex, byAlias())).toBe(3);
    const viaGateway = expectNoErrors(await predict(stack, await globex.token('viewer'), byAlias() as unknown as Record<string, unknown>));
    expect(viaGateway.predict.outputs[0]!.data[0]).toBeCloseTo(3, 5);
  });

  it('bad inputs against a cached signature are refused without counting, and a signature that changed is re-read first', async () => {
    const scientist = await acme.token('data_scientist');
    const modelId = await newModel(stack, scientist, 'widths');
    await uploadVersion(stack, scientist, modelId, pick(0));
    await uploadVersion(stack, scientist, modelId, buildLinearRegression({ weights: [1, 1], bias: 0 }));
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId, alias: 'live', version: 1 } }));
    const input = (width: number): PredictInput => ({ modelName: 'widths', alias: 'live', inputs: [{ name: 'input', shape: [1, width], data: row.slice(0, width) }] });
    expect(await predictOnB(acme, input(3))).toBe(1);
    expect(await refusedOnB(acme, input(2))).toBe('BAD_USER_INPUT');
    // The alias now points at the 2-feature version: the cached 3-feature signature must not refuse this call.
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId, alias: 'live', version: 2 } }));
    expect(await predictOnB(acme, input(2))).toBe(3);
    expect(await refusedOnB(acme, input(3))).toBe('BAD_USER_INPUT');
  });

  it('base64 tensors through the gateway: float32 little-endian in, exact bytes out; malformed base64 is BAD_USER_INPUT naming the input', async () => {
    const [scientist, viewer] = await Promise.all([acme.token('data_scientist'), acme.token('viewer')]);
    const modelId = await newModel(stack, scientist, 'binary');
    await uploadVersion(stack, scientist, modelId, buildLinearRegression({ weights: [0.5, -1.25, 2], bias: 0.75 }));
    const rows = Float32Array.from([1, 2, 3, -4, 0.5, 6]);
    const dataBase64 = Buffer.from(rows.buffer).toString('base64');
    const query = `query($input: PredictInput!) { predict(input: $input) { outputs { name elementType shape dataBase64 data } } }`;
    const answer = expectNoErrors(
      await stack.query<{ predict: { outputs: Array<{ shape: number[]; dataBase64: string; data: number[] }> } }>(viewer, query, {
        input: { modelId, version: 1, inputs: [{ name: 'input', shape: [2, 3], dataBase64 }] },
      }),
    ).predict.outputs[0]!;
    expect(answer.shape).toEqual([2, 1]);
    const bytes = Buffer.from(answer.dataBase64, 'base64');
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(Array.from(decoded)).toEqual(answer.data);
    expect(decoded[0]).toBeCloseTo(0.5 - 2.5 + 6 + 0.75, 5);
    expect(decoded[1]).toBeCloseTo(-2 - 0.625 + 12 + 0.75, 5);

    const bad = async (tensor: Record<string, unknown>) => {
      const response = await stack.query(viewer, query, { input: { modelId, version: 1, inputs: [{ name: 'input', shape: [2, 3], ...tensor }] } });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      return response.errors![0]!.message;
    };
    expect(await bad({ dataBase64: dataBase64.slice(0, -4) })).toMatch(/"input": shape \[2, 3\] of float32 needs 24 bytes/);
    expect(await bad({ dataBase64: `${dataBase64.slice(0, -1)}*` })).toMatch(/not standard padded base64/);
    expect(await bad({ dataBase64, data: Array.from(rows) })).toMatch(/exactly one of data and dataBase64/);
    expect(await bad({ dataBase64: Buffer.from(Float32Array.from([1, 2, 3, 4, 5, Number.NaN]).buffer).toString('base64') })).toMatch(/index 5 is not a finite number/);
  });

  it('inference spans: queue wait and the run (batch size, rows, session.run time) carry the tenant', async () => {
    const exporter = startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' }).memoryExporter!;
    const [scientist, viewer] = await Promise.all([acme.token('data_scientist'), acme.token('viewer')]);
    const modelId = await newModel(stack, scientist, 'traced');
    await uploadVersion(stack, scientist, modelId, pick(0));
    exporter.reset();
    expectNoErrors(await predict(stack, viewer, { modelId, version: 1, inputs: [{ name: 'input', shape: [2, 3], data: [...row, ...row] }] }));
    const spans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('inference.'));
    const run = spans.find((span) => span.name === 'inference.run');
    const queued = spans.find((span) => span.name === 'inference.queue');
    expect(run?.attributes).toMatchObject({ 'tessera.tenant_id': acme.id, 'inference.pool_id': `shared:${acme.id}`, 'inference.batch_size': 1, 'inference.batch_rows': 2 });
    expect(run?.attributes['inference.session_run_ms']).toEqual(expect.any(Number));
    expect(queued?.attributes).toMatchObject({ 'tessera.tenant_id': acme.id });
    // Both belong to the predict's trace.
    expect(new Set([run!.spanContext().traceId, queued!.spanContext().traceId]).size).toBe(1);
  });

  it('prediction stats and audit survive kill -9 between flushes: the log is replayed exactly once', async () => {
    const scientist = await acme.token('data_scientist');
    const modelId = await newModel(stack, scientist, 'killed');
    const version = await uploadVersion(stack, scientist, modelId, pick(0));
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    const principal: Principal = { kind: 'user', subject: 'killed-process-caller', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const [first, then] = [25, 17];
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'recording-models-process.main.ts')], {
      env: {
        ...process.env,
        FIXTURE_CONFIG: JSON.stringify({
          database: databaseOf(stack.config, 'models'),
          redis: redisOf('models', stack.config.redis, stack.config.redisByService),
          internalContextPublicKey: stack.config.internalContextKeys.publicJwk,
          logDirectory: directory,
          principal,
          modelId,
          versionId: version.id,
          first,
          then,
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
    try {
      // Between flushes: the first 25 are in MySQL, the next 17 only in the log.
      const ready = await new Promise<boolean>((resolve) => {
        createInterface({ input: child.stdout! }).once('line', (line) => resolve(line === 'recorded'));
        void exited.then(() => resolve(false));
      });
      expect(ready).toBe(true);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const stats = async () => {
        const [sums] = (await stack.platform.runtime.db.query(
          `SELECT SUM(calls) AS calls, SUM(row_count) AS rowCount, SUM(errors) AS errors FROM \`${acme.schema}\`.inference_stats WHERE model_id = ?`,
          [modelId],
        )) as Array<Record<string, string | number | null>>;
        return { calls: Number(sums!['calls']), rows: Number(sums!['rowCount']), errors: Number(sums!['errors']) };
      };
      const audited = async () => (await auditTrail(stack, acme)).filter((event) => event.action === 'model.predict' && event.targetId === version.id);
      expect((await stats()).calls).toBe(first);
      expect(await audited()).toEqual([]);
      // What the dead process left (to replay it a second time below).
      const logFiles = readdirSync(directory).map((name) => ({ name, text: readFileSync(join(directory, name), 'utf8') }));
      expect(logFiles.length).toBeGreaterThan(0);

      // A recorder on that directory (as the next models process started there) replays the dead process's log.
      const successor = new InferenceStatsRecorder(stack.platform.runtimes.models.scopes, stack.config.logger, {
        flushIntervalMs: 3_600_000,
        maxRetryAgeMs: 600_000,
        logDirectory: directory,
        recoverIntervalMs: 3_600_000,
      });
      await successor.recover();
      const total = first + then;
      const errors = [...Array(total).keys()].filter((i) => i % 10 === 0).length;
      expect(await stats()).toEqual({ calls: total, rows: 2 * total, errors });
      const events = await audited();
      expect(events.reduce((sum, event) => sum + Number(event.details['calls']), 0)).toBe(total);
      expect(events.reduce((sum, event) => sum + Number(event.details['errors']), 0)).toBe(errors);
      expect(new Set(events.map((event) => event.actorSubject))).toEqual(new Set([principal.subject]));
      // The dead process's files are gone once replayed (the successor's own log remains until it closes).
      const deadLeft = () => readdirSync(directory).filter((name) => logFiles.some((file) => file.name === name));
      expect(deadLeft()).toEqual([]);

      // Exactly once: the same log replayed again (as by a second process that read it meanwhile) adds nothing.
      for (const file of logFiles) writeFileSync(join(directory, file.name), file.text);
      await successor.recover();
      expect(await stats()).toEqual({ calls: total, rows: 2 * total, errors });
      expect((await audited()).reduce((sum, event) => sum + Number(event.details['calls']), 0)).toBe(total);
      expect(deadLeft()).toEqual([]);
      await successor.close();
      // Everything written: no file is left (the emptied directory goes too).
      expect(existsSync(directory) ? readdirSync(directory) : []).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('pending stats and audit tallies given up after the retry age are logged as an error naming the tenant and what was lost, never dropped silently', async () => {
    const gone = randomUUID();
    const principal: Principal = { kind: 'user', subject: 'given-up-caller', tenantId: gone, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const logged: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
    const at = (level: string) => (message: string, fields?: LogFields) => void logged.push({ level, message, fields });
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error'), child: () => logger };
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    // A log a dead process left, with two calls of that tenant an hour old.
    const dead = new PredictionLog(directory);
    for (let i = 0; i < 2; i++) dead.append({ at: Date.now() - 3_600_000, tenantId: gone, modelId: 'm', versionId: 'v', rows: 1, batchSize: 1, latencyMs: 3, ok: true, subject: principal.subject, principal: undefined });
    dead.close(false);
    // Retry age 0: the first failed flush is already past it, so what could not be written is given up at once.
    const recorder = new InferenceStatsRecorder(stack.platform.runtimes.models.scopes, logger, { flushIntervalMs: 3_600_000, maxRetryAgeMs: 0, logDirectory: directory, recoverIntervalMs: 3_600_000 });
    try {
      await recorder.recover();
      for (const ok of [true, true, false]) recorder.record({ principal, tenantId: gone, modelId: 'm', versionId: 'v', rows: 2, batchSize: 1, latencyMs: 3, ok });
      await recorder.flush({ closeAll: true });
      expect(logged.filter((line) => line.level === 'error')).toEqual([
        { level: 'error', message: 'prediction log lines given up: the tenant refused the write for longer than the retry age', fields: expect.objectContaining({ tenantId: gone, lines: 2, logId: dead.logId }) },
        { level: 'error', message: 'inference stats and predict audit given up: the tenant refused the write for longer than the retry age', fields: expect.objectContaining({ tenantId: gone, calls: 3, auditedCalls: 3 }) },
      ]);
      expect(readdirSync(directory).filter((name) => name.includes(dead.logId))).toEqual([]);
      // A tenant that refuses the write (unknown here, as after its erasure) is retried no more: nothing of it is held.
      expect(recorder.backlog.held(gone)).toBe(0);
      expect(logged.filter((line) => line.level === 'warn').map((line) => line.fields?.['tenantRefused'])).toEqual([true, true]);
    } finally {
      await recorder.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a long orphaned log (150k lines of a tenant, 130k of a tenant that cannot be written) replays completely in slices, damaged lines skipped, without stalling the process', async () => {
    const scientist = await acme.token('data_scientist');
    const modelId = await newModel(stack, scientist, 'long-log');
    const version = await uploadVersion(stack, scientist, modelId, pick(0));
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    const principal: Principal = { kind: 'user', subject: 'long-log-caller', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const gone = randomUUID();
    const [lines, goneLines] = [150_000, 130_000];
    const start = Date.now() - 5 * 60_000;
    // The log a process left when it died: written by the models service's own writer.
    const dead = new PredictionLog(directory);
    for (let i = 0; i < lines; i++) {
      const at = start + Math.floor(i / 30_000) * 60_000;
      dead.append({ at, tenantId: acme.id, modelId, versionId: version.id, rows: 1, batchSize: 1, latencyMs: 3, ok: i % 100 !== 0, subject: principal.subject, principal: i === 0 ? principal : undefined });
    }
    for (let i = 0; i < goneLines; i++) dead.append({ at: Date.now(), tenantId: gone, modelId: 'm', versionId: 'v', rows: 1, batchSize: 1, latencyMs: 3, ok: true, subject: 'someone', principal: undefined });
    dead.close(false);
    // Damaged lines in a segment of that log: valid JSON that is no call, a line cut short at the end.
    const lastSegment = readdirSync(directory).sort((a, b) => Number(/-(\d+)\.log$/.exec(a)![1]) - Number(/-(\d+)\.log$/.exec(b)![1])).at(-1)!;
    const valid = JSON.stringify([lines + goneLines + 1, start, acme.id, modelId, version.id, 1, 1, 3, 1, principal.subject, null]);
    appendFileSync(join(directory, lastSegment), ['null', '42', '"text"', '[1,2]', '{"seq":1}', valid, '[280002,17'].join('\n'));

    const logged: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
    const at = (level: string) => (message: string, fields?: LogFields) => void logged.push({ level, message, fields });
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error'), child: () => logger };
    // How long the event loop was held at most while the log is replayed.
    let longestStall = 0;
    let tick = Date.now();
    const probe = setInterval(() => {
      longestStall = Math.max(longestStall, Date.now() - tick);
      tick = Date.now();
    }, 5);
    const successor = new InferenceStatsRecorder(stack.platform.runtimes.models.scopes, logger, { flushIntervalMs: 3_600_000, maxRetryAgeMs: 600_000, logDirectory: directory, recoverIntervalMs: 3_600_000 });
    try {
      await successor.recover();
      clearInterval(probe);
      const [sums] = (await stack.platform.runtime.db.query(`SELECT SUM(calls) AS calls, SUM(errors) AS errors FROM \`${acme.schema}\`.inference_stats WHERE model_id = ?`, [modelId])) as Array<Record<string, string | number | null>>;
      expect({ calls: Number(sums!['calls']), errors: Number(sums!['errors']) }).toEqual({ calls: lines + 1, errors: lines / 100 });
      const events = (await auditTrail(stack, acme)).filter((event) => event.action === 'model.predict' && event.targetId === version.id);
      expect(events.reduce((sum, event) => sum + Number(event.details['calls']), 0)).toBe(lines + 1);
      expect(logged).toEqual([
        { level: 'warn', message: 'prediction log lines damaged; skipped', fields: { logId: dead.logId, damaged: 6 } },
        { level: 'warn', message: 'prediction log replay failed for a tenant', fields: expect.objectContaining({ tenantId: gone, logId: dead.logId }) },
      ]);
      // The tenant that could not be written is recent: its lines are kept for the next replay.
      expect(readdirSync(directory).filter((name) => name.includes(dead.logId)).length).toBeGreaterThan(0);
      expect(longestStall).toBeLessThan(1_000);
    } finally {
      clearInterval(probe);
      await successor.close();
      rmSync(directory, { recursive: true, force: true });
    }
  }, 120_000);

  /** The models runtime again, its pool reaching MariaDB through a relay (a database outage is `relay.off()`), with no tenant cache. */
  async function throughRelay(): Promise<{ relay: TcpSwitch; runtime: ServiceRuntime }> {
    const models = stack.platform.runtimes.models;
    const url = new URL(models.config.database.url);
    const relay = new TcpSwitch(url.hostname, Number(url.port || 3306));
    await relay.on();
    url.port = String(relay.port);
    const runtime = await createServiceRuntime({ ...models.config, database: { ...models.config.database, url: url.toString() }, tenantCacheTtlMs: 0 }, stack.config.logger, modelEntities);
    return { relay, runtime };
  }
  const recordingLogger = () => {
    const logged: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
    const at = (level: string) => (message: string, fields?: LogFields) => void logged.push({ level, message, fields });
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error'), child: () => logger };
    return { logged, logger };
  };
  const statsOf = async (tenant: TestTenant, modelId: string) => {
    const [sums] = (await stack.platform.runtime.db.query(`SELECT SUM(calls) AS calls, SUM(errors) AS errors FROM \`${tenant.schema}\`.inference_stats WHERE model_id = ?`, [modelId])) as Array<Record<string, string | number | null>>;
    return { calls: Number(sums!['calls'] ?? 0), errors: Number(sums!['errors'] ?? 0) };
  };
  const auditedCalls = async (tenant: TestTenant, versionId: string) =>
    (await auditTrail(stack, tenant)).filter((event) => event.action === 'model.predict' && event.targetId === versionId).reduce((sum, event) => sum + Number(event.details['calls']), 0);

  it('a database outage longer than the retry age loses no stats nor audit: live tallies and a dead process\'s log are kept and written once it is over', async () => {
    const scientist = await acme.token('data_scientist');
    const modelId = await newModel(stack, scientist, 'outage');
    const version = await uploadVersion(stack, scientist, modelId, pick(0));
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    const principal: Principal = { kind: 'user', subject: 'outage-caller', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const { relay, runtime } = await throughRelay();
    const { logged, logger } = recordingLogger();
    // Retry age 0: every failed write is already past it, as after an outage of any length.
    const recorder = new InferenceStatsRecorder(runtime.scopes, logger, { flushIntervalMs: 3_600_000, maxRetryAgeMs: 0, logDirectory: directory, recoverIntervalMs: 3_600_000 });
    const orphaned = 7;
    try {
      // The replay at start has nothing to do; then the database is cut off.
      await recorder.recover();
      await relay.off();
      // A log a dead process left, with calls of acme an hour old (far past the retry age).
      const dead = new PredictionLog(directory);
      for (let i = 0; i < orphaned; i++) dead.append({ at: Date.now() - 3_600_000, tenantId: acme.id, modelId, versionId: version.id, rows: 1, batchSize: 1, latencyMs: 3, ok: true, subject: principal.subject, principal: i === 0 ? principal : undefined });
      dead.close(false);
      const live = [1, 2, 3, 4, 5].map((i) => i % 5 !== 0);
      for (const ok of live) recorder.record({ principal, tenantId: acme.id, modelId, versionId: version.id, rows: 2, batchSize: 1, latencyMs: 3, ok });
      // Several flushes and replays fail during the outage (closeAll: every tally is due).
      for (let attempt = 0; attempt < 3; attempt++) {
        await recorder.flush({ closeAll: true });
        await recorder.recover();
      }
      expect(logged.filter((line) => line.level === 'error')).toEqual([]);
      // Both the live flushes and the replays failed, each time as an unreachable database, not as a tenant refusing.
      const warnings = logged.filter((line) => line.level === 'warn');
      expect(new Set(warnings.map((line) => line.message))).toEqual(new Set(['inference stats flush failed; will retry', 'prediction log replay failed for a tenant']));
      expect(warnings.map((line) => line.fields?.['tenantRefused'])).toEqual(warnings.map(() => false));
      expect(recorder.backlog.held(acme.id)).toBeGreaterThan(0);
      expect(readdirSync(directory).filter((name) => name.includes(dead.logId)).length).toBeGreaterThan(0);

      // The database is back: everything is written, exactly once.
      await relay.on();
      await recorder.flush({ closeAll: true });
      await recorder.recover();
      expect(await statsOf(acme, modelId)).toEqual({ calls: live.length + orphaned, errors: 1 });
      expect(await auditedCalls(acme, version.id)).toBe(live.length + orphaned);
      expect(recorder.backlog.held()).toBe(0);
      expect(readdirSync(directory).filter((name) => name.includes(dead.logId))).toEqual([]);
      expect(logged.filter((line) => line.level === 'error')).toEqual([]);
    } finally {
      await recorder.close();
      await runtime.close();
      await relay.off();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('while the database does not take the log, predicts past the backlog bound are refused before they run (typed, retryable), other tenants within their share are served, and all is admitted again once it is written', async () => {
    const [scientist, otherScientist] = await Promise.all([acme.token('data_scientist'), globex.token('data_scientist')]);
    const acmeModel = await newModel(stack, scientist, 'backlogged');
    const acmeVersion = await uploadVersion(stack, scientist, acmeModel, pick(0));
    const globexModel = await newModel(stack, otherScientist, 'backlogged');
    const globexVersion = await uploadVersion(stack, otherScientist, globexModel, pick(2));
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    const { relay, runtime } = await throughRelay();
    // A replica whose stats and audit go through the relay; it resolves models with the stack's own pool.
    const [perTenant, bound] = [1_000, 1_600];
    const replicaC = createModelServing({ ...stack.platform.runtimes.models, scopes: runtime.scopes }, { stats: { logDirectory: directory, flushIntervalMs: 3_600_000, recoverIntervalMs: 3_600_000, maxBacklogBytes: bound, maxBacklogBytesPerTenant: perTenant } });
    const { runsOnC, predictOnC } = predictingThrough(stack, replicaC, (modelId) => byVersion(modelId, 1));
    /** Predicts until one is refused (at most 50): how many were answered, and the refusal. */
    const untilRefused = async (tenant: TestTenant, modelId: string) => {
      let answered = 0;
      for (let i = 0; i < 50; i++) {
        const outcome = await predictOnC(tenant, modelId);
        if (!('answered' in outcome)) return { answered, refusal: outcome };
        answered += 1;
      }
      return { answered, refusal: undefined };
    };
    try {
      await replicaC.stats.recover();
      await relay.off();
      // acme fills its share of the log while nothing can be written.
      const acmeRun = await untilRefused(acme, acmeModel);
      expect(acmeRun.answered).toBeGreaterThan(1);
      expect(acmeRun.refusal).toEqual({ code: 'RATE_LIMITED', limit: 'inferenceStatsLogPerTenant' });
      await replicaC.stats.flush({ closeAll: true });
      expect(await predictOnC(acme, acmeModel)).toEqual({ code: 'RATE_LIMITED', limit: 'inferenceStatsLogPerTenant' });
      // globex is within its share: served, until the process's whole bound is reached.
      const globexRun = await untilRefused(globex, globexModel);
      expect(globexRun.answered).toBeGreaterThan(0);
      expect(globexRun.refusal).toEqual({ code: 'SERVICE_UNAVAILABLE', limit: 'inferenceStatsLog' });
      expect(replicaC.stats.backlog.held(globex.id)).toBeLessThan(perTenant);
      // Refused calls never ran.
      expect(runsOnC).toEqual([...Array<string>(acmeRun.answered).fill(acme.id), ...Array<string>(globexRun.answered).fill(globex.id)]);

      // The database is back: the backlog is written and predicts are admitted again.
      await relay.on();
      await replicaC.stats.flush({ closeAll: true });
      expect(replicaC.stats.backlog.held()).toBe(0);
      expect(await predictOnC(acme, acmeModel)).toEqual({ answered: 1 });
      expect(await predictOnC(globex, globexModel)).toEqual({ answered: 3 });
      await replicaC.stats.flush({ closeAll: true });
      // Every answered call is counted and audited, no refused one.
      expect(await statsOf(acme, acmeModel)).toEqual({ calls: acmeRun.answered + 1, errors: 0 });
      expect(await statsOf(globex, globexModel)).toEqual({ calls: globexRun.answered + 1, errors: 0 });
      expect(await auditedCalls(acme, acmeVersion.id)).toBe(acmeRun.answered + 1);
      expect(await auditedCalls(globex, globexVersion.id)).toBe(globexRun.answered + 1);
    } finally {
      await replicaC.close();
      await runtime.close();
      await relay.off();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('logs left by dead processes during an outage count in the backlog bound (in all and per tenant): the log directory stays under the bound, and all is admitted again once they are written', async () => {
    const [scientist, otherScientist] = await Promise.all([acme.token('data_scientist'), globex.token('data_scientist')]);
    const acmeModel = await newModel(stack, scientist, 'leftover');
    const acmeVersion = await uploadVersion(stack, scientist, acmeModel, pick(0));
    const globexModel = await newModel(stack, otherScientist, 'leftover');
    await uploadVersion(stack, otherScientist, globexModel, pick(2));
    const directory = mkdtempSync(join(tmpdir(), 'tessera-prediction-log-test-'));
    const { relay, runtime } = await throughRelay();
    const [perTenant, bound] = [1_000, 2_000];
    const principal: Principal = { kind: 'user', subject: 'crashed-caller', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    // The models service's log directory for this deployment (a subdirectory per key prefix).
    const logDirectory = join(directory, stack.platform.runtimes.models.config.redis.keyPrefix);
    const directoryBytes = () => readdirSync(logDirectory).reduce((sum, name) => sum + statSync(join(logDirectory, name)).size, 0);
    let replicaC: ModelServing | undefined;
    try {
      await relay.off();
      // What processes that crashed during the outage left: acme's calls, past acme's share, in two logs.
      const deadLogs = [new PredictionLog(logDirectory), new PredictionLog(logDirectory)];
      for (const [index, dead] of deadLogs.entries()) {
        for (let i = 0; i < 4; i++) dead.append({ at: Date.now(), tenantId: acme.id, modelId: acmeModel, versionId: acmeVersion.id, rows: 1, batchSize: 1, latencyMs: 3, ok: true, subject: principal.subject, principal: i === 0 ? principal : undefined });
        dead.close(false);
        expect(readdirSync(logDirectory).filter((name) => name.includes(deadLogs[index]!.logId)).length).toBe(1);
      }
      const leftover = directoryBytes();
      expect(leftover).toBeGreaterThan(perTenant);
      expect(leftover).toBeLessThan(bound);

      // The next process on that directory, while the database is still out: its replay at start fails.
      replicaC = createModelServing({ ...stack.platform.runtimes.models, scopes: runtime.scopes }, { stats: { logDirectory: directory, flushIntervalMs: 3_600_000, recoverIntervalMs: 3_600_000, maxBacklogBytes: bound, maxBacklogBytesPerTenant: perTenant } });
      const { runsOnC, predictOnC } = predictingThrough(stack, replicaC, (modelId) => byVersion(modelId, 1));
      await replicaC.stats.recover();
      // Everything in the directory that is not written counts: the dead processes' logs in all, acme's lines in them for acme.
      expect(replicaC.stats.backlog.held()).toBe(leftover);
      expect(replicaC.stats.backlog.held(acme.id)).toBe(leftover);
      expect(replicaC.stats.backlog.held(globex.id)).toBe(0);
      // acme's share is taken by its calls in the dead processes' logs: refused before anything runs.
      expect(await predictOnC(acme, acmeModel)).toEqual({ code: 'RATE_LIMITED', limit: 'inferenceStatsLogPerTenant' });
      // globex is served only within what the leftover leaves of the bound.
      let answered = 0;
      let refusal: unknown;
      for (let i = 0; i < 50 && refusal === undefined; i++) {
        const outcome = await predictOnC(globex, globexModel);
        if ('answered' in outcome) answered += 1;
        else refusal = outcome;
      }
      expect(refusal).toEqual({ code: 'SERVICE_UNAVAILABLE', limit: 'inferenceStatsLog' });
      expect(answered).toBeGreaterThan(0);
      expect(runsOnC).toEqual(Array<string>(answered).fill(globex.id));
      // The directory holds at most the bound and the one line admitted just under it.
      const lineBytes = 400;
      expect(directoryBytes()).toBeLessThan(bound + lineBytes);
      expect(replicaC.stats.backlog.held()).toBe(directoryBytes());

      // The database is back: the dead logs are replayed and removed, the live lines written; all are admitted again.
      await relay.on();
      await replicaC.stats.recover();
      await replicaC.stats.flush({ closeAll: true });
      expect(deadLogs.flatMap((dead) => readdirSync(logDirectory).filter((name) => name.includes(dead.logId)))).toEqual([]);
      expect(replicaC.stats.backlog.held()).toBe(0);
      expect(replicaC.stats.backlog.held(acme.id)).toBe(0);
      expect(await predictOnC(acme, acmeModel)).toEqual({ answered: 1 });
      await replicaC.stats.flush({ closeAll: true });
      expect(await statsOf(acme, acmeModel)).toEqual({ calls: 2 * 4 + 1, errors: 0 });
      expect(await auditedCalls(acme, acmeVersion.id)).toBe(2 * 4 + 1);
      expect(await statsOf(globex, globexModel)).toEqual({ calls: answered, errors: 0 });
    } finally {
      await replicaC?.close();
      await runtime.close();
      await relay.off();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
