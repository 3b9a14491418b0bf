import { TenantQuotas } from '@tessera/quotas';
import { createHash, randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type KeyLike } from 'jose';
import { createServiceTokenSigner, generateServiceKeyPair, jobGrantAudience, serviceTokenHeader, type JobGrantToken, type Principal } from '@tessera/auth';
import { datasetJobPortClient, datasetsPortClient } from '@tessera/datasets/ports';
import { jobsPortClient, type JobClaim } from '@tessera/jobs/ports';
import { modelJobPortClient } from '@tessera/models/ports';
import { FamilyKeys, mutualTlsPortFetch } from '@tessera/service-kit';
import { readPresignedObjectBuffer, storedSizeOf, writePresignedObject } from '@tessera/storage';
import { profileCsv } from '@tessera/tabular';
import { Readable } from 'node:stream';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearModel, newModel, uploadVersion } from '../../models/test/model-flow';
import { jobRows, submitBatch, uploadDataset, type JobView } from './job-support';

/**
 * A worker acts only within a job the jobs service handed it: the claim returns a grant signed by
 * the jobs service, and the datasets and models services take nothing but that grant from a
 * worker. These calls are made over mutual TLS with the workers' certificate and key, exactly as a
 * worker process makes them, against the real services, s3rver and MariaDB; no worker runs, so
 * the test decides what is claimed.
 */
