import { createHash, randomBytes } from 'node:crypto';
import { FamilyKeys } from '@tessera/service-kit';
import { ensureLocalPki, startS3Server, type RunningS3Server } from '@tessera/local-infra';
import { buildLinearRegression, onnxFixtures } from '@tessera/onnx';
import { expectNoErrors, startTestStack, TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { retryJob, submitBatch, uploadDataset, waitForStatus, type JobView } from './job-support';
import { newModel, uploadVersion } from '../../models/test/model-flow';

const mib = 1024 * 1024;

/**
 * A batch inference's output is streamed to the store, never held whole by the worker: the bytes are
 * the ones it wrote when it held them (quoting, skipped rows, several values per row), a worker whose
 * heap is a fraction of the dataset completes it, and a store that fails in the middle of the upload
 * leaves no version, no object and no reservation. The object store sits behind a TCP relay the test
 * can make cut large uploads.
 */
describe('jobs: batch inference output streamed to the store', () => {
  let s3: RunningS3Server;
  let relay: TcpSwitch;
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let admin: string;

  beforeAll(async () => {
    const pki = ensureLocalPki();
    const credentials = { accessKey: `relayed${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
    s3 = await startS3Server({ ...credentials, tls: pki.identity('s3') });
    const target = new URL(s3.endpoint);
    relay = new TcpSwitch(target.hostname, Number(target.port));
    await relay.on();
    // Retries of a store outage 0.1 s apart, not 1 s: the cut upload's job is retried (4 attempts,
    // the same as with the default) before it FAILS, and nothing here is about how long the waits are.
    stack = await startTestStack({ objectStore: { endpoint: `https://${target.hostname}:${relay.port}`, ...credentials }, jobRetryBackoffMs: 100 });
    tenant = await stack.createTenant({ limits: { costBurst: 60_000, maxUploadBytes: 256 * mib } });
    [scientist, admin] = await Promise.all([tenant.token('data_scientist'), tenant.token('admin')]);
  });
  afterAll(async () => {
    await stack?.stop();
    await relay?.off();
    await s3?.close();
  });

  /** The registered output version: its row, and its content decrypted from the tenant's bucket. */
  async function outputOf(datasetVersionId: string): Promise<{ row: { dataset_id: string; object_key: string; byte_size: number; stored_size: number; sha256: string; row_count: number }; content: Buffer }> {
    const [row] = (await stack.platform.runtime.db.query(
      `SELECT dataset_id, object_key, byte_size, stored_size, sha256, row_count FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`,
      [datasetVersionId],
    )) as Array<{ dataset_id: string; object_key: string; byte_size: number; stored_size: number; sha256: string; row_count: number }>;
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 't', sourceIp: undefined });
    const content = await scope.bucket.getDecryptedBuffer(row!.object_key, new FamilyKeys(scope, { table: 'dataset_keys', idColumn: 'dataset_id' }).resolver(row!.dataset_id));
    return { row: row!, content };
  }

  it('writes byte for byte what the whole-output version wrote: quoted cells, multi-byte text, skipped rows, several values per row (and a first row with no prediction as wide as the others); size, sha256 and profile describe those bytes', async () => {
    const worker = await stack.workers.start({ concurrency: 1 });
    try {
      const doubler = await newModel(stack, scientist, 'doubler');
      const doublerVersion = (await uploadVersion(stack, scientist, doubler, buildLinearRegression({ weights: [2], bias: 1 }))).id;
      const csv = ['x,label,note', '1,a,plain', '0.1,"b,c","say ""hi"""', ',d,"line1\nline2"', '1e39,e,é😀', '2.5,f,', '-3,"",""""'].join('\n') + '\n';
      const { versionId } = await uploadDataset(stack, scientist, 'quoted', csv);
      const batch = expectNoErrors(await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId: doublerVersion, featureColumns: ['x'] } })).submitBatchInferenceJob;
      const scored = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED']);
      expect(scored.error).toBeNull();
      expect(scored.result).toMatchObject({ predictedRows: 4, skippedRows: 2 });
      const expected = ['x,label,note,prediction', '1,a,plain,3', '0.1,"b,c","say ""hi""",1.2', ',d,"line1\nline2",', '1e39,e,é😀,', '2.5,f,,6', '-3,,"""",-5'].join('\n') + '\n';
      const { row, content } = await outputOf(scored.result!.datasetVersionId!);
      expect(content.toString('utf8')).toBe(expected);
      expect(row).toMatchObject({ byte_size: Buffer.byteLength(expected), sha256: createHash('sha256').update(expected).digest('hex'), row_count: 6 });
      const view = expectNoErrors(
        await stack.query<{ datasetVersion: { columns: Array<{ name: string; type: string; nullable: boolean }> } }>(scientist, 'query($id: ID!) { datasetVersion(id: $id) { columns { name type nullable } } }', { id: scored.result!.datasetVersionId }),
      ).datasetVersion;
      expect(view.columns).toEqual([
        { name: 'x', type: 'FLOAT', nullable: true },
        { name: 'label', type: 'STRING', nullable: true },
        { name: 'note', type: 'STRING', nullable: true },
        { name: 'prediction', type: 'FLOAT', nullable: true },
      ]);

      // Three values per row, over more rows than one piece of the stream (64 KiB) holds: rows with
      // no prediction get three empty cells, the others the value three times. The first row has none:
      // it is read before the model's first answer says how many values a row gets (the whole-output
      // version gave it one empty cell, and its output failed to parse).
      const fanOut = await newModel(stack, scientist, 'fan-out-3');
      const fanOutVersion = (await uploadVersion(stack, scientist, fanOut, onnxFixtures.buildFanOutModel(3))).id;
      const rows = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? ['', `r${i}`] : [String(i / 8), `"row, ${i}"`]));
      const { versionId: manyRows } = await uploadDataset(stack, scientist, 'many-rows', `x,name\n${rows.map((r) => r.join(',')).join('\n')}\n`);
      const wide = expectNoErrors(await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: manyRows, modelVersionId: fanOutVersion, featureColumns: ['x'] } })).submitBatchInferenceJob;
      const wideDone = await waitForStatus(stack, scientist, wide.id, ['SUCCEEDED', 'FAILED']);
      expect(wideDone.error).toBeNull();
      const skipped = rows.filter((r) => r[0] === '').length;
      expect(wideDone.result).toMatchObject({ predictedRows: rows.length - skipped, skippedRows: skipped });
      const wideExpected = `x,name,prediction_0,prediction_1,prediction_2\n${rows.map(([x, name]) => `${x},${name},${x === '' ? ',,' : `${x},${x},${x}`}`).join('\n')}\n`;
      const wideOutput = await outputOf(wideDone.result!.datasetVersionId!);
      expect(wideOutput.content.toString('utf8')).toBe(wideExpected);
      expect(wideOutput.row).toMatchObject({ byte_size: Buffer.byteLength(wideExpected), sha256: createHash('sha256').update(wideExpected).digest('hex'), row_count: rows.length });
    } finally {
      await worker.stop();
    }
  });

  it('a batch inference whose predictions would pass the bound a worker keeps is refused: at submit when the model declares its width, in the worker (FAILED, nothing registered) when it learns it from the first answer', async () => {
    // The worker's bound is set low (BATCH_INFERENCE_MAX_PREDICTION_VALUES) so that passing it takes
    // 10^5 values, not the default 2^24; the submit check is the platform's default.
    // 1 000 rows × 20 000 values per row: 2 × 10^7 predictions, over the 2^24 kept at most.
    const rows = Array.from({ length: 1000 }, (_, i) => `${i % 10}`);
    const { versionId } = await uploadDataset(stack, scientist, 'wide-predictions', `x\n${rows.join('\n')}\n`);
    const declared = await newModel(stack, scientist, 'fan-out-declared');
    const declaredVersion = (await uploadVersion(stack, scientist, declared, onnxFixtures.buildFanOutModel(20_000))).id;
    const before = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.jobs`)) as Array<{ n: number }>;
    const refused = await stack.query(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId: declaredVersion, featureColumns: ['x'] } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'datasetVersionId' });
    expect(refused.errors?.[0]?.message).toContain('20000 values per row');
    const after = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.jobs`)) as Array<{ n: number }>;
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));

    const symbolic = await newModel(stack, scientist, 'fan-out-symbolic');
    // 2 000 values per row, a width the file leaves to the first answer: 1 000 rows pass 10^5 at the 51st.
    const symbolicVersion = (await uploadVersion(stack, scientist, symbolic, onnxFixtures.buildFanOutModel(2_000, 'width'))).id;
    const worker = await stack.workers.start({ concurrency: 1, env: { BATCH_INFERENCE_MAX_PREDICTION_VALUES: '100000' } });
    try {
      const batch = expectNoErrors(
        await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId: symbolicVersion, featureColumns: ['x'], outputDatasetName: 'too-wide' } }),
      ).submitBatchInferenceJob;
      const failed = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED'], 120_000);
      expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'BAD_USER_INPUT' } });
      expect(failed.error!.message).toContain('2000 values per row');
      expect(failed.error!.message).toContain('at most 100000');
      const versions = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.dataset_versions WHERE source_job_id = ?`, [batch.id])) as unknown[];
      expect(versions).toEqual([]);
      const named = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.datasets WHERE name = 'too-wide'`)) as unknown[];
      expect(named).toEqual([]);
    } finally {
      await worker.stop();
    }
  }, 300_000);

  it('a worker with a small heap (64 MiB; 96 MiB run from source) completes a batch inference whose output, held whole, would not fit in it (holding it, several times the dataset, aborted such a worker)', async () => {
    // 17 000 rows of about 2 KB: ~ 34 MB of CSV. Holding the output (the lines, their join, a Buffer
    // and its encryption: several times the dataset, over 100 MB) cannot fit in what the heap leaves
    // free; streaming it must. A worker run from TypeScript source (jest without the build) holds
    // about 47 MB of its heap before any job, one from the build far less: the source-run worker gets
    // 96 MiB, so both have under half of the whole output free, and neither spends the test
    // collecting garbage at its limit (at 64 MiB a source-run worker ran out of heap, or answered
    // its ports too late, on a loaded machine). Wide rows keep the bytes while the per-row work
    // (parsing, batching, predicting) stays small for the suite's time.
    const heapMb = process.env['TESSERA_CHILD_PROCESSES'] === 'compiled' ? 64 : 96;
    const rowCount = 17_000;
    const pad = 'p'.repeat(2_000);
    const parts: string[] = ['id,x,pad'];
    for (let i = 0; i < rowCount; i++) parts.push(`${i},${(i % 1000) / 10},${pad}`);
    const csv = parts.join('\n') + '\n';
    parts.length = 0;
    // The output held whole is at least three copies of the dataset's bytes: more than the whole heap.
    expect(3 * Buffer.byteLength(csv)).toBeGreaterThan(heapMb * mib);
    const model = await newModel(stack, scientist, 'doubler-large');
    const modelVersionId = (await uploadVersion(stack, scientist, model, buildLinearRegression({ weights: [2], bias: 1 }))).id;
    const { versionId } = await uploadDataset(stack, scientist, 'large', csv);

    const worker = await stack.workers.start({ concurrency: 1, env: { NODE_OPTIONS: `--max-old-space-size=${heapMb}` } });
    try {
      const batch = expectNoErrors(await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId, featureColumns: ['x'] } })).submitBatchInferenceJob;
      // A worker that runs out of heap dies (SIGABRT): that ends the wait at once.
      const died = worker.exited.then((code) => {
        throw new Error(`the worker died (${code}) running the batch inference`);
      });
      const done = await Promise.race([waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED'], 600_000), died]);
      expect(done.error).toBeNull();
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { predictedRows: rowCount, skippedRows: 0 } });
      const { row, content } = await outputOf(done.result!.datasetVersionId!);
      expect(row).toMatchObject({ row_count: rowCount, byte_size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
      const lines = content.toString('utf8').split('\n');
      expect(lines[0]).toBe('id,x,pad,prediction');
      expect(lines[1]).toBe(`0,0,${pad},1`);
      const last = ((rowCount - 1) % 1000) / 10;
      expect(lines[rowCount]).toBe(`${rowCount - 1},${last},${pad},${String(Number(Math.fround(Math.fround(last) * 2 + 1).toPrecision(7)))}`);
    } finally {
      await worker.stop();
    }
  }, 900_000);

  it('a store that fails in the middle of the upload: the job FAILS typed, with no version, no object left and the reservation released; once the store is whole, a retry succeeds', async () => {
    const model = await newModel(stack, scientist, 'doubler-cut');
    const modelVersionId = (await uploadVersion(stack, scientist, model, buildLinearRegression({ weights: [2], bias: 1 }))).id;
    // ~ 1.3 MB of output: every upload of it is cut after 1 MiB, well into its body (a cut anywhere in
    // it is the failure the test is about); the requests before it are far smaller. Each failed attempt
    // reads the dataset twice, and the queue retries a store outage before the job FAILS, so the rows
    // are only as many as it takes to pass the cut.
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i % 100},${'q'.repeat(60)}`);
    const { versionId } = await uploadDataset(stack, scientist, 'to-cut', `x,pad\n${rows.join('\n')}\n`);
    const worker = await stack.workers.start({ concurrency: 1 });
    relay.cutUploadsOver(mib);
    try {
      const batch = expectNoErrors(
        await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, { input: { datasetVersionId: versionId, modelVersionId, featureColumns: ['x'], outputDatasetName: 'cut-output' } }),
      ).submitBatchInferenceJob;
      const failed = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED'], 120_000);
      expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'SERVICE_UNAVAILABLE', message: 'The object store is not reachable.' } });
      const [output] = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.datasets WHERE name = 'cut-output'`)) as Array<{ id: string }>;
      const versions = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.dataset_versions WHERE source_job_id = ?`, [batch.id])) as unknown[];
      expect(versions).toEqual([]);
      const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 't', sourceIp: undefined });
      // The reservation made the output dataset; the cut upload left nothing in it.
      expect(output).toBeDefined();
      expect(await scope.bucket.listKeys(`datasets/${output!.id}/`)).toEqual([]);
      const usage = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; reserved: number }> } }>(admin, '{ tenantUsage { quotas { name reserved } } }'));
      expect(usage.tenantUsage.quotas.find((q) => q.name === 'storageBytes')).toEqual({ name: 'storageBytes', reserved: 0 });

      relay.cutUploadsOver(undefined);
      expectNoErrors(await stack.query(scientist, retryJob, { id: batch.id }));
      const done = await waitForStatus(stack, scientist, batch.id, ['SUCCEEDED', 'FAILED'], 120_000);
      expect(done.error).toBeNull();
      const { content } = await outputOf(done.result!.datasetVersionId!);
      expect(content.toString('utf8')).toBe(`x,pad,prediction\n${rows.map((r) => `${r},${2 * Number(r.split(',')[0]) + 1}`).join('\n')}\n`);
    } finally {
      relay.cutUploadsOver(undefined);
      await worker.stop();
    }
  }, 300_000);
});
