import { randomUUID } from 'node:crypto';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { jobsPortClient, type JobsPort } from '@tessera/jobs/ports';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, type JobView } from './job-support';

/**
 * A job's `error.code` is read by clients (and the console) as one of the registry's codes
 * (packages/errors, README "Errors"). The code comes from the worker's `finish` / `requeue` call:
 * one outside the registry (a driver's `ER_…`, a typo, whatever a worker sends) is stored as
 * INTERNAL_SERVER_ERROR with the generic sentence, never as sent. Before, it was stored and served
 * as it came. No worker process runs here: the test claims and finishes the job over the jobs
 * port exactly as a worker of the shared pool does.
 */
describe("a job's error code", () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let jobs: JobsPort;
  let versionId: string;
  const runner = (): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    scientist = await tenant.token('data_scientist');
    const identity = stack.pki.identity((await stack.workers.identity()).leaf);
    jobs = jobsPortClient({ baseUrl: stack.platform.subgraphs.jobs.url, sign: await createServiceTokenSigner('workers', stack.workerServiceKey), fetch: mutualTlsPortFetch(identity, 'jobs') });
    versionId = (await uploadDataset(stack, scientist, 'codes', 'x\n1\n')).versionId;
  });
  afterAll(() => stack?.stop());

  async function running(): Promise<{ jobId: string; runToken: string }> {
    const jobId = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
    const runToken = randomUUID();
    expect(await jobs.claim(runner(), { jobId, submission: 1, runToken, startSeq: 1, leaseMs: 30_000 })).toMatchObject({ outcome: 'claimed' });
    return { jobId, runToken };
  }

  const errorOf = async (jobId: string) =>
    expectNoErrors(await stack.query<{ job: { status: string; error: { code: string; message: string } | null } }>(scientist, 'query($id: ID!) { job(id: $id) { status error { code message } } }', { id: jobId })).job;

  it('keeps a registered code and its message', async () => {
    const { jobId, runToken } = await running();
    expect(await jobs.finish(runner(), { jobId, runToken, status: 'FAILED', error: { code: 'TRAINING_DIVERGED', message: 'Lower the learning rate.' } })).toBe(true);
    expect(await errorOf(jobId)).toEqual({ status: 'FAILED', error: { code: 'TRAINING_DIVERGED', message: 'Lower the learning rate.' } });
  });

  it('stores a code outside the registry as INTERNAL_SERVER_ERROR, without the message it came with', async () => {
    const { jobId, runToken } = await running();
    const sent = { code: 'ER_NO_SUCH_TABLE', message: "Table 'tenant_x.secret' doesn't exist at 10.0.3.17:3306" };
    expect(await jobs.finish(runner(), { jobId, runToken, status: 'FAILED', error: sent })).toBe(true);
    const job = await errorOf(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.error?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(job.error?.message).not.toContain('tenant_x');
    expect(job.error?.message).not.toContain('10.0.3.17');
  });

  it('does the same for the error a requeue records', async () => {
    const { jobId, runToken } = await running();
    expect(await jobs.requeue(runner(), { jobId, runToken, error: { code: 'ECONNRESET', message: 'socket hang up 10.0.3.17' }, retryInMs: 60_000 })).toBe(true);
    const job = await errorOf(jobId);
    expect(job.error?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(job.error?.message).not.toContain('10.0.3.17');
  });
});
