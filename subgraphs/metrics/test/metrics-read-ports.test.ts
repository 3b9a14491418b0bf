import { randomUUID } from 'node:crypto';
import { auditPortClient } from '@tessera/audit/ports';
import { createServiceTokenSigner, serviceTokenHeader, type Principal } from '@tessera/auth';
import { modelsPortClient } from '@tessera/models/ports';
import { anomalyDetectionConfig } from '@tessera/monitoring';
import { portsCalledBy, remotePorts, withAbsentPorts, type ServicePorts } from '@tessera/platform';
import { mutualTlsPortFetch } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearModel, newModel, uploadVersion } from '../../models/test/model-flow';
import { detectorPrincipal, detectTenantAnomalies } from '../src/domain/anomaly-detector';
import { InferenceStatsService } from '../src/domain/inference-stats.service';

/**
 * What the metrics service reads of other services' data, through their ports: serving numbers
 * from the models port, audit-event counts and the data-read series from the audit port. Called
 * over mutual TLS as a metrics process split from the owners calls them: only the metrics service
 * is served, and a call acting for tenant B answers B's own numbers, never A's.
 */
describe('metrics read ports (models: serving numbers; audit: event counts)', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let modelA: string;
  let versionA: string;
  let modelB: string;
  /** Whole minute and whole second an hour ago: seeded numbers sit there, away from the stack's own traffic. */
  const minute = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const second = minute + 30_000;
  const iso = (ms: number) => new Date(ms).toISOString();

  const actorOf = (tenant: TestTenant, roles: Principal['roles'] = ['viewer']): Principal => ({
    kind: 'user',
    subject: 'metrics-port-test',
    tenantId: tenant.id,
    roles,
    clientId: undefined,
    requestId: `metrics-port-test-${tenant.id}`,
    sourceIp: undefined,
  });
  const urlOf = (service: 'models' | 'audit') => stack.platform.subgraphs[service].url;
  const clientsAs = async (caller: 'metrics' | 'workers') => {
    const sign = await createServiceTokenSigner(caller, caller === 'metrics' ? stack.metricsServiceKey : stack.workerServiceKey);
    const identity = stack.pki.identity(caller);
    return {
      models: modelsPortClient({ baseUrl: urlOf('models'), sign, fetch: mutualTlsPortFetch(identity, 'models') }),
      audit: auditPortClient({ baseUrl: urlOf('audit'), sign, fetch: mutualTlsPortFetch(identity, 'audit') }),
    };
  };

  async function insertInferenceMinute(tenant: TestTenant, row: { modelId: string; versionId: string; at: number; calls: number; errors: number; latencyMsSum: number }): Promise<void> {
    await stack.adminQuery(
      `INSERT INTO \`${tenant.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max, latency_ms_sum, latency_ms_max, latency_le_5ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 9, ?)`,
      [row.versionId, row.modelId, new Date(row.at), row.calls, row.calls * 2, row.errors, row.calls, row.latencyMsSum, row.calls],
    );
  }

  async function insertAuditEvents(tenant: TestTenant, action: string, at: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await stack.adminQuery(
        `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
         VALUES (?, ?, 'reader', 'viewer', ?, 'Dataset', ?, 'SUCCESS', '{}')`,
        [randomUUID(), new Date(at + i), action, randomUUID()],
      );
    }
  }

  /** The tenant's audit trail as the migrator sees it: chained plus waiting in the outbox. */
  async function storedEventCount(tenant: TestTenant): Promise<number> {
    const rows = await stack.adminQuery<Array<{ n: number | string }>>(`SELECT (SELECT COUNT(*) FROM \`${tenant.schema}\`.audit_events) + (SELECT COUNT(*) FROM \`${tenant.schema}\`.audit_outbox) AS n`);
    return Number(rows[0]!.n);
  }

  beforeAll(async () => {
    // No background detection pass: the split detector below is the only one judging.
    stack = await startTestStack({ monitoring: { anomalies: { intervalMs: 0 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const [scientistA, scientistB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    modelA = await newModel(stack, scientistA, 'served');
    versionA = (await uploadVersion(stack, scientistA, modelA, linearModel())).id;
    modelB = await newModel(stack, scientistB, 'served');
    await insertInferenceMinute(a, { modelId: modelA, versionId: versionA, at: minute - 180_000, calls: 10, errors: 1, latencyMsSum: 50 });
    await insertInferenceMinute(a, { modelId: modelA, versionId: versionA, at: minute - 120_000, calls: 20, errors: 0, latencyMsSum: 40 });
    // B's model, with numbers of a version deleted since (it keeps its numbers, without a number).
    await insertInferenceMinute(b, { modelId: modelB, versionId: randomUUID(), at: minute - 180_000, calls: 7, errors: 7, latencyMsSum: 70 });
    await insertAuditEvents(a, 'dataset.read', second - 5000, 3);
    await insertAuditEvents(a, 'model.download', second - 3000, 1);
    await insertAuditEvents(a, 'dataset.create', second - 3000, 2); // not a read
    await insertAuditEvents(b, 'dataset.export', second - 5000, 2);
  });
  afterAll(() => stack?.stop());

  describe('who may call', () => {
    it('refuses the workers (allowed to connect to models, not on these methods): FORBIDDEN, nothing read', async () => {
      const { models } = await clientsAs('workers');
      await expect(models.inferenceMinutes(actorOf(a), { modelId: modelA, from: iso(minute - 600_000), to: iso(minute) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.predictionSeries(actorOf(a), { from: iso(minute - 600_000), to: iso(minute) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.predictionSeriesStart(actorOf(a), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('the audit port answers the metrics service only: any other certificate is refused at the handshake, a workers token over metrics’ certificate is UNAUTHENTICATED', async () => {
      const payload = JSON.stringify({ actor: { tenantId: a.id, subject: 'x', roles: ['viewer'], requestId: 'r-1' }, input: {} });
      const workersToken = await (await createServiceTokenSigner('workers', stack.workerServiceKey))({ port: 'audit', body: payload });
      const post = (as: string, token: string) =>
        mutualTlsPortFetch(stack.pki.identity(as), 'audit')(`${urlOf('audit')}/internal/ports/audit/eventCount`, { method: 'POST', headers: { 'content-type': 'application/json', [serviceTokenHeader]: token }, body: payload });
      for (const stranger of ['workers', 'jobs', 'datasets', 'models']) await expect(post(stranger, workersToken)).rejects.toThrow();
      const response = await post('metrics', workersToken);
      expect({ status: response.status, code: (JSON.parse(await response.text()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      // Control: the metrics service's own token over its certificate is answered.
      const metricsToken = await (await createServiceTokenSigner('metrics', stack.metricsServiceKey))({ port: 'audit', body: payload });
      expect((await post('metrics', metricsToken)).status).toBe(200);
    });

    it('user-facing numbers need a reading role; the detector’s series (a system actor without roles) do not', async () => {
      const { models, audit } = await clientsAs('metrics');
      await expect(audit.eventCount(actorOf(a, []), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(models.inferenceMinutes(actorOf(a, []), { modelId: modelA, from: iso(minute - 600_000), to: iso(minute) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await audit.dataReadSeriesStart(detectorPrincipal(a.id), {})).toBe(iso(second - 5000));
      expect(await models.predictionSeriesStart(detectorPrincipal(a.id), {})).toBe(iso(minute - 180_000));
    });

    it('refuses bad input with typed errors', async () => {
      const { models, audit } = await clientsAs('metrics');
      await expect(audit.dataReadSeries(actorOf(a), { from: iso(second - 60_000), to: iso(second), bucketSeconds: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(audit.dataReadSeries(actorOf(a), { from: iso(second), to: iso(second - 60_000), bucketSeconds: 1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(models.predictionSeries(actorOf(a), { from: iso(0), to: iso(minute) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(models.inferenceMinutes(actorOf(a), { modelId: 'not-an-id', from: iso(minute - 600_000), to: iso(minute) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    });
  });

  describe('one tenant per call: B gets its own numbers, never A’s', () => {
    it("models: A's model's minutes (labelled with version numbers) for A; NOT_FOUND for B, whose own model shows only its numbers", async () => {
      const { models } = await clientsAs('metrics');
      const range = { from: iso(minute - 600_000), to: iso(minute) };
      const minutesA = await models.inferenceMinutes(actorOf(a), { modelId: modelA, ...range });
      expect(minutesA.map((m) => [m.minute, m.modelVersionId, m.versionNumber, m.calls, m.rows, m.errors, m.latencyMsSum, m.latencyLe5ms])).toEqual([
        [iso(minute - 180_000), versionA, 1, 10, 20, 1, 50, 10],
        [iso(minute - 120_000), versionA, 1, 20, 40, 0, 40, 20],
      ]);
      await expect(models.inferenceMinutes(actorOf(b), { modelId: modelA, ...range })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const minutesB = await models.inferenceMinutes(actorOf(b), { modelId: modelB, ...range });
      expect(minutesB.map((m) => [m.minute, m.versionNumber, m.calls, m.errors])).toEqual([[iso(minute - 180_000), null, 7, 7]]);
    });

    it("models: the per-minute prediction series sums the tenant's own models only", async () => {
      const { models } = await clientsAs('metrics');
      const range = { from: iso(minute - 600_000), to: iso(minute) };
      expect(await models.predictionSeries(detectorPrincipal(a.id), range)).toEqual([
        { minute: iso(minute - 180_000), calls: 10, errors: 1, latencyMsSum: 50 },
        { minute: iso(minute - 120_000), calls: 20, errors: 0, latencyMsSum: 40 },
      ]);
      expect(await models.predictionSeries(detectorPrincipal(b.id), range)).toEqual([{ minute: iso(minute - 180_000), calls: 7, errors: 7, latencyMsSum: 70 }]);
    });

    it("audit: each tenant's event count is its own trail (chain + outbox); B's new events do not move A's", async () => {
      const { audit } = await clientsAs('metrics');
      const [countA, countB] = [await audit.eventCount(actorOf(a), {}), await audit.eventCount(actorOf(b), {})];
      expect([countA, countB]).toEqual([await storedEventCount(a), await storedEventCount(b)]);
      await insertAuditEvents(b, 'dataset.create', second - 1000, 4);
      expect(await audit.eventCount(actorOf(b), {})).toBe(countB + 4);
      expect(await audit.eventCount(actorOf(a), {})).toBe(countA);
    });

    it('audit: the data-read series counts only reads, only of the tenant asked for', async () => {
      const { audit } = await clientsAs('metrics');
      const range = { from: iso(second - 60_000), to: iso(second + 60_000) };
      expect(await audit.dataReadSeries(detectorPrincipal(a.id), { ...range, bucketSeconds: 1 })).toEqual([
        { start: iso(second - 5000), reads: 3 },
        { start: iso(second - 3000), reads: 1 },
      ]);
      expect(await audit.dataReadSeries(detectorPrincipal(b.id), { ...range, bucketSeconds: 1 })).toEqual([{ start: iso(second - 5000), reads: 2 }]);
      expect(await audit.dataReadSeries(detectorPrincipal(b.id), { ...range, bucketSeconds: 60 })).toEqual([{ start: iso(minute), reads: 2 }]);
    });
  });

  describe('a metrics process split from the owners (remote ports, as `tessera metrics` builds them)', () => {
    let remote: ServicePorts;
    beforeAll(async () => {
      const subgraphs = stack.platform.subgraphs;
      remote = withAbsentPorts(
        await remotePorts(
          'metrics',
          {
            SERVICE_KEY: stack.metricsServiceKey as never,
            JOBS_PORT_URL: subgraphs.jobs.url,
            DATASETS_PORT_URL: subgraphs.datasets.url,
            MODELS_PORT_URL: subgraphs.models.url,
            AUDIT_PORT_URL: subgraphs.audit.url,
          },
          portsCalledBy.metrics,
          stack.pki.identity('metrics'),
        ),
      );
    });

    it('inferenceStats answers as the all-in-one platform does, and B asking for A’s model gets NOT_FOUND', async () => {
      const args = { modelId: modelA, from: iso(minute - 600_000), to: iso(minute) };
      const viaGateway = expectNoErrors(
        await stack.query<{ inferenceStats: { calls: number; errors: number; maxBatchSize: number; meanLatencyMs: number; minutes: Array<{ minute: string; versionNumber: number | null; calls: number }> } }>(
          await a.token('viewer'),
          `query($id: ID!, $from: DateTime, $to: DateTime) { inferenceStats(modelId: $id, from: $from, to: $to) { calls errors maxBatchSize meanLatencyMs minutes { minute versionNumber calls } } }`,
          { id: args.modelId, from: args.from, to: args.to },
        ),
      ).inferenceStats;
      expect(viaGateway).toMatchObject({ calls: 30, errors: 1, maxBatchSize: 1 });
      expect(viaGateway.meanLatencyMs).toBeCloseTo(90 / 30, 9);
      const scopes = stack.platform.runtimes.metrics.scopes;
      const split = await new InferenceStatsService(await scopes.forPrincipal(actorOf(a)), remote.models).forModel(args);
      expect({ calls: split.calls, errors: split.errors, maxBatchSize: split.maxBatchSize, meanLatencyMs: split.meanLatencyMs, minutes: split.minutes.map((m) => ({ minute: m.minute.toISOString(), versionNumber: m.versionNumber, calls: m.calls })) }).toEqual(viaGateway);
      await expect(new InferenceStatsService(await scopes.forPrincipal(actorOf(b)), remote.models).forModel(args)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('the detector reads the data-read and inference series through the ports and flags each tenant’s own spikes', async () => {
      const c = await stack.createTenant();
      const now = Date.now();
      const nowSecond = Math.floor(now / 1000) * 1000;
      for (let s = 60; s >= 11; s--) await insertAuditEvents(c, 'dataset.read', nowSecond - s * 1000, 2);
      await insertAuditEvents(c, 'dataset.read', nowSecond - 10_000, 40);
      const nowMinute = Math.floor(now / 60_000) * 60_000;
      const modelId = randomUUID();
      const versionId = randomUUID();
      for (let m = 40; m >= 2; m--) await insertInferenceMinute(c, { modelId, versionId, at: nowMinute - m * 60_000, calls: 100, errors: m === 2 ? 70 : m % 3, latencyMsSum: 300 });
      const config = anomalyDetectionConfig({ bucketSeconds: 1, intervalMs: 0, settleMs: 0, warmupBuckets: 4, minRequests: 1 });
      const detect = async (tenant: TestTenant) => detectTenantAnomalies(await stack.platform.runtimes.metrics.scopes.forPrincipal(detectorPrincipal(tenant.id)), config, remote, new Date(now));
      const found = await detect(c);
      expect(found.filter((x) => x.metric === 'DATA_READS').map((x) => [x.windowStart.getTime(), x.observed])).toEqual([[nowSecond - 10_000, 40 * 60]]);
      expect(found.filter((x) => x.metric === 'INFERENCE_ERROR_RATE').map((x) => x.windowStart.getTime())).toEqual([nowMinute - 2 * 60_000]);
      // B's series, read for B, hold none of C's spikes.
      expect((await detect(b)).filter((x) => x.metric === 'DATA_READS' || x.metric === 'INFERENCE_ERROR_RATE')).toEqual([]);
    });
  });
});
