import { randomUUID } from 'node:crypto';
import { createServiceTokenSigner, type Principal } from '@tessera/auth';
import { jobsPortClient, type JobsPort } from '@tessera/jobs/ports';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, type JobView } from './job-support';

/**
 * A profile still running when its dataset is deleted finishes after the delete's clearing: the
 * jobs service then stores no result for it. No worker process runs here: the test claims and
 * finishes the job over the jobs port exactly as a worker of the shared pool does.
 */
describe('a profile that finishes after its dataset was deleted', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let scientist: string;
  let admin: string;
  let jobs: JobsPort;
  const runner = (): Principal => ({ kind: 'user', subject: 'system:job-runner', tenantId: tenant.id, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
  const profileResult = { profile: { rowCount: 1, columns: [{ name: 'name', type: 'STRING', count: 1, nullCount: 0, topValues: [{ value: 'Dana Secret', count: 1, truncated: false }] }] } };

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    [scientist, admin] = await Promise.all([tenant.token('data_scientist'), tenant.token('admin')]);
    const identity = stack.pki.identity((await stack.workers.identity()).leaf);
    jobs = jobsPortClient({ baseUrl: stack.platform.subgraphs.jobs.url, sign: await createServiceTokenSigner('workers', stack.workerServiceKey), fetch: mutualTlsPortFetch(identity, 'jobs') });
  });
  afterAll(() => stack?.stop());

  const stored = async (jobId: string) =>
    (await stack.adminQuery<Array<{ status: string; result_json: unknown }>>(`SELECT status, result_json FROM \`${tenant.schema}\`.jobs WHERE id = ?`, [jobId]))[0]!;

  /** A profile job claimed as a worker claims it: RUNNING under `runToken`. */
  async function running(versionId: string): Promise<{ jobId: string; runToken: string }> {
    const jobId = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob.id;
    const runToken = randomUUID();
    expect(await jobs.claim(runner(), { jobId, submission: 1, runToken, startSeq: 1, leaseMs: 30_000 })).toMatchObject({ outcome: 'claimed' });
    return { jobId, runToken };
  }

  it('stores no result when the version was deleted while it ran; the job still ends SUCCEEDED', async () => {
    const { datasetId, versionId } = await uploadDataset(stack, scientist, 'gone-mid-run', 'name\nDana Secret\n');
    const { jobId, runToken } = await running(versionId);
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: datasetId }));
    expect(await jobs.finish(runner(), { jobId, runToken, status: 'SUCCEEDED', result: profileResult })).toBe(true);
    expect(await stored(jobId)).toEqual({ status: 'SUCCEEDED', result_json: null });
  });

  it('stores the result of a profile whose version still exists', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'kept-mid-run', 'name\nDana Secret\n');
    const { jobId, runToken } = await running(versionId);
    expect(await jobs.finish(runner(), { jobId, runToken, status: 'SUCCEEDED', result: profileResult })).toBe(true);
    expect((await stored(jobId)).result_json).not.toBeNull();
  });
});
