import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { datasetJobPortClient } from '@tessera/datasets/ports';
import { jobsPortClient, type JobClaim } from '@tessera/jobs/ports';
import { certificateRegion, dedicatedWorkerIdentity, mutualTlsPortFetch } from '@tessera/service-kit';
import { readWorkerEnvironment } from '@tessera/workers';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';

/**
 * A dedicated-tier tenant's workers call the jobs, datasets and models ports with an identity of
 * their own (certificate `workers-dedicated-<tenant>`, tokens signed with that certificate's key, no
 * shared service key): the owners serve them their tenant's jobs only. A call for another tenant's
 * job — a shared tenant's, or another dedicated tenant's — is FORBIDDEN before anything is read and
 * recorded in the platform security log; the shared pool's credentials still serve shared tenants.
 */
describe("dedicated workers: an identity of their own, confined to their tenant's jobs", () => {
  let stack: TestStack;
  let shared: TestTenant;
  let globex: TestTenant;
  let initech: TestTenant;
  const jobOf = new Map<string, string>();

  const urlOf = (owner: 'jobs' | 'datasets') => stack.platform.subgraphs[owner].url;
  /** The role-less principal a worker claims with: only the tenant of the queue. */
  const runner = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: `dedicated-${randomUUID()}`, sourceIp: undefined });

  /** The ports as the workers of a ring call them: the credentials the test stack gives that ring's worker processes. */
  async function portsOf(dedicatedTenant?: string) {
    const { serviceKey, files } = await stack.workers.identity(dedicatedTenant);
    const identity = { ca: stack.pki.ca, cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
    const sign = serviceKey
      ? await createServiceTokenSigner('workers', serviceKey)
      : await createServiceTokenSigner(dedicatedWorkerIdentity(dedicatedTenant!), createPrivateKey(identity.key).export({ format: 'jwk' }) as JWK);
    return {
      identity,
      jobs: jobsPortClient({ baseUrl: urlOf('jobs'), sign, fetch: mutualTlsPortFetch(identity, 'jobs') }),
      datasetJobs: datasetJobPortClient({ baseUrl: urlOf('datasets'), sign, fetch: mutualTlsPortFetch(identity, 'datasets') }),
    };
  }

  async function statusOf(tenant: TestTenant): Promise<string> {
    const view = expectNoErrors(await stack.query<{ job: { status: string } }>(await tenant.token('viewer'), `query($id: ID!) { job(id: $id) { status } }`, { id: jobOf.get(tenant.id)! }));
    return view.job.status;
  }

  /** The platform security log's refused port calls of one caller. */
  async function deniedEvents(caller: string): Promise<Array<{ tenant_id: string; target_id: string; requestedTenant: unknown; reason: unknown }>> {
    // Written to the outbox, then relayed into the chained log: wherever each one is now.
    const schema = stack.config.database.controlSchema;
    const rows = await stack.adminQuery<Array<{ tenant_id: string; target_id: string; details_json: unknown }>>(
      `SELECT tenant_id, target_id, details_json FROM ${schema}.security_outbox WHERE action = 'port.call.denied' AND actor_subject = ?
       UNION ALL SELECT tenant_id, target_id, details_json FROM ${schema}.security_events WHERE action = 'port.call.denied' AND actor_subject = ?`,
      [caller, caller],
    );
    return rows.map((row) => {
      const details = (typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as Record<string, unknown>;
      return { tenant_id: row.tenant_id, target_id: row.target_id, requestedTenant: details['requestedTenant'], reason: details['reason'] };
    });
  }

  beforeAll(async () => {
    stack = await startTestStack();
    [shared, globex, initech] = await Promise.all([stack.createTenant(), stack.createTenant({ tier: 'dedicated' }), stack.createTenant({ tier: 'dedicated' })]);
    // No worker runs yet: each tenant's profile job stays QUEUED until a test claims or runs it.
    await Promise.all(
      [shared, globex, initech].map(async (tenant) => {
        const scientist = await tenant.token('data_scientist');
        const { versionId } = await uploadDataset(stack, scientist, 'numbers', 'x,y\n1,2\n3,4\n');
        jobOf.set(tenant.id, expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id);
      }),
    );
  }, 120_000);
  afterAll(() => stack?.stop());

  it("gives a dedicated tenant's workers a certificate naming their ring and no service key", async () => {
    const { serviceKey, files } = await stack.workers.identity(globex.id);
    expect(serviceKey).toBeUndefined();
    const { identity } = await portsOf(globex.id);
    expect(identity.cert).not.toBe(stack.pki.identity((await stack.workers.identity()).leaf).cert);
    expect(files.certFile).toContain(`workers-dedicated-${globex.id}`);
    // And it names its tenant's region, which the ports compare with the tenant's current one.
    expect(certificateRegion(identity.cert)).toBe('us-east-1');
  });

  it("refuses a dedicated worker's claim of a shared tenant's or another dedicated tenant's job (FORBIDDEN), records it, and leaves the job QUEUED", async () => {
    const { jobs } = await portsOf(globex.id);
    for (const victim of [shared, initech]) {
      await expect(jobs.claim(runner(victim), { jobId: jobOf.get(victim.id)!, submission: 1, runToken: randomUUID(), startSeq: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(jobs.finish(runner(victim), { jobId: jobOf.get(victim.id)!, runToken: 'x', status: 'FAILED', error: { code: 'X', message: 'x' } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await statusOf(victim)).toBe('QUEUED');
    }
    const events = await deniedEvents(dedicatedWorkerIdentity(globex.id));
    expect(events.map((event) => [event.tenant_id, event.target_id, event.requestedTenant].join(' ')).sort()).toEqual(
      [
        [globex.id, 'jobs.claim', shared.id],
        [globex.id, 'jobs.finish', shared.id],
        [globex.id, 'jobs.claim', initech.id],
        [globex.id, 'jobs.finish', initech.id],
      ]
        .map((row) => row.join(' '))
        .sort(),
    );
  });

  it("refuses a grant of another tenant's job at the datasets port, even one the jobs service really signed", async () => {
    // The shared pool claims the shared tenant's job and gets its grant; the dedicated worker presents it.
    const sharedPorts = await portsOf();
    const claim: JobClaim = await sharedPorts.jobs.claim(runner(shared), { jobId: jobOf.get(shared.id)!, submission: 1, runToken: randomUUID(), startSeq: 1, leaseMs: 30_000 });
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    const datasetVersionId = claim.job.input['datasetVersionId'] as string;
    // Control: the shared pool's credentials open the granted version.
    await expect(sharedPorts.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).resolves.toMatchObject({ version: expect.anything(), content: expect.anything() });
    const { datasetJobs } = await portsOf(globex.id);
    await expect(datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const events = await deniedEvents(dedicatedWorkerIdentity(globex.id));
    expect(events.filter((event) => event.target_id === 'datasets-job.openVersionContent').map((event) => [event.tenant_id, event.requestedTenant])).toEqual([[globex.id, shared.id]]);
  });

  it('records a forged grant whose tenant claim is no tenant id without that text: refused all the same', async () => {
    const { datasetJobs } = await portsOf(globex.id);
    // Unsigned: the endpoint reads the claim before the owner verifies anything, so it is the caller's own text.
    const claims = Buffer.from(JSON.stringify({ tid: `${globex.id}-${'x'.repeat(100_000)}` })).toString('base64url');
    const forged = `${Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url')}.${claims}.c2ln`;
    await expect(datasetJobs.openVersionContent(forged as never, { datasetVersionId: randomUUID() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const events = await deniedEvents(dedicatedWorkerIdentity(globex.id));
    const refused = events.filter((event) => event.target_id === 'datasets-job.openVersionContent').map((event) => [event.tenant_id, event.requestedTenant]);
    expect(refused).toHaveLength(2);
    expect(refused).toEqual(expect.arrayContaining([[globex.id, shared.id], [globex.id, null]]));
  });

  it("refuses the shared pool's service key over a dedicated worker's certificate, and a dedicated worker's token over the shared certificate", async () => {
    const dedicated = await portsOf(globex.id);
    const sharedSign = await createServiceTokenSigner('workers', stack.workerServiceKey);
    const mixed = jobsPortClient({ baseUrl: urlOf('jobs'), sign: sharedSign, fetch: mutualTlsPortFetch(dedicated.identity, 'jobs') });
    await expect(mixed.claim(runner(globex), { jobId: jobOf.get(globex.id)!, submission: 1, runToken: randomUUID(), startSeq: 1 })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const dedicatedSign = await createServiceTokenSigner(dedicatedWorkerIdentity(globex.id), createPrivateKey(dedicated.identity.key).export({ format: 'jwk' }) as JWK);
    const reversed = jobsPortClient({ baseUrl: urlOf('jobs'), sign: dedicatedSign, fetch: mutualTlsPortFetch(stack.pki.identity((await stack.workers.identity()).leaf), 'jobs') });
    await expect(reversed.claim(runner(globex), { jobId: jobOf.get(globex.id)!, submission: 1, runToken: randomUUID(), startSeq: 1 })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await statusOf(globex)).toBe('QUEUED');
  });

  it("a dedicated worker refuses to start with the shared pool's certificate or its SERVICE_KEY; the shared pool needs its key", async () => {
    const { files: workersFiles } = await stack.workers.identity();
    await expect(stack.workers.start({ dedicatedTenant: globex.id, env: { TLS_CERT_FILE: workersFiles.certFile, TLS_KEY_FILE: workersFiles.keyFile } })).rejects.toThrow(
      new RegExp(`TLS_CERT_FILE: a worker of dedicated tenant ${globex.id} presents its own certificate, CN ${dedicatedWorkerIdentity(globex.id)} \\(this one names workers\\)`),
    );
    const env = { TLS_CA_FILE: stack.pki.caFile, TLS_CERT_FILE: workersFiles.certFile, TLS_KEY_FILE: workersFiles.keyFile, JOBS_PORT_URL: 'https://jobs:4003', DATASETS_PORT_URL: 'https://datasets:4001', MODELS_PORT_URL: 'https://models:4002', DATABASE_URL: 'mysql://tessera_workers:pw@db.example:3306' };
    const serviceKey = JSON.stringify(stack.workerServiceKey);
    expect(() => readWorkerEnvironment({ ...env, SERVICE_KEY: serviceKey, WORKER_DEDICATED_TENANT: globex.id })).toThrow(/SERVICE_KEY: a dedicated worker holds none/);
    expect(() => readWorkerEnvironment(env)).toThrow(/SERVICE_KEY: required for the shared pool/);
    expect(readWorkerEnvironment({ ...env, SERVICE_KEY: serviceKey }).ports.serviceKey).toBeDefined();
    expect(readWorkerEnvironment({ ...env, WORKER_DEDICATED_TENANT: globex.id }).ports.serviceKey).toBeUndefined();
  });

  /** A dedicated tenant with one queued profile job (no worker of its own runs). */
  async function dedicatedTenantWithJob(): Promise<{ tenant: TestTenant; jobId: string }> {
    const tenant = await stack.createTenant({ tier: 'dedicated' });
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'numbers', 'x,y\n1,2\n3,4\n');
    const jobId = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
    jobOf.set(tenant.id, jobId);
    return { tenant, jobId };
  }

  const claimInput = (jobId: string) => ({ jobId, submission: 1, runToken: randomUUID(), startSeq: 1, leaseMs: 30_000 });
  /** A finish under a run token nobody holds: answered false and writes nothing when the caller may act for the tenant. */
  const strayFinish = (jobId: string) => ({ jobId, runToken: randomUUID(), status: 'FAILED' as const, error: { code: 'X', message: 'x' } });

  it("refuses a tenant's old dedicated certificate once the tenant is moved back to the shared tier; the shared pool serves it", async () => {
    const { tenant: demoted, jobId } = await dedicatedTenantWithJob();
    const before = await portsOf(demoted.id);
    // Control: while dedicated, its own certificate may act for it.
    await expect(before.jobs.finish(runner(demoted), strayFinish(jobId))).resolves.toBe(false);
    await stack.adminQuery(`UPDATE ${stack.config.database.controlSchema}.tenants SET tier = 'shared' WHERE id = ?`, [demoted.id]);
    const old = await portsOf(demoted.id);
    await expect(old.jobs.claim(runner(demoted), claimInput(jobId))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(old.jobs.finish(runner(demoted), strayFinish(jobId))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await statusOf(demoted)).toBe('QUEUED');
    // The shared pool now serves it: it claims the job, and the grant opens the dataset for the shared pool only.
    const sharedPorts = await portsOf();
    const claim = await sharedPorts.jobs.claim(runner(demoted), claimInput(jobId));
    if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
    const datasetVersionId = claim.job.input['datasetVersionId'] as string;
    await expect(old.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(sharedPorts.datasetJobs.openVersionContent(claim.grant, { datasetVersionId })).resolves.toMatchObject({ version: expect.anything() });
    const events = await deniedEvents(dedicatedWorkerIdentity(demoted.id));
    expect(events.map((event) => [event.tenant_id, event.target_id, event.requestedTenant, event.reason].join(' ')).sort()).toEqual(
      [
        [demoted.id, 'datasets-job.openVersionContent', demoted.id, 'tenant-not-dedicated'],
        [demoted.id, 'jobs.finish', demoted.id, 'tenant-not-dedicated'],
        [demoted.id, 'jobs.claim', demoted.id, 'tenant-not-dedicated'],
      ]
        .map((row) => row.join(' '))
        .sort(),
    );
  }, 60_000);

  it("refuses a suspended tenant's dedicated certificate, and records why", async () => {
    const { tenant: suspended, jobId } = await dedicatedTenantWithJob();
    const platformAdmin = await stack.platformAdminToken();
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { suspendTenant(id: $id) { id } }', { id: suspended.id }));
    const { jobs } = await portsOf(suspended.id);
    await expect(jobs.claim(runner(suspended), claimInput(jobId))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const events = await deniedEvents(dedicatedWorkerIdentity(suspended.id));
    expect(events.map((event) => [event.tenant_id, event.target_id, event.requestedTenant, event.reason])).toEqual([[suspended.id, 'jobs.claim', suspended.id, 'tenant-inactive']]);
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: suspended.id }));
    // Resumed (and still dedicated): its certificate acts for it again.
    await expect(jobs.finish(runner(suspended), strayFinish(jobId))).resolves.toBe(false);
  }, 60_000);

  it("refuses an erased tenant's dedicated certificate, and records why", async () => {
    const { tenant: erased, jobId } = await dedicatedTenantWithJob();
    const { jobs } = await portsOf(erased.id);
    await stack.platform.provisioner.deprovision(erased.id);
    await expect(jobs.claim(runner(erased), claimInput(jobId))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const events = await deniedEvents(dedicatedWorkerIdentity(erased.id));
    expect(events.map((event) => [event.tenant_id, event.target_id, event.requestedTenant, event.reason])).toEqual([[erased.id, 'jobs.claim', erased.id, 'tenant-unknown']]);
  }, 60_000);

  it("runs the dedicated tenant's job end to end on its own worker, and the shared pool still runs a shared tenant's", async () => {
    await stack.workers.start({ dedicatedTenant: globex.id });
    await stack.workers.start();
    const done = await waitForStatus(stack, await globex.token('viewer'), jobOf.get(globex.id)!, ['SUCCEEDED', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    // A job of the shared tenant submitted now (its first one is held by the claim above).
    const scientist = await shared.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'more', 'x,y\n5,6\n7,8\n');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect((await waitForStatus(stack, await shared.token('viewer'), job.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
    // The other dedicated tenant has no worker of its own: its job is still waiting.
    expect(await statusOf(initech)).toBe('QUEUED');
  }, 180_000);
});
