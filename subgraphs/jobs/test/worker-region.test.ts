import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { datasetJobPortClient } from '@tessera/datasets/ports';
import { jobsPortClient, type JobClaim } from '@tessera/jobs/ports';
import { modelJobPortClient } from '@tessera/models/ports';
import { certificateRegion, dedicatedWorkerIdentity, mutualTlsPortFetch, type TlsIdentity } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearModel, newModel, uploadVersion } from '../../models/test/model-flow';
import { submitBatch, uploadDataset, type JobView } from './job-support';

/**
 * Data residency at the ports: a worker's region is part of its authenticated identity (its
 * certificate names it, `urn:tessera:region:<region>`), and the jobs, datasets and models ports
 * serve a worker only the tenants whose current region is that one. Two regions on one stack
 * (us-east-1, the home region, and eu-west-1); no worker process runs, so the test makes every call
 * over mutual TLS with the credentials a worker of each region holds: the shared pool's one
 * SERVICE_KEY, and the certificate of its region.
 */
describe("worker region: the ports serve a worker only its certificate's region's tenants", () => {
  let stack: TestStack;
  let us: TestTenant;
  let eu: TestTenant;
  const jobs = new Map<string, { jobId: string; datasetVersionId: string; modelVersionId: string }>();

  const urlOf = (owner: 'jobs' | 'datasets' | 'models') => stack.platform.subgraphs[owner].url;
  /** The role-less principal a worker claims with: only the tenant of the queue. */
  const runner = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: `region-${randomUUID()}`, sourceIp: undefined });
  const claimInput = (jobId: string) => ({ jobId, submission: 1, runToken: randomUUID(), startSeq: 1, leaseMs: 30_000 });
  /** A finish under a run token nobody holds: false, and nothing written, when the caller may act for the tenant. */
  const strayFinish = (jobId: string) => ({ jobId, runToken: randomUUID(), status: 'FAILED' as const, error: { code: 'X', message: 'x' } });
  const otherRegion = { code: 'FORBIDDEN', extensions: { reason: 'tenant-other-region' } };

  function clients(identity: TlsIdentity, sign: Awaited<ReturnType<typeof createServiceTokenSigner>>) {
    return {
      jobs: jobsPortClient({ baseUrl: urlOf('jobs'), sign, fetch: mutualTlsPortFetch(identity, 'jobs') }),
      datasetJobs: datasetJobPortClient({ baseUrl: urlOf('datasets'), sign, fetch: mutualTlsPortFetch(identity, 'datasets') }),
      modelJobs: modelJobPortClient({ baseUrl: urlOf('models'), sign, fetch: mutualTlsPortFetch(identity, 'models') }),
    };
  }

  /** The shared pool's workers of `region` (the `workers` certificate of that region and SERVICE_KEY); `undefined`: the `workers` certificate that names no region. */
  async function sharedPoolOf(region: string | undefined) {
    const identity = stack.pki.identity(region === undefined ? 'workers' : (await stack.workers.identity(undefined, region)).leaf);
    return clients(identity, await createServiceTokenSigner('workers', stack.workerServiceKey));
  }

  /** A dedicated tenant's workers holding a certificate of `region`. */
  async function dedicatedOf(tenant: TestTenant, region: string) {
    const { files } = await stack.workers.identity(tenant.id, region);
    const identity = { ca: stack.pki.ca, cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
    return clients(identity, await createServiceTokenSigner(dedicatedWorkerIdentity(tenant.id), createPrivateKey(identity.key).export({ format: 'jwk' }) as JWK));
  }

  async function statusOf(tenant: TestTenant, jobId: string): Promise<string> {
    const view = expectNoErrors(await stack.query<{ job: { status: string } }>(await tenant.token('viewer'), `query($id: ID!) { job(id: $id) { status } }`, { id: jobId }));
    return view.job.status;
  }

  /** The platform security log's refused port calls that named `tenant`. */
  async function deniedFor(tenant: TestTenant): Promise<Array<{ tenant: string | null; target: string; caller: unknown; callerRegion: unknown; reason: unknown }>> {
    const schema = stack.config.database.controlSchema;
    const rows = await stack.adminQuery<Array<{ tenant_id: string | null; target_id: string; details_json: unknown }>>(
      `SELECT tenant_id, target_id, details_json FROM ${schema}.security_outbox WHERE action = 'port.call.denied'
       UNION ALL SELECT tenant_id, target_id, details_json FROM ${schema}.security_events WHERE action = 'port.call.denied'`,
    );
    return rows
      .map((row) => ({ row, details: (typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as Record<string, unknown> }))
      .filter(({ details }) => details['requestedTenant'] === tenant.id)
      .map(({ row, details }) => ({ tenant: row.tenant_id, target: row.target_id, caller: details['caller'], callerRegion: details['callerRegion'], reason: details['reason'] }));
  }

  /** A queued batch inference job of `tenant` (its input dataset version and its model version). */
  async function queueBatchJob(tenant: TestTenant): Promise<{ jobId: string; datasetVersionId: string; modelVersionId: string }> {
    const scientist = await tenant.token('data_scientist');
    const datasetVersionId = (await uploadDataset(stack, scientist, `input-${randomUUID().slice(0, 8)}`, 'a,b,c\n1,2,3\n4,5,6\n')).versionId;
    const modelVersionId = (await uploadVersion(stack, scientist, await newModel(stack, scientist, `scorer-${randomUUID().slice(0, 8)}`), linearModel())).id;
    const jobId = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(scientist, submitBatch, {
        input: { datasetVersionId, modelVersionId, featureColumns: ['a', 'b', 'c'], outputDatasetName: `scored-${randomUUID().slice(0, 8)}` },
      }),
    ).submitBatchInferenceJob.id;
    return { jobId, datasetVersionId, modelVersionId };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    [us, eu] = await Promise.all([stack.createTenant({ region: 'us-east-1', limits: { costBurst: 60_000 } }), stack.createTenant({ region: 'eu-west-1', limits: { costBurst: 60_000 } })]);
    for (const tenant of [us, eu]) jobs.set(tenant.id, await queueBatchJob(tenant));
  }, 120_000);
  afterAll(() => stack?.stop());

  it('issues the shared pool one certificate per region: CN workers, its region in the URI SAN', async () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      const { serviceKey, leaf } = await stack.workers.identity(undefined, region);
      const cert = stack.pki.identity(leaf).cert;
      expect(serviceKey).toBeDefined();
      expect(certificateRegion(cert)).toBe(region);
    }
    expect(certificateRegion(stack.pki.identity('workers').cert)).toBeUndefined();
  });

  it("refuses a us-east-1 worker every call for an eu-west-1 tenant's job at the jobs, datasets and models ports, and records each; the eu-west-1 worker makes them all", async () => {
    const { jobId, datasetVersionId, modelVersionId } = jobs.get(eu.id)!;
    const usPool = await sharedPoolOf('us-east-1');
    const euPool = await sharedPoolOf('eu-west-1');
    await expect(usPool.jobs.claim(runner(eu), claimInput(jobId))).rejects.toMatchObject(otherRegion);
    await expect(usPool.jobs.finish(runner(eu), strayFinish(jobId))).rejects.toMatchObject(otherRegion);
    expect(await statusOf(eu, jobId)).toBe('QUEUED');

    // Its own region's worker claims it; the grant the jobs service signed opens nothing for the us-east-1 worker.
    const input = claimInput(jobId);
    const claim: JobClaim = await euPool.jobs.claim(runner(eu), input);
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    await expect(usPool.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).rejects.toMatchObject(otherRegion);
    await expect(usPool.modelJobs.openVersionContent(claim.grant, { modelVersionId })).rejects.toMatchObject(otherRegion);
    await expect(usPool.jobs.renewGrant(runner(eu), { jobId, runToken: input.runToken, leaseMs: 30_000 })).rejects.toMatchObject(otherRegion);
    await expect(usPool.jobs.finish(runner(eu), { jobId, runToken: input.runToken, status: 'FAILED', error: { code: 'X', message: 'x' } })).rejects.toMatchObject(otherRegion);
    expect(await statusOf(eu, jobId)).toBe('RUNNING');

    // Control: the same calls by the eu-west-1 worker.
    await expect(euPool.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).resolves.toMatchObject({ version: { id: datasetVersionId } });
    await expect(euPool.modelJobs.openVersionContent(claim.grant, { modelVersionId })).resolves.toMatchObject({ version: { id: modelVersionId } });
    await expect(euPool.jobs.renewGrant(runner(eu), { jobId, runToken: input.runToken, leaseMs: 30_000 })).resolves.toMatchObject({ outcome: 'renewed' });

    const refused = await deniedFor(eu);
    expect(refused.map((event) => [event.target, event.reason, event.caller, event.callerRegion, event.tenant].join(' ')).sort()).toEqual(
      ['jobs.claim', 'jobs.finish', 'datasets-job.openVersionContent', 'models-job.openVersionContent', 'jobs.renewGrant', 'jobs.finish']
        .map((target) => [target, 'tenant-other-region', 'workers', 'us-east-1', ''].join(' '))
        .sort(),
    );
  });

  it("refuses an eu-west-1 worker a us-east-1 tenant's job in the same way; the us-east-1 worker serves it", async () => {
    const { jobId, datasetVersionId, modelVersionId } = jobs.get(us.id)!;
    const usPool = await sharedPoolOf('us-east-1');
    const euPool = await sharedPoolOf('eu-west-1');
    await expect(euPool.jobs.claim(runner(us), claimInput(jobId))).rejects.toMatchObject(otherRegion);
    expect(await statusOf(us, jobId)).toBe('QUEUED');
    const claim = await usPool.jobs.claim(runner(us), claimInput(jobId));
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    await expect(euPool.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).rejects.toMatchObject(otherRegion);
    await expect(euPool.modelJobs.openVersionContent(claim.grant, { modelVersionId })).rejects.toMatchObject(otherRegion);
    await expect(usPool.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).resolves.toMatchObject({ version: { id: datasetVersionId } });
    await expect(usPool.modelJobs.openVersionContent(claim.grant, { modelVersionId })).resolves.toMatchObject({ version: { id: modelVersionId } });
    const refused = await deniedFor(us);
    expect(refused.map((event) => [event.target, event.reason, event.callerRegion].join(' ')).sort()).toEqual(
      ['jobs.claim', 'datasets-job.openVersionContent', 'models-job.openVersionContent'].map((target) => `${target} tenant-other-region eu-west-1`).sort(),
    );
  });

  it('a workers certificate that names no region acts for no tenant', async () => {
    const unplaced = await sharedPoolOf(undefined);
    const { jobId } = jobs.get(us.id)!;
    await expect(unplaced.jobs.finish(runner(us), strayFinish(jobId))).rejects.toMatchObject({ ...otherRegion, message: expect.stringContaining('names no region') });
  });

  it("serves a dedicated tenant's workers only with a certificate of the tenant's region", async () => {
    const dedicated = await stack.createTenant({ tier: 'dedicated', region: 'eu-west-1', limits: { costBurst: 60_000 } });
    const { jobId } = await queueBatchJob(dedicated);
    const wrong = await dedicatedOf(dedicated, 'us-east-1');
    await expect(wrong.jobs.claim(runner(dedicated), claimInput(jobId))).rejects.toMatchObject(otherRegion);
    await expect(wrong.jobs.finish(runner(dedicated), strayFinish(jobId))).rejects.toMatchObject(otherRegion);
    expect(await statusOf(dedicated, jobId)).toBe('QUEUED');
    const right = await dedicatedOf(dedicated, 'eu-west-1');
    await expect(right.jobs.finish(runner(dedicated), strayFinish(jobId))).resolves.toBe(false);
    const refused = await deniedFor(dedicated);
    expect(refused.map((event) => [event.target, event.reason, event.caller, event.callerRegion, event.tenant].join(' ')).sort()).toEqual(
      ['jobs.claim', 'jobs.finish'].map((target) => [target, 'tenant-other-region', dedicatedWorkerIdentity(dedicated.id), 'us-east-1', dedicated.id].join(' ')).sort(),
    );
  }, 60_000);

  it('a worker whose WORKER_REGION its certificate does not name exits with a configuration error', async () => {
    const { files: usFiles } = await stack.workers.identity(undefined, 'us-east-1');
    await expect(stack.workers.start({ region: 'eu-west-1', env: { TLS_CERT_FILE: usFiles.certFile, TLS_KEY_FILE: usFiles.keyFile } })).rejects.toThrow(
      /WORKER_REGION: eu-west-1 is not the region this worker's certificate names \(us-east-1\)/,
    );
    const plain = stack.pki.files('workers');
    await expect(stack.workers.start({ env: { TLS_CERT_FILE: plain.certFile, TLS_KEY_FILE: plain.keyFile } })).rejects.toThrow(/TLS_CERT_FILE: a worker's certificate names its region/);
    const dedicated = await stack.createTenant({ tier: 'dedicated', region: 'eu-west-1' });
    const { files: wrongDedicated } = await stack.workers.identity(dedicated.id, 'us-east-1');
    await expect(stack.workers.start({ dedicatedTenant: dedicated.id, region: 'eu-west-1', env: { TLS_CERT_FILE: wrongDedicated.certFile, TLS_KEY_FILE: wrongDedicated.keyFile } })).rejects.toThrow(
      /WORKER_REGION: eu-west-1 is not the region this worker's certificate names \(us-east-1\)/,
    );
  }, 60_000);
});
