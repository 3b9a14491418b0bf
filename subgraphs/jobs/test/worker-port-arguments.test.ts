import { randomUUID } from 'node:crypto';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { datasetJobPortClient } from '@tessera/datasets/ports';
import { jobsPortClient, type JobClaim } from '@tessera/jobs/ports';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { storedSizeOf, writePresignedObject } from '@tessera/storage';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearModel, newModel, uploadVersion } from '../../models/test/model-flow';
import { getJob, submitBatch, submitProfile, uploadDataset, type JobView } from './job-support';

/**
 * What a worker sends over its ports is checked like any other input: a malformed argument is a
 * typed error (BAD_USER_INPUT), nothing is written, and no call answers INTERNAL_SERVER_ERROR. Calls
 * are made as a worker makes them (mutual TLS, the shared pool's certificate and key, the claim's
 * grant); no worker runs, so the test decides what is reported.
 */
describe('worker ports: malformed arguments are typed errors and change nothing', () => {
  let stack: TestStack;
  let a: TestTenant;
  let scientistA: string;
  let jobA: string;
  let claim: Extract<JobClaim, { outcome: 'claimed' }>;
  const runToken = randomUUID();

  const ports = async () => {
    const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
    const workers = stack.pki.identity((await stack.workers.identity()).leaf);
    const url = (owner: 'jobs' | 'datasets') => stack.platform.subgraphs[owner].url;
    return {
      jobs: jobsPortClient({ baseUrl: url('jobs'), sign, fetch: mutualTlsPortFetch(workers, 'jobs') }),
      datasetJobs: datasetJobPortClient({ baseUrl: url('datasets'), sign, fetch: mutualTlsPortFetch(workers, 'datasets') }),
    };
  };
  const runner = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: 'args-test', sourceIp: undefined });
  const codeOf = (call: Promise<unknown>) => call.then(() => 'answered', (error: { code?: string }) => error.code);
  const jobView = async () => expectNoErrors(await stack.query<{ job: JobView }>(scientistA, getJob, { id: jobA })).job;

  beforeAll(async () => {
    stack = await startTestStack();
    a = await stack.createTenant({ limits: { costBurst: 60_000 } });
    scientistA = await a.token('data_scientist');
    const input = (await uploadDataset(stack, scientistA, 'input', 'a,b,c\n1,2,3\n4,5,6\n')).versionId;
    const model = await newModel(stack, scientistA, 'scorer');
    const modelVersion = (await uploadVersion(stack, scientistA, model, linearModel())).id;
    jobA = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(scientistA, submitBatch, {
        input: { datasetVersionId: input, modelVersionId: modelVersion, featureColumns: ['a', 'b', 'c'], outputDatasetName: 'scored' },
      }),
    ).submitBatchInferenceJob.id;
    const claimed = await (await ports()).jobs.claim(runner(a), { jobId: jobA, submission: 1, runToken, startSeq: 1, leaseMs: 30_000 });
    if (claimed.outcome !== 'claimed') throw new Error(`not claimed: ${claimed.outcome}`);
    claim = claimed;
  }, 120_000);
  afterAll(() => stack?.stop());

  it('registerJobOutput refuses a column profile no profiler makes (a type outside the enum failed every read of the version’s columns)', async () => {
    const { datasetJobs } = await ports();
    const body = Buffer.from('a,b,c,prediction\n1,2,3,0.5\n');
    const reserved = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: storedSizeOf(body.length) });
    const upload = await datasetJobs.openJobOutputUpload(claim.grant, { datasetId: reserved.datasetId, attempt: 1 });
    await writePresignedObject(upload.upload, body, { extraCa: stack.pki.ca });
    const column = (name: string) => ({ name, type: 'INTEGER', nullable: false, nullCount: 0 });
    const register = (columns: unknown[]) =>
      datasetJobs.registerJobOutput(claim.grant, {
        datasetId: reserved.datasetId,
        reservationId: reserved.reservationId,
        content: { objectKey: upload.objectKey, byteSize: body.length, storedSize: storedSizeOf(body.length), sha256: '0'.repeat(64), keyVersion: 1, profile: { columns: columns as never, rowCount: 1, byteSize: body.length } },
      });
    const bad: unknown[][] = [
      [{ name: 'a', type: 'BOGUS', nullable: false, nullCount: 0 }],
      [{ name: 5, type: 'INTEGER', nullable: false, nullCount: 0 }],
      [column('a'), null],
      [column('a'), column('a')],
      [column('')],
      [column(' a')],
      [column('x'.repeat(129))],
      [{ name: 'a', type: 'INTEGER', nullable: 'no', nullCount: 0 }],
      [{ name: 'a', type: 'INTEGER', nullable: true, nullCount: 2 }],
      [{ name: 'a', type: 'INTEGER', nullable: true, nullCount: -1 }],
      [],
      Array.from({ length: 1001 }, (_, i) => column(`c${i}`)),
    ];
    for (const columns of bad) expect([JSON.stringify(columns).slice(0, 80), await codeOf(register(columns))]).toEqual([JSON.stringify(columns).slice(0, 80), 'BAD_USER_INPUT']);
    // A plain size the stored object does not encrypt, or one its profile did not read.
    const sized = (byteSize: number, profileBytes: number) =>
      datasetJobs.registerJobOutput(claim.grant, {
        datasetId: reserved.datasetId,
        reservationId: reserved.reservationId,
        content: { objectKey: upload.objectKey, byteSize, storedSize: storedSizeOf(body.length), sha256: '0'.repeat(64), keyVersion: 1, profile: { columns: [column('a')] as never, rowCount: 1, byteSize: profileBytes } },
      });
    expect(await codeOf(sized(body.length * 1000, body.length * 1000))).toBe('BAD_USER_INPUT');
    expect(await codeOf(sized(body.length, 5))).toBe('BAD_USER_INPUT');
    // Nothing was registered: the dataset has no version, and its listing answers without errors.
    const listed = expectNoErrors(
      await stack.query<{ datasets: { edges: Array<{ node: { name: string; latestVersion: unknown } }> } }>(scientistA, `{ datasets { edges { node { name latestVersion { number columns { name type nullable nullCount } } } } } }`),
    );
    expect(listed.datasets.edges.find((edge) => edge.node.name === 'scored')?.node.latestVersion).toBeNull();
    // The profile a profiler makes is taken, and only its fields are kept.
    const good = [column('a'), column('b'), column('c'), { name: 'prediction', type: 'FLOAT', nullable: false, nullCount: 0, extra: 'x'.repeat(1000) }];
    const version = await register(good);
    const read = expectNoErrors(
      await stack.query<{ datasetVersion: { columns: unknown[] } }>(scientistA, `query($id: ID!) { datasetVersion(id: $id) { columns { name type nullable nullCount } } }`, { id: version.datasetVersionId }),
    );
    expect(read.datasetVersion.columns).toEqual([column('a'), column('b'), column('c'), { name: 'prediction', type: 'FLOAT', nullable: false, nullCount: 0 }]);
  });

  it('reserveJobOutput asked again in the same run answers the same reservation, or CONFLICT for other room (was INTERNAL_SERVER_ERROR)', async () => {
    const { datasetJobs } = await ports();
    const reservedBytes = async () => {
      const usage = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; reserved: number }> } }>(scientistA, `{ tenantUsage { quotas { name reserved } } }`));
      return usage.tenantUsage.quotas.find((quota) => quota.name === 'storageBytes')!.reserved;
    };
    const before = await reservedBytes();
    const first = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 100 });
    // A retry whose first answer was lost: the same reservation, counted once.
    expect(await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 100 })).toEqual(first);
    expect(await reservedBytes()).toBe(before + 100);
    await expect(datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 200 })).rejects.toMatchObject({ code: 'CONFLICT', extensions: { reason: 'OUTPUT_ALREADY_RESERVED' } });
    // Two at once: one reserves, the other answers the same reservation.
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: first.reservationId, objectKey: null });
    const both = await Promise.all([datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 100 }), datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 100 })]);
    expect(both).toEqual([first, first]);
    expect(await reservedBytes()).toBe(before + 100);
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: first.reservationId, objectKey: null });
    expect(await reservedBytes()).toBe(before);
  });

  it('a call whose input is null or not an object is BAD_USER_INPUT before the method runs (was INTERNAL_SERVER_ERROR)', async () => {
    const { jobs, datasetJobs } = await ports();
    for (const input of [null, 'x', [1], 5]) {
      const shown = JSON.stringify(input);
      expect([`jobs.progress ${shown}`, await codeOf(jobs.progress(runner(a), input as never))]).toEqual([`jobs.progress ${shown}`, 'BAD_USER_INPUT']);
      expect([`jobs.claim ${shown}`, await codeOf(jobs.claim(runner(a), input as never))]).toEqual([`jobs.claim ${shown}`, 'BAD_USER_INPUT']);
      expect([`datasets-job.discardJobOutput ${shown}`, await codeOf(datasetJobs.discardJobOutput(claim.grant, input as never))]).toEqual([`datasets-job.discardJobOutput ${shown}`, 'BAD_USER_INPUT']);
      expect([`datasets-job.registerJobOutput ${shown}`, await codeOf(datasetJobs.registerJobOutput(claim.grant, input as never))]).toEqual([`datasets-job.registerJobOutput ${shown}`, 'BAD_USER_INPUT']);
    }
    expect((await jobView()).status).toBe('RUNNING');
  });

  it('progress and finish refuse a phase over 64 characters, a progress that is no number, a loss history that is no list, metrics that are no map and a result JobResult cannot serve (all were INTERNAL_SERVER_ERROR or stored)', async () => {
    const { jobs } = await ports();
    const base = { jobId: jobA, runToken };
    const before = await jobView();
    const bad: Array<[string, Promise<unknown>]> = [
      ['long phase', jobs.progress(runner(a), { ...base, progress: 10, phase: 'x'.repeat(65) })],
      ['phase object', jobs.progress(runner(a), { ...base, progress: 10, phase: { a: 1 } as never })],
      ['progress text', jobs.progress(runner(a), { ...base, progress: 'abc' as never, phase: 'p' })],
      ['loss history object', jobs.progress(runner(a), { ...base, progress: 10, phase: 'p', lossHistory: { a: 1 } as never })],
      ['loss history too long', jobs.progress(runner(a), { ...base, progress: 10, phase: 'p', lossHistory: Array.from({ length: 2001 }, () => 1) })],
      ['metrics list', jobs.progress(runner(a), { ...base, progress: 10, phase: 'p', metrics: [1, 2] as never })],
      ['metrics text', jobs.progress(runner(a), { ...base, progress: 10, phase: 'p', metrics: 'abc' as never })],
      ['too many metrics', jobs.progress(runner(a), { ...base, progress: 10, phase: 'p', metrics: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`m${i}`, i])) })],
      ['finish long phase', jobs.finish(runner(a), { ...base, status: 'FAILED', error: { code: 'X', message: 'x' }, phase: 'y'.repeat(100) })],
      ['finish error object code', jobs.finish(runner(a), { ...base, status: 'FAILED', error: { code: { a: 1 }, message: 'x' } as never })],
      ['finish result list', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: [1, 2] as never })],
      // What JobResult cannot serve: each of these failed a field of every jobs read with INTERNAL_SERVER_ERROR.
      ['result: fractional count', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { datasetId: randomUUID(), predictedRows: -5.5 } })],
      ['result: text row count', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { profile: { rowCount: 'x', columns: [] } } })],
      ['result: column without a type', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { profile: { rowCount: 1, columns: [{ name: 'a', count: 1, nullCount: 0 }] } } })],
      ['result: count as text', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { profile: { rowCount: 1, columns: [{ name: 'a', type: 'STRING', count: 'abc', nullCount: 0 }] } } })],
      ['result: too many top values', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { profile: { rowCount: 1, columns: [{ name: 'a', type: 'STRING', count: 11, nullCount: 0, topValues: Array.from({ length: 11 }, (_, i) => ({ value: `v${i}`, count: 1, truncated: false })) }] } } })],
      ['result: id that is no id', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { modelVersionId: 'someone-else' } })],
      ['result: a field JobResult does not have', jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result: { padding: 'x'.repeat(100_000) } })],
      ['requeue error text', jobs.requeue(runner(a), { ...base, error: 'x' as never, retryInMs: 1000 })],
    ];
    for (const [what, call] of bad) expect([what, await codeOf(call)]).toEqual([what, 'BAD_USER_INPUT']);
    // Nothing was written: the job is as it was, still this run's.
    const after = await jobView();
    expect({ status: after.status, phase: after.phase, progress: after.progress, metrics: after.metrics, lossHistory: after.lossHistory }).toEqual({
      status: before.status,
      phase: before.phase,
      progress: before.progress,
      metrics: before.metrics,
      lossHistory: before.lossHistory,
    });
    expect(after.status).toBe('RUNNING');
    // A well-formed report and end are taken.
    expect(await jobs.progress(runner(a), { ...base, progress: 50, phase: 'x'.repeat(64), metrics: { rows: 1 }, lossHistory: [0.5] })).toBe('ok');
    const result = { datasetId: randomUUID(), datasetVersionId: randomUUID(), predictedRows: 1, skippedRows: 0 };
    expect(await jobs.finish(runner(a), { ...base, status: 'SUCCEEDED', result, phase: 'done' })).toBe(true);
    const finished = await jobView();
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.result).toMatchObject(result);
  });

  it("meters the run time a run reports with its outcome as the tenant's jobWorkerMs, at most the run's wall time since its claim; a time that is not a number of milliseconds is refused and ends nothing", async () => {
    const { jobs } = await ports();
    const version = (await uploadDataset(stack, scientistA, 'timed', 'x\n1\n')).versionId;
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientistA, submitProfile, { input: { datasetVersionId: version } })).submitProfileJob.id;
    const token = randomUUID();
    const before = Date.now();
    const claimed = await jobs.claim(runner(a), { jobId: job, submission: 1, runToken: token, startSeq: 2, leaseMs: 30_000 });
    expect(claimed.outcome).toBe('claimed');
    const meteredMs = async () => {
      for (const runtime of new Set(Object.values(stack.platform.runtimes))) await runtime.usage.flush();
      const rows = (await stack.adminQuery<Array<{ amount: string }>>(`SELECT amount FROM \`${a.schema}\`.usage_meters WHERE meter = 'jobWorkerMs'`)).map((row) => Number(row.amount));
      return rows.reduce((sum, amount) => sum + amount, 0);
    };
    const start = await meteredMs();
    for (const workerMs of [-1, 'soon', {}, [5]] as unknown[]) {
      expect(await codeOf(jobs.finish(runner(a), { jobId: job, runToken: token, status: 'FAILED', error: { code: 'X', message: 'x' }, workerMs: workerMs as number }))).toBe('BAD_USER_INPUT');
    }
    expect((await stack.query<{ job: JobView }>(scientistA, getJob, { id: job })).data?.job.status).toBe('RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A worker claiming a day of work for a run that lasted well under a minute.
    expect(await jobs.finish(runner(a), { jobId: job, runToken: token, status: 'FAILED', error: { code: 'X', message: 'x' }, workerMs: 86_400_000 })).toBe(true);
    const wall = Date.now() - before;
    const added = (await meteredMs()) - start;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThanOrEqual(wall + 1000);
  }, 60_000);
});
