import { randomUUID } from 'node:crypto';
import { createServiceTokenSigner, serviceTokenHeader, type Principal, type Role } from '@tessera/auth';
import type { Logger, LogFields } from '@tessera/config';
import { jobsPortClient, maxProfileClearVersionIds } from '@tessera/jobs/ports';
import { portsCalledBy, remotePorts, withAbsentPorts, type ServicePorts } from '@tessera/platform';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { CsvParsePool } from '@tessera/tabular';
import { errorCodes, expectNoErrors, startTestStack, TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';
import { defaultDatasetsConfig } from '../../datasets/src/server';
import { DatasetService } from '../../datasets/src/domain/dataset.service';
import { profileResultsClearing, type ProfileClearingRetry } from '../../datasets/src/domain/profile-results';
import { UploadSpool } from '../../datasets/src/domain/upload-spool';
import { submitProfile, uploadDataset, waitForStatus, waitUntil, type JobView } from './job-support';

/**
 * A profile keeps values of its dataset version (top values, minimum, maximum). Deleting the dataset
 * clears those results in the jobs table at the delete itself, through the jobs port, with no read
 * of the job in between; only in the deleting tenant, and only for versions the datasets service no
 * longer has. With the jobs service unreachable the delete still succeeds, and the read-time check
 * (jobs-profile-after-delete.test.ts) keeps the values from being served.
 */
describe('profile results are cleared at the delete of their dataset', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let scientistA: string;
  let adminA: string;
  let scientistB: string;
  let adminB: string;
  const resultQuery = `query($id: ID!) { job(id: $id) { id status result { profile { columns { name topValues { value } } } } } }`;

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.workers.start({ concurrency: 2 })]);
    [scientistA, adminA, scientistB, adminB] = await Promise.all([a.token('data_scientist'), a.token('admin'), b.token('data_scientist'), b.token('admin')]);
  });
  afterAll(() => stack?.stop());

  /** The row as the migrator sees it: what the jobs table holds, not what the API answers. */
  const stored = async (tenant: TestTenant, jobId: string) =>
    (await stack.adminQuery<Array<{ result_json: unknown; result_key_version: unknown }>>(`SELECT result_json, result_key_version FROM \`${tenant.schema}\`.jobs WHERE id = ?`, [jobId]))[0]!;
  const cleared = { result_json: null, result_key_version: null };

  /** A profile of the version, run to the end; its result is stored (sealed) in the row. */
  async function profiled(tenant: TestTenant, token: string, versionId: string): Promise<string> {
    const job = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(token, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect(await waitForStatus(stack, token, job.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    expect((await stored(tenant, job.id)).result_json).not.toBeNull();
    return job.id;
  }

  /** Another version of an existing dataset, through the public upload flow. */
  async function addVersion(token: string, datasetId: string, csv: string): Promise<string> {
    const body = Buffer.from(csv, 'utf8');
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
        input: { datasetId, filename: 'more.csv', byteSize: body.length },
      }),
    ).createDatasetUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
    expect(put.status).toBe(200);
    return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
  }

  const deleteDataset = async (token: string, id: string) => expectNoErrors(await stack.query(token, 'mutation($id: ID!) { deleteDataset(id: $id) { id deletedVersions } }', { id }));
  const actor = (tenant: TestTenant, roles: Role[] = ['admin']): Principal => ({ kind: 'user', subject: 'clear-test', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });

  it('deleteDataset clears the profiles of every version of the dataset in the row, with no read in between; other profiles stay', async () => {
    const { datasetId, versionId: first } = await uploadDataset(stack, scientistA, 'people', 'ssn,name\n123-45-6789,Alice Secret\n987-65-4321,Bob Secret\n');
    const second = await addVersion(scientistA, datasetId, 'ssn,name\n555-55-5555,Carol Secret\n');
    const kept = (await uploadDataset(stack, scientistA, 'cities', 'city,n\nLyon,1\nOslo,2\n')).versionId;
    const [jobFirst, jobSecond, jobKept] = await Promise.all([profiled(a, scientistA, first), profiled(a, scientistA, second), profiled(a, scientistA, kept)]);

    expect(await deleteDataset(adminA, datasetId)).toEqual({ deleteDataset: { id: datasetId, deletedVersions: 2 } });
    expect(await stored(a, jobFirst)).toEqual(cleared);
    expect(await stored(a, jobSecond)).toEqual(cleared);
    // The profile of a dataset that was not deleted is untouched, and served.
    expect((await stored(a, jobKept)).result_json).not.toBeNull();
    expect(JSON.stringify(expectNoErrors(await stack.query<{ job: JobView }>(scientistA, resultQuery, { id: jobKept })).job)).toContain('Lyon');
    // The jobs themselves stay, without their results.
    expect(expectNoErrors(await stack.query<{ job: JobView }>(scientistA, resultQuery, { id: jobFirst })).job).toMatchObject({ status: 'SUCCEEDED', result: null });
  });

  it("tenant B deleting its own dataset clears only B's profiles; A's profile of its own data stays", async () => {
    const versionA = (await uploadDataset(stack, scientistA, 'a-kept', 'k,v\nalpha-secret,1\n')).versionId;
    const { datasetId: datasetB, versionId: versionB } = await uploadDataset(stack, scientistB, 'b-gone', 'k,v\nbeta-secret,1\n');
    const [jobA, jobB] = await Promise.all([profiled(a, scientistA, versionA), profiled(b, scientistB, versionB)]);
    await deleteDataset(adminB, datasetB);
    expect(await stored(b, jobB)).toEqual(cleared);
    expect((await stored(a, jobA)).result_json).not.toBeNull();
    expect(JSON.stringify(expectNoErrors(await stack.query<{ job: JobView }>(scientistA, resultQuery, { id: jobA })).job)).toContain('alpha-secret');
  });

  it('the port clears only versions the datasets service no longer has: a live version is not cleared, whoever names it', async () => {
    const versionA = (await uploadDataset(stack, scientistA, 'still-here', 'k,v\nstill-secret,1\n')).versionId;
    const jobA = await profiled(a, scientistA, versionA);
    const jobs = stack.platform.ports.jobs;
    expect(await jobs.clearProfileResults(actor(a), { datasetVersionIds: [versionA] })).toEqual({ cleared: 0 });
    expect(await jobs.clearProfileResults(actor(b), { datasetVersionIds: [versionA] })).toEqual({ cleared: 0 });
    expect((await stored(a, jobA)).result_json).not.toBeNull();
  });

  describe('with the datasets service split from the jobs service (its port calls over mutual TLS)', () => {
    let relay: TcpSwitch;
    let remote: ServicePorts;
    const logged: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
    const logger: Logger = {
      debug: (message, fields) => logged.push({ level: 'debug', message, fields }),
      info: (message, fields) => logged.push({ level: 'info', message, fields }),
      warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
      error: (message, fields) => logged.push({ level: 'error', message, fields }),
      child: () => logger,
    };
    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool() };
    /**
     * What `tessera datasets` runs for a delete, on the datasets service's own runtime, calling the
     * jobs port through `relay`; without retries unless given, so what the row holds after it is the
     * delete's doing alone.
     */
    const deleteAsSplitService = async (tenant: TestTenant, datasetId: string, retry: ProfileClearingRetry = { delaysMs: [], maxPending: 0 }) =>
      new DatasetService(await stack.platform.runtimes.datasets.scopes.forPrincipal(actor(tenant)), { ...services, profileResults: profileResultsClearing(remote.jobs, logger, retry) }).delete(datasetId);

    beforeAll(async () => {
      const target = new URL(stack.platform.subgraphs.jobs.url);
      relay = new TcpSwitch(target.hostname, Number(target.port));
      await relay.on();
      // What `tessera datasets` builds from its environment: the jobs port's HTTP client, signed as datasets.
      remote = withAbsentPorts(
        await remotePorts('datasets', { SERVICE_KEY: stack.datasetsServiceKey as never, JOBS_PORT_URL: `${target.protocol}//${target.hostname}:${relay.port}` }, portsCalledBy.datasets, stack.pki.identity('datasets')),
      );
    });
    afterAll(async () => {
      await relay?.off();
      await services.parsing.close();
      await services.uploadSpool.close();
    });

    it('clears at the delete over the port, as the datasets service', async () => {
      const { datasetId, versionId } = await uploadDataset(stack, scientistA, 'split-gone', 'k,v\nsplit-secret,1\n');
      const job = await profiled(a, scientistA, versionId);
      expect(await deleteAsSplitService(a, datasetId)).toMatchObject({ id: datasetId, deletedVersions: 1 });
      expect(await stored(a, job)).toEqual(cleared);
    });

    it('jobs service unreachable: the delete succeeds and logs the failure; the row keeps the result until read, never served; a call from B naming the version clears nothing', async () => {
      const { datasetId, versionId } = await uploadDataset(stack, scientistA, 'down-gone', 'ssn\n111-22-3333\n');
      const job = await profiled(a, scientistA, versionId);
      await relay.off();
      try {
        expect(await deleteAsSplitService(a, datasetId)).toMatchObject({ id: datasetId, deletedVersions: 1 });
      } finally {
        await relay.on();
      }
      expect(errorCodes(await stack.query(adminA, `query($id: ID!) { dataset(id: $id) { id } }`, { id: datasetId }))).toEqual(['NOT_FOUND']);
      expect(logged.filter((entry) => entry.level === 'error')).toEqual([
        expect.objectContaining({ message: expect.stringContaining('Could not clear the profile results'), fields: expect.objectContaining({ tenantId: a.id, datasetId, code: 'SERVICE_UNAVAILABLE' }) }),
      ]);
      // Not cleared yet (the call never arrived)...
      expect((await stored(a, job)).result_json).not.toBeNull();
      // ... and tenant B naming A's deleted version, over the port as the datasets service, clears nothing of A's.
      expect(await remote.jobs.clearProfileResults(actor(b), { datasetVersionIds: [versionId] })).toEqual({ cleared: 0 });
      expect((await stored(a, job)).result_json).not.toBeNull();
      // The read-time backstop answers null and clears the row.
      const read = expectNoErrors(await stack.query<{ job: JobView }>(scientistA, resultQuery, { id: job })).job;
      expect(read).toMatchObject({ id: job, status: 'SUCCEEDED', result: null });
      expect(JSON.stringify(read)).not.toContain('111-22-3333');
      expect(await stored(a, job)).toEqual(cleared);
    });

    it('a call that failed is retried in the background: once the jobs service is back, the row is cleared with no read', async () => {
      const { datasetId, versionId } = await uploadDataset(stack, scientistA, 'retry-gone', 'k,v\nretry-secret,1\n');
      const job = await profiled(a, scientistA, versionId);
      logged.length = 0;
      await relay.off();
      try {
        // Many short retries: the first attempts fail while the relay is off, a later one gets through.
        expect(await deleteAsSplitService(a, datasetId, { delaysMs: Array.from({ length: 40 }, () => 250), maxPending: 10 })).toMatchObject({ id: datasetId });
      } finally {
        await relay.on();
      }
      await waitUntil(async () => (await stored(a, job)).result_json === null, 'the retried clearing');
      expect(await stored(a, job)).toEqual(cleared);
      expect(logged.filter((entry) => entry.level === 'warn')[0]).toMatchObject({ fields: expect.objectContaining({ tenantId: a.id, datasetId, attempts: 1, code: 'SERVICE_UNAVAILABLE' }) });
      expect(logged.filter((entry) => entry.level === 'error')).toEqual([]);
    });

    it('a jobs service that does not answer holds the delete only for its wait; the clearing goes on after the answer', async () => {
      const { datasetId, versionId } = await uploadDataset(stack, scientistA, 'held-gone', 'k,v\nheld-secret,1\n');
      const job = await profiled(a, scientistA, versionId);
      const { held } = relay.hold();
      try {
        expect(await deleteAsSplitService(a, datasetId, { waitMs: 100, delaysMs: [], maxPending: 0 })).toMatchObject({ id: datasetId });
        // Answered while the call was still held on its way to the jobs service.
        await held;
        expect((await stored(a, job)).result_json).not.toBeNull();
      } finally {
        relay.release();
      }
      await waitUntil(async () => (await stored(a, job)).result_json === null, 'the clearing let through');
    });

    it("A's own call for its deleted version clears it; B's never does", async () => {
      const { datasetId, versionId } = await uploadDataset(stack, scientistA, 'late-gone', 'k,v\nlate-secret,1\n');
      const job = await profiled(a, scientistA, versionId);
      await relay.off();
      try {
        await deleteAsSplitService(a, datasetId);
      } finally {
        await relay.on();
      }
      expect(await remote.jobs.clearProfileResults(actor(b), { datasetVersionIds: [versionId] })).toEqual({ cleared: 0 });
      expect((await stored(a, job)).result_json).not.toBeNull();
      expect(await remote.jobs.clearProfileResults(actor(a), { datasetVersionIds: [versionId] })).toEqual({ cleared: 1 });
      expect(await stored(a, job)).toEqual(cleared);
    });
  });

  describe('the port method: only the datasets service, only an admin, only well-formed ids', () => {
    const portFetch = (as: string) => mutualTlsPortFetch(stack.pki.identity(as), 'jobs');
    const post = async (as: 'datasets' | 'metrics' | 'tenants', key: 'datasetsServiceKey' | 'metricsServiceKey' | 'tenantsServiceKey', body: unknown) => {
      const payload = JSON.stringify(body);
      const token = await (await createServiceTokenSigner(as, stack[key]))({ port: 'jobs', body: payload });
      const response = await portFetch(as)(`${stack.platform.subgraphs.jobs.url}/internal/ports/jobs/clearProfileResults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [serviceTokenHeader]: token },
        body: payload,
      });
      const json = JSON.parse(await response.text()) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
      return json.errors?.[0]?.extensions?.code ?? 'OK';
    };
    const call = (roles: Role[], datasetVersionIds: unknown) => ({ actor: actor(a, roles), input: { datasetVersionIds } });

    it('is FORBIDDEN to every other service; the datasets service may call no other jobs method', async () => {
      expect(await post('datasets', 'datasetsServiceKey', call(['admin'], [randomUUID()]))).toBe('OK');
      expect(await post('metrics', 'metricsServiceKey', call(['admin'], [randomUUID()]))).toBe('FORBIDDEN');
      expect(await post('tenants', 'tenantsServiceKey', call(['admin'], [randomUUID()]))).toBe('FORBIDDEN');
      const sign = await createServiceTokenSigner('datasets', stack.datasetsServiceKey);
      const jobs = jobsPortClient({ baseUrl: stack.platform.subgraphs.jobs.url, sign, fetch: portFetch('datasets') });
      await expect(jobs.jobCount(actor(a), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(jobs.reencryptObjects(actor(a), { belowVersion: 1, batchSize: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(jobs.claim(actor(a), { jobId: randomUUID(), submission: 1, runToken: 'x', startSeq: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('needs an admin actor, and refuses malformed or too many ids with BAD_USER_INPUT', async () => {
      expect(await post('datasets', 'datasetsServiceKey', call(['data_scientist'], [randomUUID()]))).toBe('FORBIDDEN');
      expect(await post('datasets', 'datasetsServiceKey', call(['admin'], ['not-an-id']))).toBe('BAD_USER_INPUT');
      expect(await post('datasets', 'datasetsServiceKey', call(['admin'], 'x'))).toBe('BAD_USER_INPUT');
      expect(await post('datasets', 'datasetsServiceKey', call(['admin'], Array.from({ length: maxProfileClearVersionIds + 1 }, () => randomUUID())))).toBe('BAD_USER_INPUT');
    });
  });
});