describe('job grants: a worker reads and writes only what its job names, in its job’s tenant', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  const csvA = 'a,b,c\n1,2,3\n4,5,6\n';
  let inputA: string;
  let otherA: string;
  let inputB: string;
  let modelVersionA: string;
  let otherModelVersionA: string;
  let jobA: string;
  let claim: Extract<JobClaim, { outcome: 'claimed' }>;
  const runToken = randomUUID();

  const ports = async () => {
    const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
    const workers = stack.pki.identity((await stack.workers.identity()).leaf);
    const fetchOf = (owner: 'jobs' | 'datasets' | 'models') => mutualTlsPortFetch(workers, owner);
    const url = (owner: 'jobs' | 'datasets' | 'models') => stack.platform.subgraphs[owner].url;
    return {
      jobs: jobsPortClient({ baseUrl: url('jobs'), sign, fetch: fetchOf('jobs') }),
      datasets: datasetsPortClient({ baseUrl: url('datasets'), sign, fetch: fetchOf('datasets') }),
      datasetJobs: datasetJobPortClient({ baseUrl: url('datasets'), sign, fetch: fetchOf('datasets') }),
      modelJobs: modelJobPortClient({ baseUrl: url('models'), sign, fetch: fetchOf('models') }),
    };
  };
  const objectFetch = () => ({ extraCa: stack.pki.ca });
  /** The role-less principal a worker claims with: only the tenant of the queue. */
  const runner = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: 'grant-test', sourceIp: undefined });

  /** A grant signed with `key` (the jobs service's, or another), with any claims: for forged and expired grants. */
  async function signGrant(key: KeyLike, claims: { tenantId: string; datasetVersionIds: string[]; expiresIn: number }): Promise<JobGrantToken> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      tid: claims.tenantId,
      jid: jobA,
      rtk: runToken,
      roles: ['admin'],
      rid: 'forged',
      res: { datasetVersionIds: claims.datasetVersionIds, modelVersionIds: [], outputDatasetName: 'forged', trainedModelName: 'forged' },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'tessera-job-grant+jwt' })
      .setIssuer('jobs')
      .setSubject('mallory')
      .setAudience(jobGrantAudience)
      .setIssuedAt(now - 120)
      .setExpirationTime(now + claims.expiresIn)
      .sign(key);
  }

  beforeAll(async () => {
    stack = await startTestStack();
    a = await stack.createTenant({ limits: { costBurst: 60_000 } });
    b = await stack.createTenant({ limits: { costBurst: 60_000 } });
    const [scientistA, scientistB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    inputA = (await uploadDataset(stack, scientistA, 'input', csvA)).versionId;
    otherA = (await uploadDataset(stack, scientistA, 'other', 'a,b,c\n7,8,9\n')).versionId;
    inputB = (await uploadDataset(stack, scientistB, 'input', 'a,b,c\n0,0,0\n')).versionId;
    const modelA = await newModel(stack, scientistA, 'scorer');
    modelVersionA = (await uploadVersion(stack, scientistA, modelA, linearModel())).id;
    otherModelVersionA = (await uploadVersion(stack, scientistA, await newModel(stack, scientistA, 'other-scorer'), linearModel())).id;
    // No worker runs: the job stays QUEUED until this test claims it.
    jobA = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(scientistA, submitBatch, {
        input: { datasetVersionId: inputA, modelVersionId: modelVersionA, featureColumns: ['a', 'b', 'c'], outputDatasetName: 'scored' },
      }),
    ).submitBatchInferenceJob.id;
    const claimed = await (await ports()).jobs.claim(runner(a), { jobId: jobA, submission: 1, runToken, startSeq: 1, leaseMs: 30_000 });
    if (claimed.outcome !== 'claimed') throw new Error(`not claimed: ${claimed.outcome}`);
    claim = claimed;
  }, 120_000);
  afterAll(() => stack?.stop());

  it("the claim hands out a grant that lives about two leases and names the job's principal and inputs", async () => {
    expect(claim.grant.split('.')).toHaveLength(3);
    const lifetimeMs = Date.parse(claim.grantExpiresAt) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(45_000);
    expect(lifetimeMs).toBeLessThanOrEqual(60_000);
    const payload = JSON.parse(Buffer.from(claim.grant.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({
      tid: a.id,
      jid: jobA,
      rtk: runToken,
      sub: claim.runAs.subject,
      roles: ['data_scientist'],
      res: { datasetVersionIds: [inputA], modelVersionIds: [modelVersionA], outputDatasetName: 'scored', trainedModelName: null },
    });
  });

  it("with the grant: reads the job's input and model, and writes and registers the job's output", async () => {
    const { datasetJobs, modelJobs } = await ports();
    const opened = await datasetJobs.openVersionContent(claim.grant, { datasetVersionId: inputA });
    expect(opened.version).toMatchObject({ id: inputA, rowCount: 2 });
    expect((await readPresignedObjectBuffer(opened.content, objectFetch())).toString('utf8')).toBe(csvA);

    const model = await modelJobs.openVersionContent(claim.grant, { modelVersionId: modelVersionA });
    const onnx = await readPresignedObjectBuffer(model.content, objectFetch());
    expect(createHash('sha256').update(onnx).digest('hex')).toBe(model.version.sha256);

    const body = Buffer.from('a,b,c,prediction\n1,2,3,4.5\n', 'utf8');
    const output = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: storedSizeOf(body.length) });
    const upload = await datasetJobs.openJobOutputUpload(claim.grant, { datasetId: output.datasetId, attempt: 1 });
    expect(upload.objectKey).toBe(`datasets/${output.datasetId}/job-${jobA}-a1.csv`);
    const stored = await writePresignedObject(upload.upload, body, objectFetch());
    const profile = await profileCsv(Readable.from([body]), { maxRows: 10, maxBytes: body.length + 1 });
    const content = { objectKey: upload.objectKey, byteSize: body.length, storedSize: stored.storedSize, sha256: createHash('sha256').update(body).digest('hex'), keyVersion: stored.keyVersion, profile };
    const version = await datasetJobs.registerJobOutput(claim.grant, { datasetId: output.datasetId, reservationId: output.reservationId, content });
    const rows = (await stack.platform.runtime.db.query(`SELECT v.id, v.source_job_id, v.created_by, d.name FROM \`${a.schema}\`.dataset_versions v JOIN \`${a.schema}\`.datasets d ON d.id = v.dataset_id WHERE v.id = ?`, [
      version.datasetVersionId,
    ])) as Array<Record<string, string>>;
    expect(rows).toEqual([{ id: version.datasetVersionId, source_job_id: jobA, created_by: claim.runAs.subject, name: 'scored' }]);

    // What the worker encrypted with the seal is what the datasets service reads with the tenant's data key.
    const owner = await stack.platform.runtimes.datasets.scopes.forPrincipal({ ...runner(a), roles: ['viewer'] });
    // Under the output dataset's own key (wrapped by the tenant's data key), as every dataset object.
    const datasetKey = new FamilyKeys(owner, { table: 'dataset_keys', idColumn: 'dataset_id' }).resolver(output.datasetId);
    expect(await owner.bucket.getDecryptedBuffer(upload.objectKey, datasetKey)).toEqual(body);
    // The registered version's object survives a later attempt's clean-up and a discard naming it.
    // (Registering settled the reservation: without a new one there is no upload URL.)
    await expect(datasetJobs.openJobOutputUpload(claim.grant, { datasetId: output.datasetId, attempt: 2 })).rejects.toMatchObject({ code: 'CONFLICT', extensions: { reason: 'OUTPUT_NOT_RESERVED' } });
    await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: storedSizeOf(body.length) });
    const later = await datasetJobs.openJobOutputUpload(claim.grant, { datasetId: output.datasetId, attempt: 2 });
    expect(later.objectKey).toBe(`datasets/${output.datasetId}/job-${jobA}-a2.csv`);
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey: upload.objectKey });
    expect(await owner.bucket.getDecryptedBuffer(upload.objectKey, datasetKey)).toEqual(body);
  });

  it('with the same grant: no other dataset version of A, none of B, no other model, no other output', async () => {
    const { datasetJobs, modelJobs } = await ports();
    const refused = { code: 'FORBIDDEN' };
    await expect(datasetJobs.openVersionContent(claim.grant, { datasetVersionId: otherA })).rejects.toMatchObject(refused);
    await expect(datasetJobs.openVersionContent(claim.grant, { datasetVersionId: inputB })).rejects.toMatchObject(refused);
    await expect(modelJobs.openVersionContent(claim.grant, { modelVersionId: otherModelVersionA })).rejects.toMatchObject(refused);
    // A batch-inference job trains nothing.
    await expect(modelJobs.registerTrainedVersion(claim.grant, { onnxBase64: Buffer.from(linearModel()).toString('base64'), datasetVersionId: inputA })).rejects.toMatchObject(refused);
    // Another dataset of A is not the job's output, nor is an object outside the job's own keys.
    const otherDatasetId = ((await stack.platform.runtime.db.query(`SELECT dataset_id FROM \`${a.schema}\`.dataset_versions WHERE id = ?`, [otherA])) as Array<{ dataset_id: string }>)[0]!.dataset_id;
    await expect(datasetJobs.openJobOutputUpload(claim.grant, { datasetId: otherDatasetId, attempt: 1 })).rejects.toMatchObject(refused);
    const output = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 10 });
    const content = { objectKey: `datasets/${output.datasetId}/someone-else.csv`, byteSize: 1, storedSize: 1, sha256: '0'.repeat(64), keyVersion: 1, profile: { columns: [], rowCount: 0, byteSize: 1 } };
    await expect(datasetJobs.registerJobOutput(claim.grant, { datasetId: output.datasetId, reservationId: output.reservationId, content })).rejects.toMatchObject(refused);
    await expect(datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey: `datasets/${otherDatasetId}/job-${jobA}-a1.csv` })).rejects.toMatchObject(refused);
    // Only its own run's storage reservation: another reservation of the tenant (say, a pending
    // upload's, or another job's) cannot be committed or released with this grant.
    const otherReservation = await new TenantQuotas(await stack.platform.runtimes.datasets.scopes.forPrincipal({ ...runner(a), roles: ['data_scientist'] })).reserve('storageBytes', 10);
    await expect(datasetJobs.discardJobOutput(claim.grant, { reservationId: otherReservation.id, objectKey: null })).rejects.toMatchObject(refused);
    await expect(datasetJobs.registerJobOutput(claim.grant, { datasetId: output.datasetId, reservationId: otherReservation.id, content })).rejects.toMatchObject(refused);
    await otherReservation.release();
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey: null });
  });

  it("a discard naming the job's prefix and then `..` segments is refused: no object of B (nor another of A) is removed", async () => {
    const { datasetJobs } = await ports();
    const output = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: 10 });
    const keyOf = async (tenant: TestTenant, versionId: string) =>
      ((await stack.platform.runtime.db.query(`SELECT object_key FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`, [versionId])) as Array<{ object_key: string }>)[0]!.object_key;
    const objectOfB = await keyOf(b, inputB);
    const objectOfA = await keyOf(a, otherA);
    const store = stack.platform.runtime.objectStore;
    const present = async (bucket: string, key: string) => (await store.statObject(bucket, key).then(() => true, () => false));
    expect(await present(b.bucket, objectOfB)).toBe(true);
    const prefix = `datasets/${output.datasetId}/job-${jobA}-`;
    // Up out of the job's prefix, the dataset, `datasets/` and A's bucket, into B's (a store that
    // keeps objects as files, s3rver, resolves the segments); and up into A's other dataset.
    const outcomes: string[] = [];
    for (const objectKey of [`${prefix}/../../../../${b.bucket}/${objectOfB}`, `${prefix}/../../../${objectOfA}`, `${prefix}/./../../../${objectOfA}`]) {
      outcomes.push(await datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey }).then(() => 'done', (error: { code?: string }) => String(error.code)));
    }
    expect({ b: await present(b.bucket, objectOfB), a: await present(a.bucket, objectOfA) }).toEqual({ b: true, a: true });
    expect(outcomes).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey: null });
  });

  it('the presigned PUT of a job output takes exactly the room the run reserved, no more and no less', async () => {
    const { datasetJobs } = await ports();
    const usedBefore = ((await stack.platform.runtime.db.query(`SELECT used FROM \`${a.schema}\`.quota_usage WHERE quota = 'storageBytes'`)) as Array<{ used: string }>)[0]!.used;
    const body = Buffer.from('a,b,c,prediction\n1,2,3,4.5\n', 'utf8');
    const output = await datasetJobs.reserveJobOutput(claim.grant, { storedBytes: storedSizeOf(body.length) });
    const upload = await datasetJobs.openJobOutputUpload(claim.grant, { datasetId: output.datasetId, attempt: 7 });
    const put = (bytes: Buffer) => writePresignedObject(upload.upload, bytes, objectFetch()).then(() => 'stored', (error: { code?: string }) => String(error.code));
    const storedBytes = () => stack.platform.runtime.objectStore.statObject(a.bucket, upload.objectKey).then((stat) => stat.size, () => 0);
    // A worker that reserved room for 27 bytes sends 4 MiB (or 1 byte) to the URL, then would
    // never register nor discard it: bytes in the tenant's bucket that no quota counts.
    expect({ large: await put(Buffer.alloc(4 * 1024 * 1024, 0x61)), small: await put(Buffer.from('a')), stored: await storedBytes() }).toEqual({ large: 'FORBIDDEN', small: 'FORBIDDEN', stored: 0 });
    // What it reserved, it may write.
    expect(await put(body)).toBe('stored');
    expect(await storedBytes()).toBe(storedSizeOf(body.length));
    await datasetJobs.discardJobOutput(claim.grant, { reservationId: output.reservationId, objectKey: upload.objectKey });
    expect(await storedBytes()).toBe(0);
    expect(((await stack.platform.runtime.db.query(`SELECT used FROM \`${a.schema}\`.quota_usage WHERE quota = 'storageBytes'`)) as Array<{ used: string }>)[0]!.used).toBe(usedBefore);
  });

  it('refuses a forged, a tampered and an expired grant, and a grant of one tenant naming another’s version finds nothing', async () => {
    const { datasetJobs } = await ports();
    const impostor = (await importJWK((await generateServiceKeyPair()).privateJwk, 'ES256')) as KeyLike;
    const forged = await signGrant(impostor, { tenantId: a.id, datasetVersionIds: [otherA], expiresIn: 60 });
    await expect(datasetJobs.openVersionContent(forged, { datasetVersionId: otherA })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('grant-invalid') });

    // The real grant with its resources widened: the signature no longer matches.
    const [header, payload, signature] = claim.grant.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { res: { datasetVersionIds: string[] } };
    claims.res.datasetVersionIds.push(otherA);
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(datasetJobs.openVersionContent(tampered, { datasetVersionId: otherA })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('grant-invalid') });

    const jobsKey = (await importJWK(stack.config.jobsServiceKeys!.privateJwk, 'ES256')) as KeyLike;
    const expired = await signGrant(jobsKey, { tenantId: a.id, datasetVersionIds: [inputA], expiresIn: -60 });
    await expect(datasetJobs.openVersionContent(expired, { datasetVersionId: inputA })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('grant-expired') });
    // Control: the same claims, unexpired, pass: the refusal above is the expiry.
    expect((await datasetJobs.openVersionContent(await signGrant(jobsKey, { tenantId: a.id, datasetVersionIds: [inputA], expiresIn: 60 }), { datasetVersionId: inputA })).version.id).toBe(inputA);
    // Even a grant the jobs service signed reaches only its own tenant: B's id is not in A's data.
    const acrossTenants = await signGrant(jobsKey, { tenantId: a.id, datasetVersionIds: [inputB], expiresIn: 60 });
    await expect(datasetJobs.openVersionContent(acrossTenants, { datasetVersionId: inputB })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(datasetJobs.openVersionContent('', { datasetVersionId: inputA })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('grant-missing') });
  });

  it('refuses a call that names an actor: on the job ports outright, on the actor ports by their allow-lists', async () => {
    const { datasets } = await ports();
    await expect(datasets.findVersionForJob({ ...runner(a), subject: claim.runAs.subject, roles: ['admin'] }, { datasetVersionId: inputA })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const body = JSON.stringify({ actor: { tenantId: a.id, subject: claim.runAs.subject, roles: ['admin'], requestId: 'r' }, grant: claim.grant, input: { datasetVersionId: inputA } });
    const token = await (await createServiceTokenSigner('workers', stack.workerServiceKey))({ port: 'datasets-job', body });
    const response = await mutualTlsPortFetch(stack.pki.identity((await stack.workers.identity()).leaf), 'datasets')(`${stack.platform.subgraphs.datasets.url}/internal/ports/datasets-job/openVersionContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [serviceTokenHeader]: token },
      body,
    });
    expect(response.status).toBe(403);
    expect(JSON.parse(await response.text())).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('actor-refused') }] });
  });

  it("an output written while its dataset is being deleted is discarded with the job's reservation: no object outlives the dataset", async () => {
    const { jobs, datasetJobs } = await ports();
    const scientistA = await a.token('data_scientist');
    const jobId = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(scientistA, submitBatch, {
        input: { datasetVersionId: inputA, modelVersionId: modelVersionA, featureColumns: ['a', 'b', 'c'], outputDatasetName: 'scored-then-deleted' },
      }),
    ).submitBatchInferenceJob.id;
    const outputRunToken = randomUUID();
    const claimed = await jobs.claim(runner(a), { jobId, submission: 1, runToken: outputRunToken, startSeq: 1, leaseMs: 30_000 });
    if (claimed.outcome !== 'claimed') throw new Error(`not claimed: ${claimed.outcome}`);
    const storageOf = async () => {
      const rows = (await stack.platform.runtime.db.query(`SELECT used FROM \`${a.schema}\`.quota_usage WHERE quota = 'storageBytes'`)) as Array<{ used: string | number }>;
      const reserved = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${a.schema}\`.quota_reservations`)) as Array<{ n: string | number }>;
      return { used: Number(rows[0]!.used), reservations: Number(reserved[0]!.n) };
    };
    const before = await storageOf();

    const body = Buffer.from('a,b,c,prediction\n1,2,3,4.5\n', 'utf8');
    const output = await datasetJobs.reserveJobOutput(claimed.grant, { storedBytes: storedSizeOf(body.length) });
    const upload = await datasetJobs.openJobOutputUpload(claimed.grant, { datasetId: output.datasetId, attempt: 1 });
    // The output dataset is deleted while the job is still writing: its objects are listed and
    // removed before this object lands, and its rows are gone when the job registers it.
    expectNoErrors(await stack.query(await a.token('admin'), 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: output.datasetId }));
    const stored = await writePresignedObject(upload.upload, body, objectFetch());
    const profile = await profileCsv(Readable.from([body]), { maxRows: 10, maxBytes: body.length + 1 });
    const content = { objectKey: upload.objectKey, byteSize: body.length, storedSize: stored.storedSize, sha256: createHash('sha256').update(body).digest('hex'), keyVersion: stored.keyVersion, profile };
    await expect(datasetJobs.registerJobOutput(claimed.grant, { datasetId: output.datasetId, reservationId: output.reservationId, content })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    // What the worker does when registering fails: discard its object and its reservation.
    await datasetJobs.discardJobOutput(claimed.grant, { reservationId: output.reservationId, objectKey: upload.objectKey });
    const objects: string[] = [];
    for await (const item of stack.platform.runtime.objectStore.listObjectsV2(a.bucket, `datasets/${output.datasetId}/`, true)) if (item.name) objects.push(item.name);
    expect(objects).toEqual([]);
    expect(await storageOf()).toEqual(before);
    // Still only the job's own objects: a key outside its prefix under the deleted dataset is refused.
    await expect(datasetJobs.discardJobOutput(claimed.grant, { reservationId: output.reservationId, objectKey: `datasets/${output.datasetId}/someone-else.csv` })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await jobs.finish(runner(a), { jobId, runToken: outputRunToken, status: 'FAILED', result: {} }).catch(() => undefined);
  });

  it('renews the grant only for the run that owns the job; after the job finishes there is no new grant', async () => {
    const { jobs, datasetJobs } = await ports();
    const renewed = await jobs.renewGrant(runner(a), { jobId: jobA, runToken, leaseMs: 30_000 });
    expect(renewed).toMatchObject({ outcome: 'renewed' });
    if (renewed.outcome !== 'renewed') return;
    expect((await datasetJobs.openVersionContent(renewed.grant, { datasetVersionId: inputA })).version.id).toBe(inputA);
    expect(await jobs.renewGrant(runner(a), { jobId: jobA, runToken: randomUUID() })).toEqual({ outcome: 'lost' });
    expect(await jobs.renewGrant(runner(b), { jobId: jobA, runToken })).toEqual({ outcome: 'lost' });
    expect(await jobs.finish(runner(a), { jobId: jobA, runToken, status: 'SUCCEEDED', result: {} })).toBe(true);
    expect(await jobs.renewGrant(runner(a), { jobId: jobA, runToken })).toEqual({ outcome: 'lost' });
    expect((await jobRows(stack, a)).find((row) => row['id'] === jobA)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
