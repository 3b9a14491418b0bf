import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildLinearRegression } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * Metering and budgets against the real platform: every meter grows for the tenant whose work it
 * measured and for no other; usageReport / platformUsage agree and are gated by role; budgets
 * alert once at the soft threshold through the alert path and refuse new work at the limit with
 * nothing written, while reads keep working. Meters are flushed on demand (no timers in the
 * checks); worker processes flush on their own, so job time is waited for, never timed.
 */

interface Amounts {
  costUnits: number;
  inferenceMs: number;
  jobWorkerMs: number;
  storedByteHours: number;
  downloadBytes: number;
}
const amountFields = 'costUnits inferenceMs jobWorkerMs storedByteHours downloadBytes';
const usageReportQuery = `query($from: DateTime!, $to: DateTime!, $granularity: UsageGranularity) {
  usageReport(from: $from, to: $to, granularity: $granularity) { from to granularity points { start end ${amountFields} } total { ${amountFields} } } }`;
const platformUsageQuery = `query($from: DateTime!, $to: DateTime!, $meter: UsageMeter, $order: UsageOrder) {
  platformUsage(from: $from, to: $to, meter: $meter, order: $order) { tenant { id } ${amountFields} } }`;
const budgetFields = 'meter monthlyLimit softPercent usedThisMonth softThresholdReached limitReached updatedBy';
const setBudget = `mutation($input: UsageBudgetInput!) { setUsageBudget(input: $input) { ${budgetFields} } }`;
const budgetsQuery = `{ usageBudgets { ${budgetFields} } }`;
const predictQuery = `query($input: PredictInput!) { predict(input: $input) { batchSize } }`;
const alertFields = 'id rule status summary';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function quotaOf(response: { errors?: GraphQLResponse['errors'] }): unknown {
  return response.errors?.[0]?.extensions?.['quota'];
}

interface ReceivedWebhook {
  signature: string;
  body: string;
}

/** A local receiver for the tenant's alert webhook; answers 200 to everything. */
async function startWebhookReceiver(): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ signature: String(req.headers['x-tessera-signature']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/budgets`,
    received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** The documented signature: `t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
function signedWith(secret: string, delivery: ReceivedWebhook): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery.signature);
  if (!match) return false;
  return timingSafeEqual(createHmac('sha256', secret).update(`${match[1]}.${delivery.body}`).digest(), Buffer.from(match[2]!, 'hex'));
}

