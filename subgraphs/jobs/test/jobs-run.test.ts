/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import * as ort from 'onnxruntime-node';
import { FamilyKeys } from '@tessera/service-kit';
import { onnxFixtures } from '@tessera/onnx';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import {
  cancelJob,
  jobRows,
  jobView,
  linearCsv,
  queueCounts,
  recordJobEvents,
  retryJob,
  submitBatch,
  submitProfile,
  submitTraining,
  uploadDataset,
  waitForStatus,
  type JobView,
} from './job-support';
import { mlpByHand, mlpModel, newModel, uploadVersion } from '../../models/test/model-flow';

/**
 * The three job kinds end to end: submitted through the gateway, run by a real worker process
 * (child process, real MariaDB, Redis, S3), results checked against known answers.
 */
describe('jobs: running PROFILE, TRAIN and BATCH_INFERENCE in a worker', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;

  beforeAll(async () => {
    stack = await startTestStack();
    // Polls and drives volume on purpose: a minute's burst, so the gateway's burst limit (tested in
    // gateway/test/rate-limit.test.ts) does not pace this test. Provisioned while the worker starts.
    [tenant] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.workers.start({ concurrency: 2 })]);
    scientist = await tenant.token('data_scientist');
  });
  afterAll(() => stack?.stop());

  it('PROFILE: per-column statistics of a dataset version, with every transition persisted and published', async () => {
    const csv = ['n,f,s,b,e', '1,1.5,red,true,', '2,2.5,blue,false,x', '3,,red,true,', '4,4.5,green,,y', '10,0.5,red,false,'].join('\n') + '\n';
    const { versionId } = await uploadDataset(stack, scientist, 'profiled', csv);
    const recorder = await recordJobEvents(stack, tenant.id);
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect(submitted).toMatchObject({ kind: 'PROFILE', status: 'QUEUED', progress: 0, attempts: 0, input: { datasetVersionId: versionId, columns: null } });
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    await recorder.close();
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'SUCCEEDED', progress: 100, attempts: 1 });
    const columns = Object.fromEntries(done.result!.profile!.columns.map((c) => [c['name'], c]));
    expect(done.result!.profile!.rowCount).toBe(5);
    expect(columns['n']).toMatchObject({ type: 'INTEGER', count: 5, nullCount: 0, min: 1, max: 10, mean: 4 });
    expect(columns['n']!['stddev']).toBeCloseTo(Math.sqrt((9 + 4 + 1 + 0 + 36) / 4), 10);
    expect(columns['f']).toMatchObject({ type: 'FLOAT', count: 4, nullCount: 1, min: 0.5, max: 4.5, mean: 2.25 });
    expect(columns['b']).toMatchObject({ type: 'BOOLEAN', count: 4, nullCount: 1, min: 0, max: 1, mean: 0.5 });
    expect(columns['s']).toMatchObject({
      type: 'STRING',
      count: 5,
      nullCount: 0,
      distinctEstimate: 3,
      distinctExact: true,
      topValues: [
        { value: 'red', count: 3 },
        { value: 'blue', count: 1 },
        { value: 'green', count: 1 },
      ],
      min: null,
      mean: null,
    });
    expect(columns['e']).toMatchObject({ count: 2, nullCount: 3, distinctEstimate: 2 });

    const mine = recorder.events.filter((e) => e.jobId === submitted.id);
    expect(mine.map((e) => e.status)).toEqual(expect.arrayContaining(['QUEUED', 'RUNNING', 'SUCCEEDED']));
    expect(mine.map((e) => e.status).indexOf('RUNNING')).toBeLessThan(mine.map((e) => e.status).lastIndexOf('SUCCEEDED'));
    expect(mine.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 100, kind: 'PROFILE', error: null });

    await stack.drainAudit(tenant.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT action FROM \`${tenant.schema}\`.audit_events WHERE target_id = ?`, [submitted.id])) as Array<{ action: string }>;
    expect(audit.map((a) => a.action)).toEqual(['job.submit']);
    expect(await queueCounts(stack, tenant.id)).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  it('PROFILE: finite values near the ends of the double range still get a mean and a standard deviation (no NaN stored as null)', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'profiled-extremes', 'wide,large\n1e308,1e200\n-1e308,3e200\n');
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    const columns = Object.fromEntries(done.result!.profile!.columns.map((c) => [c['name'], c as { type: string; min: number; max: number; mean: number | null; stddev: number | null }]));
    expect(columns['wide']).toMatchObject({ type: 'FLOAT', min: -1e308, max: 1e308, mean: 0 });
    expect(columns['wide']!.stddev! / (Math.SQRT2 * 1e308)).toBeCloseTo(1, 10);
    expect(columns['large']!.mean! / 2e200).toBeCloseTo(1, 10);
    expect(columns['large']!.stddev! / (Math.SQRT2 * 1e200)).toBeCloseTo(1, 10);
  });

  it('PROFILE: a constant column, values far from zero, one value, no value: exact hand-computed statistics', async () => {
    // c: 123.456 six times. k: 1e9 + {4, 7, 13, 16}, two empty (mean 1e9 + 10; squared deviations
    // 36 + 9 + 9 + 36 = 90, sample variance 90 / 3 = 30). one: a single 5. none: every cell empty.
    const csv = ['c,k,one,none', '123.456,1000000004,5,', '123.456,1000000007,,', '123.456,,,', '123.456,1000000013,,', '123.456,,,', '123.456,1000000016,,'].join('\n') + '\n';
    const { versionId } = await uploadDataset(stack, scientist, 'profiled-exact', csv);
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    expect(done.result!.profile!.rowCount).toBe(6);
    const columns = Object.fromEntries(done.result!.profile!.columns.map((c) => [c['name'], c]));
    // The mean of equal values is that value and their spread is exactly 0 (not an ulp off, not 1e-15).
    expect(columns['c']).toMatchObject({ type: 'FLOAT', count: 6, nullCount: 0, min: 123.456, max: 123.456, mean: 123.456, stddev: 0 });
    expect(columns['k']).toMatchObject({ type: 'INTEGER', count: 4, nullCount: 2, min: 1000000004, max: 1000000016, mean: 1000000010 });
    expect(columns['k']!['stddev']).toBeCloseTo(Math.sqrt(30), 12);
    expect(columns['one']).toMatchObject({ type: 'INTEGER', count: 1, nullCount: 5, min: 5, max: 5, mean: 5, stddev: 0 });
    expect(columns['none']).toMatchObject({ type: 'STRING', count: 0, nullCount: 6, min: null, mean: null, stddev: null, distinctEstimate: 0, distinctExact: true, topValues: [] });
  });

  it('PROFILE: a top value is reported by its first 128 characters and counted whole; values of 1 MiB make a small result', async () => {
    const long = 'é' + 'x'.repeat(200); // 201 characters
    const astral = 'y'.repeat(127) + '😀' + 'z'; // 129 characters (130 UTF-16 units): cut after the emoji
    const twinA = 'a'.repeat(128) + '1'; // same first 128 characters as twinB, another value
    const twinB = 'a'.repeat(128) + '2';
    const exact = 'b'.repeat(128); // exactly 128: whole
    const csv = ['s', long, long, long, 'red', 'red', astral, twinA, twinB, exact].join('\n') + '\n';
    const { versionId } = await uploadDataset(stack, scientist, 'profiled-long-values', csv);
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    const column = done.result!.profile!.columns[0]!;
    expect(column).toMatchObject({ name: 's', type: 'STRING', count: 9, nullCount: 0, distinctEstimate: 6, distinctExact: true });
    expect(column['topValues']).toEqual([
      { value: 'é' + 'x'.repeat(127), count: 3, truncated: true },
      { value: 'red', count: 2, truncated: false },
      { value: 'a'.repeat(128), count: 1, truncated: true },
      { value: 'a'.repeat(128), count: 1, truncated: true },
      { value: exact, count: 1, truncated: false },
      { value: 'y'.repeat(127) + '😀', count: 1, truncated: true },
    ]);

    // 18 columns of one 1 MiB value each: the whole values made an 18 MiB result, which the jobs
    // service's port refused (the job FAILED); cut, the result is a few kilobytes.
    const wide = Array.from({ length: 18 }, (_, i) => `c${i}`);
    const big = `${wide.join(',')}\n${wide.map((name) => name + 'v'.repeat(1024 * 1024 - 8)).join(',')}\n`;
    const bigVersion = await uploadDataset(stack, scientist, 'profiled-huge-values', big);
    const bigJob = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: bigVersion.versionId } })).submitProfileJob;
    const bigDone = await waitForStatus(stack, scientist, bigJob.id, ['SUCCEEDED', 'FAILED']);
    expect(bigDone).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(bigDone.result!.profile!.columns.map((c) => c['topValues'])).toEqual(wide.map((name) => [{ value: name + 'v'.repeat(128 - name.length), count: 1, truncated: true }]));
  });

  it('TRAIN: linear regression on a synthetic CSV recovers the coefficients, registers a model version with lineage that predicts sensibly', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'linear', linearCsv(1000));
    const submitted = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
        input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName: 'house-prices', hyperParameters: { epochs: 60 } },
      }),
    ).submitTrainingJob;
    // Defaults resolved at submit: every other numeric column (the STRING column is left out).
    expect(submitted.input).toMatchObject({ featureColumns: ['x1', 'x2', 'x3'], modelType: 'LINEAR_REGRESSION', hyperParameters: { epochs: 60, batchSize: 32, activation: 'RELU' } });
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    const result = done.result!;
    expect(result.weights![0]).toBeCloseTo(3, 1);
    expect(result.weights![1]).toBeCloseTo(-2, 1);
    expect(result.weights![2]).toBeCloseTo(0.5, 2);
    expect(result.bias!).toBeCloseTo(4, 0);
    expect(Math.abs(result.bias! - 4)).toBeLessThan(0.1);
    expect(done.lossHistory).toHaveLength(60);
    expect(done.lossHistory.at(-1)!).toBeLessThan(done.lossHistory[0]!);
    expect(done.metrics).toEqual(expect.arrayContaining([{ name: 'epoch', value: 60 }]));

    const versions = (await stack.platform.runtime.db.query(
      `SELECT v.id, v.model_id, v.object_key, v.dataset_version_id, v.job_id, m.name FROM \`${tenant.schema}\`.model_versions v JOIN \`${tenant.schema}\`.models m ON m.id = v.model_id WHERE v.job_id = ?`,
      [submitted.id],
    )) as Array<{ id: string; model_id: string; object_key: string; dataset_version_id: string; job_id: string; name: string }>;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ id: result.modelVersionId, dataset_version_id: versionId, name: 'house-prices' });

    // The registered bytes themselves (decrypted from the tenant's bucket) predict y.
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
    // Under the model's own key (the models service's FamilyKeys table), resolved as the models service does.
    const onnx = await scope.bucket.getDecryptedBuffer(versions[0]!.object_key, new FamilyKeys(scope, { table: 'model_keys', idColumn: 'model_id' }).resolver(versions[0]!.model_id));
    const session = await ort.InferenceSession.create(new Uint8Array(onnx));
    const output = await session.run({ input: new ort.Tensor('float32', Float32Array.from([1, 1, 10, -2, 3, 50]), [2, 3]) });
    const predictions = Array.from(output['output']!.data as Float32Array);
    expect(predictions[0]).toBeCloseTo(3 - 2 + 5 + 4, 0);
    expect(Math.abs(predictions[1]! - (-6 - 6 + 25 + 4))).toBeLessThan(0.2);

    // BATCH_INFERENCE with that version over another dataset: predictions become a new dataset version.
    const rows = ['x1,x2,x3,y', '1,1,10,', '-2,3,50,', '0,0,0,', '2,,7,'];
    const { versionId: scoringVersion } = await uploadDataset(stack, scientist, 'to-score', `${rows.join('\n')}\n`);
    const batch = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: scoringVersion, modelVersionId: result.modelVersionId } }),
    ).submitBatchInferenceJob;
    expect(batch.input).toMatchObject({ featureColumns: ['x1', 'x2', 'x3'], predictionColumn: 'prediction', outputDatasetName: 'to-score-predictions' });
    const scored = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED']);
    expect(scored.error).toBeNull();
    expect(scored.result).toMatchObject({ predictedRows: 3 });
    const view = expectNoErrors(
      await stack.query<{ datasetVersion: { rowCount: number; dataset: { id: string; name: string }; columns: Array<{ name: string; type: string }>; preview: { columns: string[]; rows: string[][] } } }>(
        scientist,
        `query($id: ID!) { datasetVersion(id: $id) { rowCount dataset { id name } columns { name type } preview(limit: 10) { columns rows } } }`,
        { id: scored.result!.datasetVersionId },
      ),
    ).datasetVersion;
    expect(view.dataset).toEqual({ id: scored.result!.datasetId, name: 'to-score-predictions' });
    expect(view.rowCount).toBe(4);
    expect(view.preview.columns).toEqual(['x1', 'x2', 'x3', 'y', 'prediction']);
    const predicted = view.preview.rows.map((row) => row[4]!);
    expect(Number(predicted[0])).toBeCloseTo(10, 0);
    expect(Math.abs(Number(predicted[1]) - 17)).toBeLessThan(0.2);
    expect(Math.abs(Number(predicted[2]) - 4)).toBeLessThan(0.1);
    expect(predicted[3]).toBe(''); // a row with a missing feature gets no prediction
    expect(view.columns.find((c) => c.name === 'prediction')?.type).toBe('FLOAT');
    const lineage = (await stack.platform.runtime.db.query(`SELECT source_job_id FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`, [scored.result!.datasetVersionId])) as Array<{ source_job_id: string }>;
    expect(lineage[0]?.source_job_id).toBe(batch.id);
  });

  it('BATCH_INFERENCE with a model giving several values per row writes one column each; a feature no float32 holds gets no prediction and is counted as skipped', async () => {
    const modelId = await newModel(stack, scientist, 'two-scores');
    const modelVersionId = (await uploadVersion(stack, scientist, modelId, mlpModel())).id;
    const rows = ['x1,x2,x3', '1,2,3', '1e39,1,1', '-1,0.5,2', '3.4e38,-3.4e38,1', ',1,1'];
    const { versionId } = await uploadDataset(stack, scientist, 'two-scores-input', `${rows.join('\n')}\n`);
    // An alias beside a version would be stored as if it had chosen it.
    const both = await stack.query(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId, alias: 'production' } });
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'alias' });
    const clash = await uploadDataset(stack, scientist, 'has-prediction-1', 'x1,x2,x3,prediction_1\n1,2,3,0\n');
    expect((await stack.query(scientist, submitBatch, { input: { datasetVersionId: clash.versionId, modelVersionId, featureColumns: ['x1', 'x2', 'x3'] } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'predictionColumn' });
    // Column names are unique ignoring case (the CSV header rule): a clash in another case was queued,
    // ran the whole inference, and only then failed as its output's header was refused.
    const otherCase = await stack.query(scientist, submitBatch, { input: { datasetVersionId: clash.versionId, modelVersionId, featureColumns: ['x1', 'x2', 'x3'], predictionColumn: 'Prediction' } });
    expect(otherCase.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'predictionColumn' });
    expect(otherCase.errors?.[0]?.message).toContain('"prediction_1"');
    const batch = expectNoErrors(await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId } })).submitBatchInferenceJob;
    const scored = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED']);
    expect(scored.error).toBeNull();
    // 1e39 is beyond float32; 3.4e38 is within it (its answer is finite here or it is skipped as not finite).
    const view = expectNoErrors(
      await stack.query<{ datasetVersion: { preview: { columns: string[]; rows: string[][] } } }>(scientist, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 10) { columns rows } } }`, { id: scored.result!.datasetVersionId }),
    ).datasetVersion;
    expect(view.preview.columns).toEqual(['x1', 'x2', 'x3', 'prediction_0', 'prediction_1']);
    const [first, overflow, third, huge, empty] = view.preview.rows;
    expect(mlpByHand([1, 2, 3]).map((value, i) => Math.abs(Number(first![3 + i]) - value) < 1e-4)).toEqual([true, true]);
    expect(mlpByHand([-1, 0.5, 2]).map((value, i) => Math.abs(Number(third![3 + i]) - value) < 1e-4)).toEqual([true, true]);
    expect(overflow!.slice(3)).toEqual(['', '']);
    expect(empty!.slice(3)).toEqual(['', '']);
    const hugePredicted = huge![3] !== '';
    expect(scored.result).toMatchObject({ predictedRows: hugePredicted ? 3 : 2, skippedRows: hugePredicted ? 2 : 3 });
  });

  it('BATCH_INFERENCE with a model answering 200 values per row runs as many rows at a time as fit the output cap per call, and every row gets its answer', async () => {
    const modelId = await newModel(stack, scientist, 'fan-out-200');
    const modelVersionId = (await uploadVersion(stack, scientist, modelId, onnxFixtures.buildFanOutModel(200))).id;
    // 1 500 rows × 200 values: a first run of 2 048 rows (all 1 500 here) would answer 300 000 values,
    // over the pools' 262 144 per call. The job learns the width from one row, then runs 1 310 rows at
    // a time: one full run and a shorter last one, as with more rows.
    const rows = ['x', ...Array.from({ length: 1500 }, (_, i) => String(i))];
    const { versionId } = await uploadDataset(stack, scientist, 'fan-out-input', `${rows.join('\n')}\n`);
    const batch = expectNoErrors(await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId } })).submitBatchInferenceJob;
    const scored = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED']);
    expect(scored.error).toBeNull();
    expect(scored.result).toMatchObject({ predictedRows: 1500, skippedRows: 0 });
    const view = expectNoErrors(
      await stack.query<{ datasetVersion: { rowCount: number; preview: { columns: string[]; rows: string[][] } } }>(scientist, `query($id: ID!) { datasetVersion(id: $id) { rowCount preview(limit: 3) { columns rows } } }`, { id: scored.result!.datasetVersionId }),
    ).datasetVersion;
    expect(view.rowCount).toBe(1500);
    expect(view.preview.columns).toEqual(['x', ...Array.from({ length: 200 }, (_, k) => `prediction_${k}`)]);
    // Expand copies each row's value into its 200 answers.
    view.preview.rows.forEach((row, i) => expect(row).toEqual([String(i), ...Array.from({ length: 200 }, () => String(i))]));
  });

  it('cancel: a queued job is removed at once, a running one stops between epochs; retry runs a new attempt; the concurrency limit holds', async () => {
    const limited = await stack.createTenant({ limits: { maxConcurrentJobs: 1, costBurst: 60_000 } });
    const token = await limited.token('data_scientist');
    const { versionId } = await uploadDataset(stack, token, 'long', linearCsv(3000));
    const long = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(token, submitTraining, {
        input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'MLP', hyperParameters: { epochs: 2000, hiddenUnits: [64, 32], batchSize: 8 } },
      }),
    ).submitTrainingJob;
    await waitForStatus(stack, token, long.id, ['RUNNING']);
    // The worker has a free slot, but the tenant's limit is 1 running job: this one waits.
    const queued = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(token, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect((await jobView(stack, token, queued.id)).status).toBe('QUEUED');

    const cancelledQueued = expectNoErrors(await stack.query<{ cancelJob: JobView }>(token, cancelJob, { id: queued.id })).cancelJob;
    expect(cancelledQueued).toMatchObject({ status: 'CANCELLED', attempts: 0 });
    expect(await queueCounts(stack, limited.id)).toMatchObject({ waiting: 0 });

    const epochBefore = await waitForEpoch(token, long.id);
    const cancelling = expectNoErrors(await stack.query<{ cancelJob: JobView }>(token, cancelJob, { id: long.id })).cancelJob;
    expect(cancelling).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    const cancelled = await waitForStatus(stack, token, long.id, ['CANCELLED', 'SUCCEEDED', 'FAILED']);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.lossHistory.length).toBeGreaterThanOrEqual(epochBefore);
    expect(cancelled.lossHistory.length).toBeLessThan(2000);
    const models = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${limited.schema}\`.model_versions`)) as Array<{ n: number }>;
    expect(Number(models[0]!.n)).toBe(0);

    // Cancelling again is a conflict; retrying the cancelled queued job runs it as a new attempt.
    expect((await stack.query(token, cancelJob, { id: queued.id })).errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    const retried = expectNoErrors(await stack.query<{ retryJob: JobView }>(token, retryJob, { id: queued.id })).retryJob;
    expect(retried).toMatchObject({ status: 'QUEUED', progress: 0, cancelRequested: false });
    const rerun = await waitForStatus(stack, token, queued.id, ['SUCCEEDED', 'FAILED']);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect((await stack.query(token, retryJob, { id: queued.id })).errors?.[0]?.extensions?.['code']).toBe('CONFLICT');

    // The two jobs never ran at the same time (limit 1): the profile started after the training ended.
    const rows = await jobRows(stack, limited);
    const byId = Object.fromEntries(rows.map((r) => [r['id'] as string, r]));
    expect(new Date(byId[queued.id]!['started_at'] as Date).getTime()).toBeGreaterThanOrEqual(new Date(byId[long.id]!['finished_at'] as Date).getTime());

    await stack.drainAudit(limited.id);
    const audit = (await stack.platform.runtime.db.query(`SELECT action, target_id FROM \`${limited.schema}\`.audit_events WHERE action LIKE 'job.%' ORDER BY seq`)) as Array<{ action: string; target_id: string }>;
    expect(audit.map((a) => `${a.action}:${a.target_id === long.id ? 'long' : 'queued'}`)).toEqual(['job.submit:long', 'job.submit:queued', 'job.cancel:queued', 'job.cancel:long', 'job.retry:queued']);
  });

  it('a cancel racing the worker\'s progress reports ends every attempt CANCELLED, never FAILED (cancel, retry, cancel again, twenty times)', async () => {
    const racer = await stack.createTenant({ limits: { costBurst: 60_000 } });
    const token = await racer.token('data_scientist');
    const { versionId } = await uploadDataset(stack, token, 'race', linearCsv(150));
    const job = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(token, submitTraining, {
        input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'MLP', hyperParameters: { epochs: 2000, hiddenUnits: [64, 32], batchSize: 8 } },
      }),
    ).submitTrainingJob;
    // Epochs of 150 rows take milliseconds: the worker writes progress while each cancel locks the row.
    // The cancels land at different points of a run: queued, starting, and between epochs.
    const endings: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      if (attempt > 0) expectNoErrors(await stack.query(token, retryJob, { id: job.id }));
      if (attempt % 4 === 0) await waitForStatus(stack, token, job.id, ['RUNNING']);
      else await sleep((attempt % 4) * 60);
      expectNoErrors(await stack.query(token, cancelJob, { id: job.id }));
      const ended = await waitForStatus(stack, token, job.id, ['CANCELLED', 'SUCCEEDED', 'FAILED']);
      endings.push(ended.error ? `${ended.status} ${ended.error.code}` : ended.status);
    }
    expect(endings).toEqual(Array.from({ length: 20 }, () => 'CANCELLED'));
  });

  it('a job failing on its data is FAILED with a typed error, without retries; retryJob runs it again as a new attempt', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'not-binary', linearCsv(50));
    const submitted = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, { input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LOGISTIC_REGRESSION' } }),
    ).submitTrainingJob;
    const failed = await waitForStatus(stack, scientist, submitted.id, ['FAILED', 'SUCCEEDED']);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'BAD_USER_INPUT' } });
    expect(failed.error!.message).toMatch(/0 and 1/);
    const again = expectNoErrors(await stack.query<{ retryJob: JobView }>(scientist, retryJob, { id: submitted.id })).retryJob;
    expect(again).toMatchObject({ status: 'QUEUED', error: null });
    expect(await waitForStatus(stack, scientist, submitted.id, ['FAILED', 'SUCCEEDED'])).toMatchObject({ status: 'FAILED', attempts: 2, error: { code: 'BAD_USER_INPUT' } });
  });

  it('a training run that diverges (documented-valid learning rate 10 on 15 iris rows) ends FAILED TRAINING_DIVERGED, registers no model version and stores no NaN', async () => {
    const iris = ['sepal_length,sepal_width,petal_length,petal_width', '5.1,3.5,1.4,0.2', '4.9,3.0,1.4,0.2', '4.7,3.2,1.3,0.2', '4.6,3.1,1.5,0.2', '5.0,3.6,1.4,0.2',
      '7.0,3.2,4.7,1.4', '6.4,3.2,4.5,1.5', '6.9,3.1,4.9,1.5', '5.5,2.3,4.0,1.3', '6.5,2.8,4.6,1.5', '6.3,3.3,6.0,2.5', '5.8,2.7,5.1,1.9', '7.1,3.0,5.9,2.1', '6.3,2.9,5.6,1.8', '6.5,3.0,5.8,2.2'];
    const { versionId } = await uploadDataset(stack, scientist, 'iris-diverging', `${iris.join('\n')}\n`);
    for (const modelType of ['LINEAR_REGRESSION', 'MLP']) {
      const modelName = `diverged-${modelType.toLowerCase()}`;
      const submitted = expectNoErrors(
        await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
          input: { datasetVersionId: versionId, targetColumn: 'petal_width', modelType, modelName, hyperParameters: { epochs: 200, learningRate: 10 } },
        }),
      ).submitTrainingJob;
      const ended = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
      expect({ modelType, status: ended.status, attempts: ended.attempts, code: ended.error?.code, result: ended.result }).toEqual({ modelType, status: 'FAILED', attempts: 1, code: 'TRAINING_DIVERGED', result: null });
      expect(ended.error!.message).toMatch(/diverged/);
      expect(ended.error!.message).toMatch(/learningRate \(it was 10\)/);
      // What was stored is the part of the run that had a loss: finite numbers only, never a null.
      expect(ended.lossHistory.every((loss) => Number.isFinite(loss))).toBe(true);
      const [row] = await stack.adminQuery<Array<{ loss_history_json: unknown; metrics_json: unknown }>>(`SELECT loss_history_json, metrics_json FROM \`${tenant.schema}\`.jobs WHERE id = ?`, [submitted.id]);
      // The driver may hand JSON columns over parsed or as text: compared as text either way.
      const stored = [row!.loss_history_json, row!.metrics_json].map((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
      expect(stored[0]).toMatch(/^\[[^\]]+\]$/); // the epochs before it diverged
      expect(stored.join(' ')).not.toMatch(/null/);
      const models = await stack.adminQuery<unknown[]>(`SELECT id FROM \`${tenant.schema}\`.models WHERE name = ?`, [modelName]);
      const versions = await stack.adminQuery<unknown[]>(`SELECT id FROM \`${tenant.schema}\`.model_versions WHERE job_id = ?`, [submitted.id]);
      expect({ modelType, models: models.length, versions: versions.length }).toEqual({ modelType, models: 0, versions: 0 });
    }
  });

  it('a row an older version left with nulls where the loss was NaN is read without them: job and the jobs page still answer', async () => {
    const reader = await tenant.token('viewer');
    const { versionId } = await uploadDataset(stack, scientist, 'old-nan-row', linearCsv(20));
    const submitted = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, { input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', hyperParameters: { epochs: 3 } } }),
    ).submitTrainingJob;
    await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    // As JSON.stringify stored a run whose loss became NaN at its third epoch.
    await stack.adminQuery(`UPDATE \`${tenant.schema}\`.jobs SET loss_history_json = ?, metrics_json = ? WHERE id = ?`, ['[2.5,1.25,null,null]', '{"epoch":4,"loss":null}', submitted.id]);

    const one = await stack.query<{ job: { id: string; lossHistory: number[]; metrics: Array<{ name: string; value: number }> | null } }>(
      reader,
      'query($id: ID!) { job(id: $id) { id lossHistory metrics { name value } } }',
      { id: submitted.id },
    );
    expect(one.errors).toBeUndefined();
    expect(one.data?.job).toEqual({ id: submitted.id, lossHistory: [2.5, 1.25], metrics: [{ name: 'epoch', value: 4 }] });

    const page = await stack.query<{ jobs: { edges: Array<{ node: { id: string; lossHistory: number[]; metrics: Array<{ name: string; value: number }> | null } }> } }>(
      reader,
      'query { jobs(first: 100) { edges { node { id lossHistory metrics { name value } } } } }',
    );
    expect(page.errors).toBeUndefined();
    expect(page.data?.jobs.edges.length).toBeGreaterThan(1);
    expect(page.data?.jobs.edges.find((edge) => edge.node.id === submitted.id)?.node).toEqual({ id: submitted.id, lossHistory: [2.5, 1.25], metrics: [{ name: 'epoch', value: 4 }] });
  });

  async function waitForEpoch(token: string, id: string): Promise<number> {
    for (;;) {
      const job = await jobView(stack, token, id);
      if (job.lossHistory.length >= 2) return job.lossHistory.length;
      if (job.status !== 'RUNNING') throw new Error(`job ended early: ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});
