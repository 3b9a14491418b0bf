import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRedis, sharedPool, TenantRing } from '@tessera/job-queue';
import { ensureLocalPki, startS3Server, type RunningS3Server } from '@tessera/local-infra';
import { buildLinearRegression } from '@tessera/onnx';
import { serviceData } from '@tessera/platform';
import { createObjectStoreClient, type ObjectStoreClient } from '@tessera/storage';
import { databaseUrlOnServer, localServiceDatabaseUrls, migrateDeployment, openMigrationDataSource, quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { createErasureRunner, createProvisioner } from '@tessera/tenants';

/**
 * Data residency with two real object stores and two real MariaDB servers standing for two
 * regions: the harness's s3rver and the MariaDB on 3306 are us-east-1 (the home region, S3_* and
 * DATABASE_URL), a second s3rver over TLS and the MariaDB on 3307 (scripts/local-region-mariadb.sh)
 * are eu-west-1 (REGION_OBJECT_STORES, REGION_DATABASES). ap-south-1 is a region the deployment
 * lists but has no store for (its schemas would be on 3307 too). An EU tenant's whole life runs
 * through the gateway, and then every object of both stores and every row of both servers is counted.
 */
const home = 'us-east-1';
const eu = 'eu-west-1';
const storeless = 'ap-south-1';
const euServer = `127.0.0.1:${process.env['TESSERA_REGION_DB_PORT'] ?? '3307'}`;

const jobFields = 'id status error { code message } result { modelVersionId datasetVersionId }';
const submitProfile = `mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { ${jobFields} } }`;
const submitTraining = `mutation($input: SubmitTrainingJobInput!) { submitTrainingJob(input: $input) { ${jobFields} } }`;
const submitBatch = `mutation($input: SubmitBatchInferenceJobInput!) { submitBatchInferenceJob(input: $input) { ${jobFields} } }`;
const getJob = `query($id: ID!) { job(id: $id) { ${jobFields} } }`;
const provisionTenant = `mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { created tenant { id region } } }`;
const migrateRegion = `mutation($id: ID!, $to: String!, $confirm: String!) { migrateTenantRegion(id: $id, toRegion: $to, confirm: $confirm) { id region } }`;

interface Job {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  result: { modelVersionId: string | null; datasetVersionId: string | null } | null;
}

function linearCsv(rows: number): string {
  const lines = ['x1,x2,y'];
  for (let i = 0; i < rows; i++) lines.push(`${(i % 7) - 3},${(i % 5) * 0.5},${(3 * ((i % 7) - 3) - (i % 5) + 1).toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

async function objectsOf(client: ObjectStoreClient): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const bucket of await client.listBuckets()) {
    const keys: string[] = [];
    for await (const item of client.listObjectsV2(bucket.name, '', true)) if (item.name) keys.push(item.name);
    out.set(bucket.name, keys.sort());
  }
  return out;
}

/**
 * Each service account's rights on `schema`'s tables, as the account itself sees them (an account
 * sees only its own grants), on `server` (undefined: the home server): service → "table PRIVILEGE".
 */
async function serviceGrantsOn(server: string | undefined, schema: string): Promise<Record<string, string[]>> {
  const pki = ensureLocalPki();
  const out: Record<string, string[]> = {};
  for (const [service, url] of Object.entries(localServiceDatabaseUrls())) {
    const account = await openMigrationDataSource({ adminUrl: server === undefined ? url : databaseUrlOnServer(url, server), tlsCa: pki.ca }, undefined, []);
    try {
      // Table rights, and column rights as `table.column PRIVILEGE` (the outboxes' writable columns).
      const rows = (await account.query(
        "SELECT CONCAT(TABLE_NAME, ' ', PRIVILEGE_TYPE) AS g FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ? UNION ALL SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', PRIVILEGE_TYPE) FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = ? ORDER BY g",
        [schema, schema],
      )) as Array<{ g: string }>;
      if (rows.length > 0) out[service] = rows.map((row) => row.g);
    } finally {
      await account.destroy();
    }
  }
  return out;
}

function reasonOf(response: GraphQLResponse<unknown>): unknown {
  return response.errors?.[0]?.extensions?.['reason'];
}

describe('data residency: a tenant\'s region decides where its bytes live and where its jobs run', () => {
  let euStore: RunningS3Server;
  const euKey = { accessKey: `eu${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
  let stack: TestStack;
  let usClient: ObjectStoreClient;
  let euClient: ObjectStoreClient;
  let euTenant: TestTenant;
  let usTenant: TestTenant;
  let euScientist: string;
  let euAdmin: string;
  let usScientist: string;
  let platformAdmin: string;

  const query = async <T>(token: string, text: string, variables?: Record<string, unknown>) => expectNoErrors(await stack.query<T>(token, text, variables));

  async function uploadDataset(token: string, name: string, csv: string): Promise<string> {
    const datasetId = (await query<{ createDataset: { id: string } }>(token, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name } })).createDataset.id;
    const body = Buffer.from(csv);
    const upload = (
      await query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', {
        input: { datasetId, filename: 'data.csv', byteSize: body.length },
      })
    ).createDatasetUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
    expect(put.status).toBe(200);
    return (await query<{ completeDatasetUpload: { id: string } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id })).completeDatasetUpload.id;
  }

  async function waitForJob(token: string, id: string, statuses: string[], timeoutMs = 90_000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await query<{ job: Job }>(token, getJob, { id })).job;
      if (statuses.includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}; wanted ${statuses.join('|')}`);
      await sleep(200);
    }
  }

  beforeAll(async () => {
    const pki = ensureLocalPki();
    euStore = await startS3Server({ ...euKey, tls: pki.identity('s3') });
    stack = await startTestStack({
      regions: [home, eu, storeless],
      regionDatabases: { [eu]: euServer, [storeless]: euServer },
      objectStore: {
        regions: { [eu]: { endpoint: euStore.endpoint, ...euKey, credentials: { mode: 'static' }, tlsCaFile: pki.caFile, signingRegion: eu } },
      },
    });
    const storeSettings = { defaultRegion: home, tlsCaFile: pki.caFile };
    usClient = createObjectStoreClient({ ...storeSettings, endpoint: stack.config.objectStore.endpoint, accessKey: stack.config.objectStore.accessKey, secretKey: stack.config.objectStore.secretKey });
    euClient = createObjectStoreClient({ ...storeSettings, endpoint: euStore.endpoint, ...euKey });
    // Both at once: each on its own region's database server and store.
    [euTenant, usTenant] = await Promise.all([stack.createTenant({ region: eu, limits: { costBurst: 60_000 } }), stack.createTenant({ region: home, limits: { costBurst: 60_000 } })]);
    [euScientist, euAdmin, usScientist, platformAdmin] = await Promise.all([euTenant.token('data_scientist'), euTenant.token('admin'), usTenant.token('data_scientist'), stack.platformAdminToken()]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await euStore?.close();
  });

  it('creates each tenant\'s bucket in its region\'s store only', async () => {
    expect(await euClient.bucketExists(euTenant.bucket)).toBe(true);
    expect(await usClient.bucketExists(euTenant.bucket)).toBe(false);
    expect(await usClient.bucketExists(usTenant.bucket)).toBe(true);
    expect(await euClient.bucketExists(usTenant.bucket)).toBe(false);
  });

  it('runs an EU tenant\'s whole life in the EU: a US worker never takes its job, every byte lands in the EU store and none in the US store', async () => {
    const euData = await uploadDataset(euScientist, 'eu-linear', linearCsv(80));
    const usData = await uploadDataset(usScientist, 'us-linear', linearCsv(20));

    // Only a worker of the home region runs: the EU job stays queued while the US one finishes,
    // even with the EU tenant forged into the US pool's ring (the worker checks the tenant's region).
    const usWorker = await stack.workers.start({ region: home });
    const forger = openRedis(stack.config.redis, 'residency-forger', 'request');
    const euProfile = (await query<{ submitProfileJob: Job }>(euScientist, submitProfile, { input: { datasetVersionId: euData } })).submitProfileJob;
    try {
      await new TenantRing(forger, stack.config.redis.keyPrefix).add(sharedPool(home), euTenant.id);
      const usProfile = (await query<{ submitProfileJob: Job }>(usScientist, submitProfile, { input: { datasetVersionId: usData } })).submitProfileJob;
      expect((await waitForJob(usScientist, usProfile.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
      await sleep(3_000); // several idle turns of the US worker over its ring, EU tenant included
      expect((await waitForJob(euScientist, euProfile.id, ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'])).status).toBe('QUEUED');
    } finally {
      await forger.quit();
      await usWorker.stop();
    }

    // An EU worker takes it, and then every EU job.
    const euWorker = await stack.workers.start({ region: eu });
    try {
      expect((await waitForJob(euScientist, euProfile.id, ['SUCCEEDED', 'FAILED'])).status).toBe('SUCCEEDED');
      const training = (
        await query<{ submitTrainingJob: Job }>(euScientist, submitTraining, {
          input: { datasetVersionId: euData, targetColumn: 'y', featureColumns: ['x1', 'x2'], modelType: 'LINEAR_REGRESSION', modelName: 'eu-model', hyperParameters: { epochs: 5 } },
        })
      ).submitTrainingJob;
      const trained = await waitForJob(euScientist, training.id, ['SUCCEEDED', 'FAILED']);
      expect(trained).toMatchObject({ status: 'SUCCEEDED' });
      const batch = (
        await query<{ submitBatchInferenceJob: Job }>(euScientist, submitBatch, {
          input: { datasetVersionId: euData, modelVersionId: trained.result!.modelVersionId, featureColumns: ['x1', 'x2'], outputDatasetName: 'eu-predictions' },
        })
      ).submitBatchInferenceJob;
      expect(await waitForJob(euScientist, batch.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await euWorker.stop();
    }

    // A model file uploaded through the gateway.
    const modelId = (await query<{ createModel: { id: string } }>(euScientist, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', { input: { name: 'eu-uploaded' } })).createModel.id;
    const onnx = Buffer.from(buildLinearRegression({ weights: [1, 2], bias: 0.5 }));
    const modelUpload = (
      await query<{ createModelUpload: { id: string; uploadUrl: string } }>(euScientist, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }', {
        input: { modelId, filename: 'model.onnx', byteSize: onnx.length },
      })
    ).createModelUpload;
    const put = await fetch(modelUpload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${euScientist}` }, body: onnx });
    expect(put.status).toBe(200);
    await query(euScientist, 'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }', { id: modelUpload.id });

    // Audit export and a signed checkpoint (both written into the tenant's bucket).
    await stack.drainAudit(euTenant.id);
    const exported = (
      await query<{ exportAuditEvents: { objectKey: string; proofObjectKey: string } }>(euAdmin, 'mutation($from: DateTime!, $to: DateTime!) { exportAuditEvents(from: $from, to: $to) { objectKey proofObjectKey } }', {
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      })
    ).exportAuditEvents;
    const checkpoint = (await query<{ createAuditCheckpoint: { objectKey: string } }>(euAdmin, 'mutation { createAuditCheckpoint { objectKey } }')).createAuditCheckpoint;

    // Every object the EU tenant's records point at is in the EU store's bucket of the EU tenant.
    const schema = `\`${euTenant.schema}\``;
    const referenced = [
      ...((await stack.adminQueryOn(euServer, `SELECT object_key FROM ${schema}.dataset_versions`)) as Array<{ object_key: string }>).map((row) => row.object_key),
      ...((await stack.adminQueryOn(euServer, `SELECT object_key FROM ${schema}.model_versions`)) as Array<{ object_key: string }>).map((row) => row.object_key),
      exported.objectKey,
      exported.proofObjectKey,
      checkpoint.objectKey,
    ];
    // Two dataset versions (upload, batch output), two model versions (trained, uploaded), export, proof, checkpoint.
    expect(referenced).toHaveLength(7);
    const inEu = await objectsOf(euClient);
    const inUs = await objectsOf(usClient);
    expect([...inEu.keys()]).toEqual([euTenant.bucket]);
    expect(inEu.get(euTenant.bucket)).toEqual(expect.arrayContaining(referenced));
    expect(inEu.get(euTenant.bucket)!.some((key) => key.startsWith('datasets/'))).toBe(true);
    expect(inEu.get(euTenant.bucket)!.some((key) => key.startsWith('models/'))).toBe(true);
    expect(inEu.get(euTenant.bucket)!.some((key) => key.startsWith('audit/'))).toBe(true);
    // Nothing of the EU tenant in the US store: no bucket of its name, and no key it references in any bucket.
    expect(inUs.has(euTenant.bucket)).toBe(false);
    expect([...inUs.keys()]).toContain(usTenant.bucket);
    for (const [bucket, keys] of inUs) expect({ bucket, leaked: keys.filter((key) => referenced.includes(key)) }).toEqual({ bucket, leaked: [] });
  }, 300_000);

  it('keeps the EU tenant\'s schema and rows on the EU database server only; the services read them back from there', async () => {
    const onHome = <T>(sql: string, params?: unknown[]) => stack.adminQuery<T>(sql, params);
    const onEu = <T>(sql: string, params?: unknown[]) => stack.adminQueryOn<T>(euServer, sql, params);
    const schemasOn = async (run: typeof onHome) => (await run<Array<{ Database: string }>>('SHOW DATABASES')).map((row) => row.Database);
    const control = stack.config.database.controlSchema;
    const [homeSchemas, euSchemas] = [await schemasOn(onHome), await schemasOn(onEu)];
    expect({ home: homeSchemas.includes(euTenant.schema), eu: euSchemas.includes(euTenant.schema) }).toEqual({ home: false, eu: true });
    expect({ home: homeSchemas.includes(usTenant.schema), eu: euSchemas.includes(usTenant.schema) }).toEqual({ home: true, eu: false });
    // The control plane stays home: the EU server's schema of that name only anchors it (routines, grant list, regions).
    expect((await onEu<Array<Record<string, string>>>(`SHOW TABLES FROM ${quoteIdentifier(control)}`)).map((row) => Object.values(row)[0]).sort()).toEqual(['dedicated_worker_accounts', 'region_tenant_schemas', 'served_regions', 'service_table_grants']);
    expect(await onEu<unknown[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [control, 'tenants'])).toEqual([]);

    // Every row the EU tenant's life wrote is on the EU server; the home server has no table of its schema.
    await stack.drainAudit(euTenant.id);
    const count = async (table: string) => Number((await onEu<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(euTenant.schema)}.${quoteIdentifier(table)}`))[0]!.n);
    const rows = Object.fromEntries(await Promise.all(['datasets', 'dataset_versions', 'dataset_uploads', 'models', 'model_versions', 'jobs'].map(async (table) => [table, await count(table)] as const)));
    expect(rows).toEqual({ datasets: 2, dataset_versions: 2, dataset_uploads: 1, models: 2, model_versions: 2, jobs: 3 });
    const auditRows = await count('audit_events');
    expect(auditRows).toBeGreaterThan(10);
    expect(await onHome<unknown[]>('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [euTenant.schema])).toEqual([]);
    expect(await onEu<unknown[]>('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [usTenant.schema])).toEqual([]);

    // Read back through the gateway, from the EU server.
    const names = (await query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(euScientist, 'query { datasets { edges { node { name } } } }')).datasets.edges.map((edge) => edge.node.name);
    expect(names.sort()).toEqual(['eu-linear', 'eu-predictions']);
    const models = (await query<{ models: { edges: Array<{ node: { id: string; name: string } }> } }>(euScientist, 'query { models { edges { node { id name } } } }')).models.edges.map((edge) => edge.node);
    expect(models.map((model) => model.name).sort()).toEqual(['eu-model', 'eu-uploaded']);
    const jobs = (await query<{ jobs: { edges: Array<{ node: { id: string; status: string } }> } }>(euScientist, 'query { jobs { edges { node { id status } } } }')).jobs.edges.map((edge) => edge.node);
    expect(jobs.map((job) => job.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const events = (await query<{ auditEvents: { edges: unknown[] } }>(euAdmin, 'query { auditEvents(first: 100) { edges { node { action } } } }')).auditEvents.edges;
    expect(events.length).toBeGreaterThanOrEqual(Math.min(auditRows, 100));

    // Tenant B (home region) sees none of it.
    expect(errorCodes(await stack.query(usScientist, getJob, { id: jobs[0]!.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(usScientist, 'query($id: ID!) { model(id: $id) { id } }', { id: models[0]!.id }))).toEqual(['NOT_FOUND']);
    const usDatasets = (await query<{ datasets: { edges: Array<{ node: { id: string; name: string } }> } }>(usScientist, 'query { datasets { edges { node { id name } } } }')).datasets.edges.map((edge) => edge.node);
    expect(usDatasets.map((dataset) => dataset.name)).toEqual(['us-linear']);

    // Writes that span the two servers: the EU scientist probing the US tenant's dataset is recorded in the EU
    // tenant's log (on 3307) and, with the owner, in the platform security log (home); an EU admin's change to its
    // service accounts (a control-plane transaction) lands in the EU tenant's log on 3307.
    expect(errorCodes(await stack.query(euScientist, 'query($id: ID!) { dataset(id: $id) { id } }', { id: usDatasets[0]!.id }))).toEqual(['NOT_FOUND']);
    await query(euAdmin, 'mutation { createServiceAccount(input: { name: "eu-bot", role: VIEWER }) { id } }');
    await stack.drainAudit(euTenant.id);
    const euLog = (action: string) => onEu<unknown[]>(`SELECT 1 FROM ${quoteIdentifier(euTenant.schema)}.audit_events WHERE action = ?`, [action]);
    expect((await euLog('cross_tenant_attempt')).length).toBe(1);
    expect((await euLog('service_account.create')).length).toBe(1);
    const security = quoteIdentifier(control);
    expect(
      await onHome<Array<{ n: number | string }>>(
        `SELECT COUNT(*) AS n FROM (SELECT tenant_id FROM ${security}.security_outbox WHERE action = 'cross_tenant_attempt' UNION ALL SELECT tenant_id FROM ${security}.security_events WHERE action = 'cross_tenant_attempt') e WHERE tenant_id = ?`,
        [euTenant.id],
      ),
    ).toEqual([{ n: 1 }]);

    // Verified where it is: every event chained so far on 3307 (the relay may chain more meanwhile).
    const chained = await count('audit_events');
    const verified = (await query<{ verifyAuditChain: { valid: boolean; checkedEvents: number } }>(euAdmin, 'query { verifyAuditChain { valid checkedEvents } }')).verifyAuditChain;
    expect(verified.valid).toBe(true);
    expect(verified.checkedEvents).toBeGreaterThanOrEqual(chained);

    // The service accounts exist on the EU server and hold the same rights on the EU tenant's tables as on a home tenant's.
    const euGrants = await serviceGrantsOn(euServer, euTenant.schema);
    // Not the workers: they hold no right in any tenant's schema (a run's time is metered by the jobs service).
    expect(Object.keys(euGrants).sort()).toEqual(['audit', 'datasets', 'gateway', 'jobs', 'metrics', 'models', 'tenants']);
    expect(euGrants['datasets']).toEqual(expect.arrayContaining(['datasets SELECT', 'datasets INSERT', 'audit_outbox.action INSERT', 'audit_outbox.actor_subject INSERT']));
    // The outbox's writer is the server's to record, on a region's server too.
    expect(euGrants['datasets']).not.toContain('audit_outbox INSERT');
    expect(euGrants['datasets']).not.toContain('audit_outbox.written_by INSERT');
    expect(euGrants['datasets']).not.toContain('audit_outbox SELECT');
    expect(euGrants).toEqual(await serviceGrantsOn(undefined, usTenant.schema));

    // A schema of an EU tenant on the home server (REGION_DATABASES set after it was placed) stops `tessera migrate`.
    await onHome(`CREATE DATABASE ${quoteIdentifier(euTenant.schema)}`);
    try {
      await expect(migrateDeployment(stack.migrator, serviceData)).rejects.toThrow(new RegExp(`tenant ${euTenant.id} \\(region ${eu}\\) has its schema on the home server, but REGION_DATABASES places ${eu} on ${euServer}`));
    } finally {
      await onHome(`DROP DATABASE ${quoteIdentifier(euTenant.schema)}`);
    }
    // `tessera migrate` migrates (and re-grants) the tenant schemas of every server.
    const report = await migrateDeployment(stack.migrator, serviceData);
    expect(report.regionServers[euServer]).toBeGreaterThanOrEqual(1);
    expect(await serviceGrantsOn(euServer, euTenant.schema)).toEqual(euGrants);
  }, 120_000);

  it('the US region\'s clients cannot reach the EU tenant\'s bucket, and tenant B cannot read A\'s things', async () => {
    const usRegion = stack.platform.runtimes.datasets.objectStores.inRegion(home);
    // The EU bucket does not exist in the US store: the US region's client for the EU tenant finds nothing.
    expect(await usRegion.forTenant(euTenant.id).bucketExists(euTenant.bucket)).toBe(false);
    await expect(usRegion.forTenant(euTenant.id).getObject(euTenant.bucket, 'datasets/x')).rejects.toMatchObject({ code: expect.stringMatching(/NoSuchBucket|NotFound/) });
    // The platform routes the EU tenant to the EU store only.
    expect(await stack.platform.runtimes.datasets.objectStores.forTenant({ id: euTenant.id, region: eu }).bucketExists(euTenant.bucket)).toBe(true);
    const euDatasets = (await query<{ datasets: { edges: Array<{ node: { id: string } }> } }>(euScientist, 'query { datasets { edges { node { id } } } }')).datasets.edges;
    expect(euDatasets.length).toBeGreaterThan(0);
    expect(errorCodes(await stack.query(usScientist, 'query($id: ID!) { dataset(id: $id) { id } }', { id: euDatasets[0]!.node.id }))).toEqual(['NOT_FOUND']);
  });

  it('refuses a region without a store: nothing is provisioned, and a tenant placed there is refused, never served from another store', async () => {
    const id = `t${randomBytes(5).toString('hex')}`;
    const refused = await stack.query(platformAdmin, provisionTenant, { input: { id, displayName: 'Nowhere', region: storeless, tier: 'SHARED' } });
    expect(errorCodes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(reasonOf(refused)).toBe('REGION_UNAVAILABLE');
    expect(await stack.adminQuery(`SELECT id FROM \`${stack.config.database.controlSchema}\`.tenants WHERE id = ?`, [id])).toEqual([]);
    expect(await usClient.bucketExists(`tessera-${id}`)).toBe(false);
    expect(await euClient.bucketExists(`tessera-${id}`)).toBe(false);
    // Not a listed region at all: BAD_USER_INPUT.
    expect(errorCodes(await stack.query(platformAdmin, provisionTenant, { input: { id, displayName: 'Nowhere', region: 'sa-east-1', tier: 'SHARED' } }))).toEqual(['BAD_USER_INPUT']);

    // A tenant whose record names a region this service has no store for (its store was taken out
    // of this deployment's configuration): refused, not served from the home region's store.
    const placed = await stack.createTenant({ region: eu });
    const control = `\`${stack.config.database.controlSchema}\``;
    await stack.adminQuery(`UPDATE ${control}.tenants SET region = ? WHERE id = ?`, [storeless, placed.id]);
    try {
      const token = await placed.token('data_scientist');
      const listed = await stack.query(token, 'query { datasets { edges { node { id } } } }');
      expect({ codes: errorCodes(listed), reason: reasonOf(listed) }).toEqual({ codes: ['SERVICE_UNAVAILABLE'], reason: 'REGION_UNAVAILABLE' });
      const created = await stack.query(token, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 'x' } });
      expect({ codes: errorCodes(created), reason: reasonOf(created) }).toEqual({ codes: ['SERVICE_UNAVAILABLE'], reason: 'REGION_UNAVAILABLE' });
      expect(await stack.adminQueryOn(euServer, `SELECT id FROM \`${placed.schema}\`.datasets`)).toEqual([]);
      expect(await usClient.bucketExists(placed.bucket)).toBe(false);
      expect(await objectsOf(euClient).then((stores) => stores.get(placed.bucket))).toEqual([]);
    } finally {
      await stack.adminQuery(`UPDATE ${control}.tenants SET region = ? WHERE id = ?`, [eu, placed.id]);
    }
  });

  it('refuses any change of a tenant\'s region except the explicit, audited migration, which is offline only', async () => {
    // Provisioning again with another region.
    const again = await stack.query(platformAdmin, provisionTenant, { input: { id: euTenant.id, displayName: 'x', region: home, tier: 'SHARED' } });
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(reasonOf(again)).toBe('REGION_IMMUTABLE');
    // Only platform admins; the tenant's own admin is FORBIDDEN.
    expect(errorCodes(await stack.query(euAdmin, migrateRegion, { id: euTenant.id, to: home, confirm: euTenant.id }))).toEqual(['FORBIDDEN']);
    // Bad input: unknown region, same region, confirmation that does not repeat the id, another tenant's id as confirmation.
    expect(errorCodes(await stack.query(platformAdmin, migrateRegion, { id: euTenant.id, to: 'sa-east-1', confirm: euTenant.id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, migrateRegion, { id: euTenant.id, to: eu, confirm: euTenant.id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, migrateRegion, { id: euTenant.id, to: home, confirm: usTenant.id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, migrateRegion, { id: `t${randomBytes(5).toString('hex')}`, to: home, confirm: 'x' }))).toEqual(['NOT_FOUND']);
    // Confirmed: refused as offline only, and audited in both logs.
    const asked = await stack.query(platformAdmin, migrateRegion, { id: euTenant.id, to: home, confirm: euTenant.id });
    expect(errorCodes(asked)).toEqual(['CONFLICT']);
    expect(reasonOf(asked)).toBe('REGION_MIGRATION_OFFLINE');
    const control = `\`${stack.config.database.controlSchema}\``;
    expect(await stack.adminQuery(`SELECT region FROM ${control}.tenants WHERE id = ?`, [euTenant.id])).toEqual([{ region: eu }]);
    const security = (await stack.adminQuery(
      `SELECT action, outcome, details_json FROM ${control}.security_outbox WHERE tenant_id = ? AND action = 'tenant.region.migrate'
       UNION ALL SELECT action, outcome, details_json FROM ${control}.security_events WHERE tenant_id = ? AND action = 'tenant.region.migrate'`,
      [euTenant.id, euTenant.id],
    )) as Array<{ outcome: string; details_json: string | Record<string, unknown> }>;
    expect(security).toHaveLength(1);
    expect(security[0]!.outcome).toBe('DENIED');
    const details = typeof security[0]!.details_json === 'string' ? JSON.parse(security[0]!.details_json) : security[0]!.details_json;
    expect(details).toMatchObject({ from: eu, to: home, result: 'REGION_MIGRATION_OFFLINE' });
    const tenantLog = (await stack.adminQueryOn(
      euServer,
      `SELECT outcome FROM \`${euTenant.schema}\`.audit_outbox WHERE action = 'tenant.region.migrate' UNION ALL SELECT outcome FROM \`${euTenant.schema}\`.audit_events WHERE action = 'tenant.region.migrate'`,
    )) as Array<{ outcome: string }>;
    expect(tenantLog).toEqual([{ outcome: 'DENIED' }]);
    // The tenant keeps working in its region.
    expect((await query<{ currentTenant: { region: string } }>(euScientist, 'query { currentTenant { region } }')).currentTenant.region).toBe(eu);
  });

  it('erasing the EU tenant drops its schema on the EU server, and leaves nothing of it on either server', async () => {
    const requested = expectNoErrors(
      await stack.query<{ requestTenantErasure: { id: string } }>(platformAdmin, 'mutation($tenantId: ID, $confirm: String!) { requestTenantErasure(tenantId: $tenantId, confirm: $confirm) { id } }', { tenantId: euTenant.id, confirm: euTenant.id }),
    ).requestTenantErasure;
    const control = quoteIdentifier(stack.config.database.controlSchema);
    await stack.adminQuery(`UPDATE ${control}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), requested.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    expect(await built.runner.runDue()).toEqual([requested.id]);
    for (const run of [<T>(sql: string, params?: unknown[]) => stack.adminQuery<T>(sql, params), <T>(sql: string, params?: unknown[]) => stack.adminQueryOn<T>(euServer, sql, params)]) {
      expect(await run<unknown[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [euTenant.schema])).toEqual([]);
    }
    // MySQL keeps table grants past a DROP: the routine revoked them first, so a later schema of that name inherits none.
    expect(await serviceGrantsOn(euServer, euTenant.schema)).toEqual({});
    expect(await stack.adminQueryOn<unknown[]>(euServer, `SELECT 1 FROM ${control}.region_tenant_schemas WHERE schema_name = ?`, [euTenant.schema])).toEqual([]);
    expect(await stack.adminQuery<unknown[]>(`SELECT 1 FROM ${control}.tenants WHERE id = ?`, [euTenant.id])).toEqual([]);
    // The home tenant is untouched.
    expect((await query<{ datasets: { edges: unknown[] } }>(usScientist, 'query { datasets { edges { node { id } } } }')).datasets.edges).toHaveLength(1);
  });
});