describe('metering and budgets', () => {
  let stack: TestStack;
  let a: TestTenant; // does every kind of work
  let b: TestTenant; // only reads its own usage
  let c: TestTenant; // idle
  let d: TestTenant; // budgets: soft alert, then the hard limit
  let started: Date;
  let modelId: string;
  let versionId: string;
  let datasetVersionId: string;
  let downloadedBytes: number;

  const range = () => ({ from: new Date(started.getTime() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });
  /** Everything metered in this process so far, written now (the gateway's and the services'). */
  const flushAll = async () => {
    await stack.platform.gateway.flushUsage();
    // Each service meters in its own runtime (its own account and pool).
    for (const runtime of new Set(Object.values(stack.platform.runtimes))) await runtime.usage.flush();
  };
  const usageOf = async (tenant: TestTenant, granularity = 'HOUR') =>
    expectNoErrors(await stack.query<{ usageReport: { total: Amounts; points: Array<Amounts & { start: string; end: string }> } }>(await tenant.token('admin'), usageReportQuery, { ...range(), granularity })).usageReport;
  const platformUsage = async (variables: Record<string, unknown> = {}) =>
    expectNoErrors(await stack.query<{ platformUsage: Array<Amounts & { tenant: { id: string } }> }>(await stack.platformAdminToken(), platformUsageQuery, { ...range(), ...variables })).platformUsage;

  async function uploadModel(tenant: TestTenant, name: string): Promise<{ modelId: string; versionId: string }> {
    const token = await tenant.token('data_scientist');
    const model = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', { input: { name } })).createModel;
    const onnx = buildLinearRegression({ weights: [0.5, -1.25, 2], bias: 0.75 });
    const upload = expectNoErrors(
      await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }', {
        input: { modelId: model.id, filename: 'model.onnx', byteSize: onnx.length },
      }),
    ).createModelUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` }, body: Buffer.from(onnx) });
    expect(put.status).toBe(200);
    const version = expectNoErrors(await stack.query<{ completeModelUpload: { id: string } }>(token, 'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }', { id: upload.id })).completeModelUpload;
    return { modelId: model.id, versionId: version.id };
  }

  async function uploadDataset(tenant: TestTenant): Promise<string> {
    const token = await tenant.token('data_scientist');
    const dataset = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 'metered' } })).createDataset;
    const body = Buffer.from('x1,x2,y\n1,2,3\n2,3,5\n3,4,7\n4,5,9\n', 'utf8');
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', {
        input: { datasetId: dataset.id, filename: 'data.csv', byteSize: body.length },
      }),
    ).createDatasetUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
    expect(put.status).toBe(200);
    return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id })).completeDatasetUpload.id;
  }

  const predictWith = async (tenant: TestTenant) =>
    stack.query(await tenant.token('viewer'), predictQuery, { input: { modelId, version: 1, inputs: [{ name: 'input', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] } });

  beforeAll(async () => {
    stack = await startTestStack({
      metering: { flushIntervalMs: 0, budgetCacheMs: 0, storageSampleIntervalMs: 100 },
      // The webhook receiver is local: loopback is refused to webhooks unless allowed.
      alerting: { webhookAllowedPrivateRanges: ['127.0.0.1/32'] },
    });
    [a, b, c, d] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.createTenant(), stack.createTenant()]);
    await stack.workers.start({ env: { METERING_FLUSH_INTERVAL_MS: '100' } });
    started = new Date();

    // A: a model (upload), two predictions, a download, a dataset and a profiling job.
    ({ modelId, versionId } = await uploadModel(a, 'metered'));
    expectNoErrors(await predictWith(a));
    expectNoErrors(await predictWith(a));
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${versionId}`, { headers: { authorization: `Bearer ${await a.token('data_scientist')}` } });
    expect(download.status).toBe(200);
    downloadedBytes = (await download.arrayBuffer()).byteLength;
    datasetVersionId = await uploadDataset(a);
    const scientist = await a.token('data_scientist');
    const job = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(scientist, 'mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }', { input: { datasetVersionId } })).submitProfileJob;
    await eventually('the profiling job', async () => {
      const status = expectNoErrors(await stack.query<{ job: { status: string } }>(scientist, 'query($id: ID!) { job(id: $id) { status } }', { id: job.id })).job.status;
      return status === 'SUCCEEDED' || status === 'FAILED' ? status : undefined;
    });
    // The worker writes its job time on its own; stored bytes are sampled every 100 ms here.
    await eventually('job worker time and stored byte-hours of A', async () => {
      await flushAll();
      const rows = (await stack.platform.runtime.db.query(`SELECT meter FROM \`${a.schema}\`.usage_meters WHERE meter IN ('jobWorkerMs', 'storedByteHours') AND amount > 0`)) as unknown[];
      return rows.length === 2 ? true : undefined;
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('meters every kind of work for the tenant that did it, and for no other', async () => {
    await flushAll();
    const usageA = (await usageOf(a)).total;
    expect(usageA.costUnits).toBeGreaterThan(0);
    expect(usageA.inferenceMs).toBeGreaterThan(0);
    expect(usageA.jobWorkerMs).toBeGreaterThan(0);
    expect(usageA.storedByteHours).toBeGreaterThan(0);
    expect(usageA.downloadBytes).toBe(downloadedBytes);

    // B only ever read its usage (cost units of its own reads); C did nothing at all.
    const usageB = (await usageOf(b)).total;
    expect(usageB).toMatchObject({ inferenceMs: 0, jobWorkerMs: 0, storedByteHours: 0, downloadBytes: 0 });
    await flushAll();
    const all = await platformUsage();
    const ofC = all.find((row) => row.tenant.id === c.id)!;
    expect(ofC).toMatchObject({ costUnits: 0, inferenceMs: 0, jobWorkerMs: 0, storedByteHours: 0, downloadBytes: 0 });
    const ofB = all.find((row) => row.tenant.id === b.id)!;
    expect(ofB).toMatchObject({ inferenceMs: 0, jobWorkerMs: 0, storedByteHours: 0, downloadBytes: 0 });
    expect(ofB.costUnits).toBeGreaterThan(0);
  });

  it('usageReport points add up to its total at every granularity, and platformUsage agrees with it', async () => {
    await flushAll();
    // Read before A's own report is flushed, so both see the same rows.
    const ofA = (await platformUsage()).find((row) => row.tenant.id === a.id)!;
    for (const granularity of ['HOUR', 'DAY', 'MONTH']) {
      const report = await usageOf(a, granularity);
      for (const meter of ['costUnits', 'inferenceMs', 'jobWorkerMs', 'storedByteHours', 'downloadBytes'] as const) {
        // Stored bytes keep being sampled in the background: between the two reads it can only grow.
        if (meter === 'storedByteHours') expect(report.total[meter]).toBeGreaterThanOrEqual(ofA[meter] - 1e-9);
        else expect(report.total[meter]).toBeCloseTo(ofA[meter], 6);
        expect(report.points.reduce((sum, point) => sum + point[meter], 0)).toBeCloseTo(report.total[meter], 6);
      }
      for (let i = 1; i < report.points.length; i++) expect(report.points[i]!.start).toBe(report.points[i - 1]!.end);
    }
  });

  it('platformUsage sorts every tenant by the meter asked for', async () => {
    const desc = await platformUsage({ meter: 'INFERENCE_MS', order: 'DESC' });
    expect(desc.map((row) => row.tenant.id)).toEqual(expect.arrayContaining([a.id, b.id, c.id, d.id]));
    expect(desc[0]!.tenant.id).toBe(a.id);
    const asc = await platformUsage({ meter: 'INFERENCE_MS', order: 'ASC' });
    expect(asc.at(-1)!.tenant.id).toBe(a.id);
    for (let i = 1; i < desc.length; i++) expect(desc[i - 1]!.inferenceMs).toBeGreaterThanOrEqual(desc[i]!.inferenceMs);
  });

  it('gives usage and budgets to tenant admins only, and platformUsage to platform_admin only', async () => {
    for (const role of ['viewer', 'data_scientist'] as const) {
      const token = await a.token(role);
      expect(errorCodes(await stack.query(token, usageReportQuery, range()))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, budgetsQuery))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 1 } }))).toEqual(['FORBIDDEN']);
    }
    expect(errorCodes(await stack.query(await a.token('admin'), platformUsageQuery, range()))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(await stack.platformAdminToken(), usageReportQuery, range()))).toEqual(['FORBIDDEN']);
    expect(await budgetsOf(a)).toEqual([]);
  });

  const budgetsOf = async (tenant: TestTenant) => expectNoErrors(await stack.query<{ usageBudgets: Array<Record<string, unknown>> }>(await tenant.token('admin'), budgetsQuery)).usageBudgets;

  it("never shows one tenant another's usage or budgets, whatever the arguments", async () => {
    const adminB = await b.token('admin');
    expectNoErrors(await stack.query(adminB, setBudget, { input: { meter: 'DOWNLOAD_BYTES', monthlyLimit: 1e12 } }));
    expect((await budgetsOf(a)).map((budget) => budget.meter)).not.toContain('DOWNLOAD_BYTES');
    // There is no argument that names a tenant: any attempt is refused before it runs.
    for (const query of [
      `{ usageReport(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", tenantId: "${a.id}") { total { costUnits } } }`,
      `{ usageBudgets(tenantId: "${a.id}") { meter } }`,
      `mutation { setUsageBudget(input: { meter: COST_UNITS, monthlyLimit: 1, tenantId: "${a.id}" }) { meter } }`,
    ]) {
      const response = await stack.query(adminB, query);
      expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    await flushAll();
    const usageB = (await usageOf(b)).total;
    expect(usageB.downloadBytes).toBe(0);
    expect(usageB.inferenceMs).toBe(0);
    const { removeUsageBudget } = expectNoErrors(await stack.query<{ removeUsageBudget: boolean }>(adminB, 'mutation { removeUsageBudget(meter: DOWNLOAD_BYTES) }'));
    expect(removeUsageBudget).toBe(true);
  });

  it('refuses bad input with BAD_USER_INPUT or a validation error, never a 500', async () => {
    const admin = await a.token('admin');
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [usageReportQuery, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'BAD_USER_INPUT'],
      [usageReportQuery, { from: 'yesterday', to: '2026-01-01T00:00:00Z' }, 'BAD_USER_INPUT'],
      [usageReportQuery, { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', granularity: 'HOUR' }, 'BAD_USER_INPUT'],
      [usageReportQuery, { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', granularity: 'WEEK' }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: -1 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 0 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 5e-324 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 9e-7 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 1e15 + 1 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 10, softPercent: 0 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 10, softPercent: 101 } }, 'BAD_USER_INPUT'],
      [setBudget, { input: { meter: 'DISK', monthlyLimit: 10 } }, 'BAD_USER_INPUT'],
    ];
    for (const [query, variables, code] of cases) {
      const response = await stack.query(admin, query, variables);
      expect(response.status).not.toBe(500);
      expect(errorCodes(response)).toEqual([code]);
    }
    const platform = await stack.query(await stack.platformAdminToken(), platformUsageQuery, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(errorCodes(platform)).toEqual(['BAD_USER_INPUT']);
    expect(await budgetsOf(a)).toEqual([]);
  });

  describe('budgets', () => {
    let live: Client;
    const liveAlerts: Array<{ data?: { alerts: { id: string; rule: string } } }> = [];
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let webhookSecret: string;

    beforeAll(async () => {
      const adminD = await d.token('admin');
      receiver = await startWebhookReceiver();
      webhookSecret = expectNoErrors(
        await stack.query<{ setAlertWebhook: { secret: string } }>(adminD, 'mutation($url: String!) { setAlertWebhook(url: $url) { secret } }', { url: receiver.url }),
      ).setAlertWebhook.secret;
      live = createClient({ url: stack.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${adminD}` }, retryAttempts: 0 });
      live.subscribe<{ alerts: { id: string; rule: string } }>(
        { query: `subscription { alerts { ${alertFields} } }` },
        { next: (result) => liveAlerts.push(result as (typeof liveAlerts)[number]), error: () => undefined, complete: () => undefined },
      );
      // The subscription is open once it is counted (it costs cost units like any other work).
      await eventually('the alerts subscription', async () => {
        await flushAll();
        const rows = (await stack.platform.runtime.db.query(`SELECT amount FROM \`${d.schema}\`.usage_meters WHERE meter = 'costUnits'`)) as unknown[];
        return rows.length > 0 ? true : undefined;
      });
    });
    afterAll(async () => {
      await live?.dispose();
      await receiver?.close();
    });

    const alertsOf = async (tenant: TestTenant) =>
      expectNoErrors(await stack.query<{ alerts: Array<{ id: string; rule: string; summary: string }> }>(await tenant.token('admin'), `{ alerts(first: 100) { ${alertFields} } }`)).alerts;

    it('raises one USAGE_BUDGET alert at the soft threshold: stored, audited, signed to the webhook and live on the alerts subscription, once a month', async () => {
      const adminD = await d.token('admin');
      const scientistD = await d.token('data_scientist');
      const set = expectNoErrors(await stack.query<{ setUsageBudget: Record<string, unknown> }>(adminD, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 1_000_000, softPercent: 100 } })).setUsageBudget;
      expect(set).toMatchObject({ meter: 'COST_UNITS', monthlyLimit: 1_000_000, softPercent: 100, softThresholdReached: false, limitReached: false });
      await flushAll();
      const used = ((await budgetsOf(d))[0]!['usedThisMonth'] as number) ?? 0;
      // Soft threshold a little above what is used (1% of a limit far away): a few mutations cross it.
      expectNoErrors(await stack.query(adminD, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: Math.ceil(used + 100) * 100, softPercent: 1 } }));
      for (let i = 0; i < 30 && (await budgetsOf(d))[0]!['softThresholdReached'] !== true; i++) {
        expect(errorCodes(await stack.query(scientistD, `mutation { createModel(input: { name: "crossing-${i}" }) { id } }`))).toEqual([]);
        await flushAll();
      }
      expect((await budgetsOf(d))[0]).toMatchObject({ softThresholdReached: true, limitReached: false });
      await stack.drainAudit(d.id);
      const alerts = (await alertsOf(d)).filter((alert) => alert.rule === 'USAGE_BUDGET');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.summary).toContain('costUnits');
      const delivered = await eventually('the live alert', async () => liveAlerts.find((message) => message.data?.alerts.id === alerts[0]!.id));
      expect(delivered.data!.alerts.rule).toBe('USAGE_BUDGET');
      const webhook = await eventually('the webhook delivery', async () => receiver.received.find((r) => (JSON.parse(r.body) as { alert: { id: string } }).alert.id === alerts[0]!.id));
      expect(signedWith(webhookSecret, webhook)).toBe(true);

      // More usage in the same month raises nothing new.
      expectNoErrors(await stack.query(scientistD, 'mutation { createModel(input: { name: "again" }) { id } }'));
      await flushAll();
      await stack.drainAudit(d.id);
      expect((await alertsOf(d)).filter((alert) => alert.rule === 'USAGE_BUDGET')).toHaveLength(1);
      const events = (await stack.platform.runtime.db.query(
        `SELECT action FROM \`${d.schema}\`.audit_events WHERE action IN ('usage.budget.soft_threshold', 'usage.budget.set')`,
      )) as Array<{ action: string }>;
      expect(events.filter((e) => e.action === 'usage.budget.soft_threshold')).toHaveLength(1);
      expect(events.filter((e) => e.action === 'usage.budget.set')).toHaveLength(2);
    });

    it('refuses new work past the cost-unit limit with QUOTA_EXCEEDED naming the budget, writes nothing, and keeps reads working', async () => {
      const adminD = await d.token('admin');
      const scientistD = await d.token('data_scientist');
      // An upload reserved before the limit is reached: sending its bytes afterwards is new work too.
      const onnx = buildLinearRegression({ weights: [1, 2, 3], bias: 0 });
      const model = expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientistD, 'mutation { createModel(input: { name: "pending-upload" }) { id } }')).createModel;
      const upload = expectNoErrors(
        await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(scientistD, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }', {
          input: { modelId: model.id, filename: 'model.onnx', byteSize: onnx.length },
        }),
      ).createModelUpload;
      await flushAll();
      const used = (await budgetsOf(d))[0]!['usedThisMonth'] as number;
      expectNoErrors(await stack.query(adminD, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: used, softPercent: 100 } }));
      const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${scientistD}` }, body: Buffer.from(onnx) });
      expect(put.status).toBe(429);
      expect(((await put.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]!.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'budget.costUnits' });
      const uploadRows = (await stack.platform.runtime.db.query(`SELECT status FROM \`${d.schema}\`.model_uploads WHERE id = ?`, [upload.id])) as Array<{ status: string }>;
      expect(uploadRows.map((row) => row.status)).not.toContain('UPLOADED');
      const modelsBefore = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${d.schema}\`.models`)) as Array<{ n: number | string }>;

      const refused = await stack.query(scientistD, 'mutation { createModel(input: { name: "refused" }) { id } }');
      expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
      expect(refused.errors![0]!.extensions).toMatchObject({ quota: 'budget.costUnits', limit: used });
      expect(quotaOf(refused)).toBe('budget.costUnits');
      const modelsAfter = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${d.schema}\`.models`)) as Array<{ n: number | string }>;
      expect(Number(modelsAfter[0]!.n)).toBe(Number(modelsBefore[0]!.n));

      // Reads keep working; so does raising the budget (the way out of a refusal).
      expectNoErrors(await stack.query(scientistD, '{ models(first: 5) { edges { node { id } } } }'));
      const budgets = await budgetsOf(d);
      expect(budgets[0]).toMatchObject({ meter: 'COST_UNITS', limitReached: true });

      // A new subscription is new work too.
      const socket = createClient({ url: stack.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${adminD}` }, retryAttempts: 0 });
      const subscribeError = await new Promise<unknown>((resolve) => {
        socket.subscribe({ query: `subscription { alerts { id } }` }, { next: () => undefined, error: resolve, complete: () => resolve(undefined) });
      });
      await socket.dispose();
      expect(JSON.stringify(subscribeError)).toContain('QUOTA_EXCEEDED');

      expectNoErrors(await stack.query(adminD, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: used * 100, softPercent: 100 } }));
      expectNoErrors(await stack.query(scientistD, 'mutation { createModel(input: { name: "after-raise" }) { id } }'));
    });

    it('past the cost-unit limit, access can still be withdrawn (a leaked key revoked, an account deleted, a member removed or demoted), and the key rotated or the erasure asked for; nothing else rides along', async () => {
      const tenant = await stack.createTenant();
      const admin = await tenant.token('admin');
      const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, 'mutation { createServiceAccount(input: { name: "leaky", role: ADMIN }) { id } }')).createServiceAccount;
      const other = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, 'mutation { createServiceAccount(input: { name: "other", role: VIEWER }) { id } }')).createServiceAccount;
      const key = expectNoErrors(await stack.query<{ createApiKey: { apiKey: { id: string } } }>(admin, 'mutation($id: ID!) { createApiKey(input: { serviceAccountId: $id }) { apiKey { id } } }', { id: account.id })).createApiKey.apiKey;
      expectNoErrors(await stack.query(admin, 'mutation { inviteMember(input: { subject: "the-keeper", role: ADMIN }) { id } }'));
      const invited = expectNoErrors(await stack.query<{ inviteMember: { id: string } }>(admin, 'mutation { inviteMember(input: { subject: "someone-else", role: ADMIN }) { id } }')).inviteMember;
      const pending = expectNoErrors(await stack.query<{ inviteMember: { id: string } }>(admin, 'mutation { inviteMember(input: { email: "later@example.com", role: VIEWER }) { id } }')).inviteMember;
      await flushAll();
      expectNoErrors(await stack.query(admin, setBudget, { input: { meter: 'COST_UNITS', monthlyLimit: 1, softPercent: 100 } }));
      await flushAll();
      expect((await budgetsOf(tenant))[0]).toMatchObject({ limitReached: true });
      // New work is refused, also beside a withdrawal in the same document.
      expect(errorCodes(await stack.query(admin, 'mutation { createServiceAccount(input: { name: "more", role: VIEWER }) { id } }'))).toEqual(['QUOTA_EXCEEDED']);
      expect(errorCodes(await stack.query(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } createServiceAccount(input: { name: "more", role: VIEWER }) { id } }', { id: key.id }))).toEqual(['QUOTA_EXCEEDED']);
      // Withdrawing access is not new work: a leaked key must not stay live because it spent the budget.
      expect(expectNoErrors(await stack.query<{ revokeApiKey: { status: string } }>(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) { status } }', { id: key.id })).revokeApiKey.status).toBe('REVOKED');
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteServiceAccount(id: $id) { id } }', { id: other.id }));
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { changeMemberRole(id: $id, role: VIEWER) { id } }', { id: invited.id }));
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { removeMember(id: $id) { id } }', { id: invited.id }));
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { revokeInvitation(id: $id) { id } }', { id: pending.id }));
      expectNoErrors(await stack.query(admin, 'mutation { rotateTenantKey { currentVersion } }'));
      expect(expectNoErrors(await stack.query<{ requestTenantErasure: { status: string } }>(admin, 'mutation($c: String!) { requestTenantErasure(confirm: $c) { status } }', { c: tenant.id })).requestTenantErasure.status).toBe('PENDING');
    });

    it('refuses predictions, job submissions, storage reservations and downloads past their own budgets, and nothing is written', async () => {
      const adminA = await a.token('admin');
      const scientistA = await a.token('data_scientist');
      await flushAll();
      const tiny = { monthlyLimit: 1e-6, softPercent: 100 };
      for (const meter of ['INFERENCE_MS', 'JOB_WORKER_MS', 'STORED_BYTE_HOURS', 'DOWNLOAD_BYTES']) expectNoErrors(await stack.query(adminA, setBudget, { input: { meter, ...tiny } }));
      const count = async (table: string) => Number(((await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${a.schema}\`.${table}`)) as Array<{ n: number | string }>)[0]!.n);
      const before = { jobs: await count('jobs'), uploads: await count('model_uploads') };

      const predicted = await predictWith(a);
      expect(errorCodes(predicted)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaOf(predicted)).toBe('budget.inferenceMs');
      // The message names the limit as set, not rounded to 0.
      expect(predicted.errors?.[0]?.message).toMatch(/ of 0\.000001\)/);

      const submitted = await stack.query(scientistA, 'mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }', { input: { datasetVersionId } });
      expect(errorCodes(submitted)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaOf(submitted)).toBe('budget.jobWorkerMs');

      const reserved = await stack.query(scientistA, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id } }', { input: { modelId, filename: 'm.onnx', byteSize: 100 } });
      expect(errorCodes(reserved)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaOf(reserved)).toBe('budget.storedByteHours');

      const download = await fetch(`${stack.gatewayUrl}/downloads/models/${versionId}`, { headers: { authorization: `Bearer ${scientistA}` } });
      expect(download.status).toBe(429);
      const body = (await download.json()) as { errors: Array<{ extensions: { code: string; quota: string } }> };
      expect(body.errors[0]!.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'budget.downloadBytes' });

      expect({ jobs: await count('jobs'), uploads: await count('model_uploads') }).toEqual(before);
      // Reads of the same things keep working.
      expectNoErrors(await stack.query(scientistA, '{ models(first: 5) { edges { node { id } } } }'));
      expectNoErrors(await stack.query(scientistA, '{ jobs(first: 5) { edges { node { id } } } }'));
      expect((await budgetsOf(a)).every((budget) => budget['limitReached'] === true)).toBe(true);
    });
  });
});
