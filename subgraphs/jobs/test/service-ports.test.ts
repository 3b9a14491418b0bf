import { bodyDigest, createServiceTokenSigner, generateServiceKeyPair, serviceTokenHeader, type Principal } from '@tessera/auth';
import { datasetsPortClient } from '@tessera/datasets/ports';
import { jobsPortClient } from '@tessera/jobs/ports';
import { modelsPortClient } from '@tessera/models/ports';
import { createServer } from 'node:net';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset } from './job-support';

/**
 * The ports of the datasets, models and jobs services, called over mutual TLS as the worker
 * processes call them: no proof of being a Tessera service, no answer; a service not on a method's
 * allow-list, FORBIDDEN; a call acting for tenant B never sees tenant A's ids. The workers' access to
 * datasets and models under job grants is tested in job-grants.test.ts.
 */
describe('service ports: authenticated callers, per-method allow-lists, one tenant per call', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let datasetVersionA: string;
  let jobA: string;

  const actorOf = (tenant: TestTenant): Principal => ({
    kind: 'user',
    subject: 'port-test',
    tenantId: tenant.id,
    roles: ['data_scientist'],
    clientId: undefined,
    requestId: `port-test-${tenant.id}`,
    sourceIp: undefined,
  });
  const urlOf = (service: 'jobs' | 'datasets' | 'models') => stack.platform.subgraphs[service].url;

  /** The shared pool's certificate of the tenants' region (us-east-1): what a worker of that region presents. */
  let workersLeaf: string;
  /** Port calls go over mutual TLS with a service certificate of the local CA: the workers' unless told otherwise. */
  const portFetch = (owner: 'jobs' | 'datasets' | 'models', as = 'workers') => mutualTlsPortFetch(stack.pki.identity(as === 'workers' ? workersLeaf : as), owner);

  /** A raw POST, to see exactly what the endpoint answers. */
  async function post(service: 'jobs' | 'datasets' | 'models', method: string, body: string, token?: string, as = 'workers'): Promise<{ status: number; code: unknown }> {
    const response = await portFetch(service, as)(`${urlOf(service)}/internal/ports/${service}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { [serviceTokenHeader]: token } : {}) },
      body,
    });
    const json = JSON.parse(await response.text()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return { status: response.status, code: json.errors?.[0]?.extensions?.code };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    workersLeaf = (await stack.workers.identity()).leaf;
    a = await stack.createTenant();
    b = await stack.createTenant();
    const scientistA = await a.token('data_scientist');
    datasetVersionA = (await uploadDataset(stack, scientistA, 'numbers', 'x,y\n1,2\n3,4\n')).versionId;
    // No worker runs in this file: the job stays QUEUED.
    jobA = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientistA, submitProfile, { input: { datasetVersionId: datasetVersionA } })).submitProfileJob.id;
  });
  afterAll(() => stack?.stop());

  describe('authentication of the calling service', () => {
    const body = () => JSON.stringify({ actor: { tenantId: a.id, subject: 'x', roles: ['admin'], requestId: 'r-1' }, input: { datasetVersionId: datasetVersionA } });

    it('refuses a connection without a client certificate, or with the certificate of a service that calls no port of the owner', async () => {
      const payload = body();
      const token = await (await createServiceTokenSigner('workers', stack.workerServiceKey))({ port: 'datasets', body: payload });
      // Node's fetch trusts the local CA here but presents no certificate: the TLS handshake fails.
      await expect(fetch(`${urlOf('datasets')}/internal/ports/datasets/findVersionForJob`, { method: 'POST', headers: { [serviceTokenHeader]: token }, body: payload })).rejects.toThrow();
      // The audit service calls no port of the datasets service: its connection is closed at once.
      await expect(post('datasets', 'findVersionForJob', payload, token, 'audit')).rejects.toThrow();
      // Control: over the workers' certificate the caller is authenticated (401 otherwise) and then
      // refused by the allow-list: the workers reach datasets only under a job grant.
      expect(await post('datasets', 'findVersionForJob', payload, token)).toEqual({ status: 403, code: 'FORBIDDEN' });
    });

    it('refuses a token of one service over the certificate of another (both must name the caller)', async () => {
      const payload = body();
      const workersToken = await (await createServiceTokenSigner('workers', stack.workerServiceKey))({ port: 'datasets', body: payload });
      // The jobs service may connect to datasets (it calls its port), but the token names the workers.
      expect(await post('datasets', 'findVersionForJob', payload, workersToken, 'jobs')).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('refuses a call without a service token', async () => {
      expect(await post('datasets', 'findVersionForJob', body())).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('refuses a token signed with a key the owner does not know, even naming an allowed service', async () => {
      const impostor = await createServiceTokenSigner('workers', (await generateServiceKeyPair()).privateJwk);
      const payload = body();
      expect(await post('datasets', 'findVersionForJob', payload, await impostor({ port: 'datasets', body: payload }))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('refuses a real token replayed with another body or at another port', async () => {
      const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
      const payload = body();
      const token = await sign({ port: 'datasets', body: payload });
      const other = payload.replace(a.id, b.id);
      expect(bodyDigest(other)).not.toBe(bodyDigest(payload));
      expect(await post('datasets', 'findVersionForJob', other, token)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await post('models', 'findVersionForJob', payload, token)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      // The same token with its own body and port authenticates (then the allow-list refuses the
      // workers): the refusals above are about the binding.
      expect(await post('datasets', 'findVersionForJob', payload, token)).toEqual({ status: 403, code: 'FORBIDDEN' });
    });

    it('never serves a garbage token, nor a method that is not published', async () => {
      expect(await post('jobs', 'claim', '{}', 'not.a.token')).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
      const payload = JSON.stringify({ actor: { tenantId: a.id, subject: 'x', roles: [], requestId: 'r-2' }, input: {} });
      expect(await post('jobs', 'constructor', payload, await sign({ port: 'jobs', body: payload }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    });
  });

  describe('per-method allow-lists', () => {
    it('refuses the workers where the method is for another service (FORBIDDEN, nothing read)', async () => {
      const sign = await createServiceTokenSigner('workers', stack.workerServiceKey);
      const jobs = jobsPortClient({ baseUrl: urlOf('jobs'), sign, fetch: portFetch('jobs') });
      const models = modelsPortClient({ baseUrl: urlOf('models'), sign, fetch: portFetch('models') });
      await expect(jobs.jobCount(actorOf(a), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(jobs.trainingJobStats(actorOf(a), { from: new Date(0).toISOString(), to: new Date().toISOString(), quantiles: [0.5] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.findAliasForJob(actorOf(a), { modelId: '00000000-0000-4000-8000-000000000000', alias: 'production' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.usageCounts(actorOf(a), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.inferenceMinutes(actorOf(a), { modelId: '00000000-0000-4000-8000-000000000000', from: new Date(0).toISOString(), to: new Date(0).toISOString() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const datasets = datasetsPortClient({ baseUrl: urlOf('datasets'), sign, fetch: portFetch('datasets') });
      await expect(datasets.usageCounts(actorOf(a), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // Naming an actor gets a worker nothing from the owners of datasets and models.
      await expect(datasets.findVersionForJob(actorOf(a), { datasetVersionId: datasetVersionA })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.findVersionForJob(actorOf(a), { modelVersionId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  describe('tenant scoping', () => {
    // The datasets and models ports serve the workers only under a job grant: job-grants.test.ts.

    it("jobs: B cannot claim, advance or finish A's job; A's row is untouched", async () => {
      const jobs = jobsPortClient({ baseUrl: urlOf('jobs'), sign: await createServiceTokenSigner('workers', stack.workerServiceKey), fetch: portFetch('jobs') });
      const runner = { ...actorOf(b), roles: [] };
      expect(await jobs.claim(runner, { jobId: jobA, submission: 1, runToken: 'tok-b', startSeq: 1 })).toEqual({ outcome: 'missing' });
      expect(await jobs.progress(actorOf(b), { jobId: jobA, runToken: 'tok-b', progress: 50, phase: 'x' })).toBe('lost');
      expect(await jobs.finish(actorOf(b), { jobId: jobA, runToken: 'tok-b', status: 'FAILED', error: { code: 'X', message: 'x' } })).toBe(false);
      expect(await jobs.renewGrant(actorOf(b), { jobId: jobA, runToken: 'tok-b' })).toEqual({ outcome: 'lost' });
      const view = expectNoErrors(await stack.query<{ job: { status: string } }>(await a.token('viewer'), `query($id: ID!) { job(id: $id) { status } }`, { id: jobA }));
      expect(view.job.status).toBe('QUEUED');
    });
  });

  describe('an owner that cannot be reached', () => {
    /** A port on this host where nothing listens (taken, then given back): connections are refused. */
    async function closedPort(): Promise<number> {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }

    it('is SERVICE_UNAVAILABLE naming the service, never its address, which stays in the cause (the error masker logs it)', async () => {
      const port = await closedPort();
      const datasets = datasetsPortClient({ baseUrl: `https://127.0.0.1:${port}`, sign: await createServiceTokenSigner('workers', stack.workerServiceKey), fetch: portFetch('datasets') });
      const failure = await datasets.findVersionForJob(actorOf(a), { datasetVersionId: datasetVersionA }).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string; cause?: unknown },
      );
      // This message is what a job's error, a key operation's lastError or a GraphQL answer carries.
      expect({ code: failure?.code, message: failure?.message }).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'The datasets service is not reachable.' });
      expect(failure?.cause).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining(`127.0.0.1:${port}`) });
    });
  });

  describe('numbers a run reports', () => {
    it('jobs: progress with a loss or metric that is not a finite number is refused (BAD_USER_INPUT), and nothing of it is stored', async () => {
      const jobs = jobsPortClient({ baseUrl: urlOf('jobs'), sign: await createServiceTokenSigner('workers', stack.workerServiceKey), fetch: portFetch('jobs') });
      const scientistA = await a.token('data_scientist');
      const jobId = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientistA, submitProfile, { input: { datasetVersionId: datasetVersionA } })).submitProfileJob.id;
      const claimed = await jobs.claim({ ...actorOf(a), roles: [] }, { jobId, submission: 1, runToken: 'tok-nan', startSeq: 1 });
      expect(claimed.outcome).toBe('claimed');
      const run = { jobId, runToken: 'tok-nan', progress: 10, phase: 'epoch 2/3' };
      expect(await jobs.progress(actorOf(a), { ...run, metrics: { epoch: 1, loss: 0.5 }, lossHistory: [0.5] })).toBe('ok');
      // NaN and Infinity travel as null on the JSON wire: refused either way.
      await expect(jobs.progress(actorOf(a), { ...run, metrics: { epoch: 2, loss: Number.NaN } })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(jobs.progress(actorOf(a), { ...run, lossHistory: [0.5, Number.POSITIVE_INFINITY] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      const rows = await stack.adminQuery<Array<{ metrics_json: unknown; loss_history_json: unknown }>>(`SELECT metrics_json, loss_history_json FROM \`${a.schema}\`.jobs WHERE id = ?`, [jobId]);
      const json = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);
      expect({ metrics: json(rows[0]!.metrics_json), lossHistory: json(rows[0]!.loss_history_json) }).toEqual({ metrics: { epoch: 1, loss: 0.5 }, lossHistory: [0.5] });
    });
  });
});
