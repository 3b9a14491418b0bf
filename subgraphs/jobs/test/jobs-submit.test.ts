import { randomUUID } from 'node:crypto';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { jobListQuery } from '../src/data/job-list-query';
import { cancelJob, getJob, jobRows, queueCounts, retryJob, submitBatch, submitProfile, submitTraining, uploadDataset, type JobView } from './job-support';

/**
 * Submit-time rules, without any worker running: bad input is a typed error and leaves nothing
 * behind (no row, no queue entry, no audit event); quotas; roles; and tenant B can reach none of
 * tenant A's jobs by any handle.
 */
describe('jobs: submit validation, quotas, roles and tenant isolation', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let scientistA: string;
  let versionA: string;
  let emptyVersionA: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant({ limits: { maxQueuedJobs: 3 } }), stack.createTenant()]);
    scientistA = await a.token('data_scientist');
    versionA = (await uploadDataset(stack, scientistA, 'houses', 'size,rooms,city,price,sold,blank\n120,4,Oslo,300.5,true,\n80,2,Bergen,190,false,\n')).versionId;
    // An upload cannot be empty (the CSV check refuses it); a version with no rows is made directly,
    // as a platform-made version could be, to prove the submit refuses it before reading any object.
    const { datasetId } = await uploadDataset(stack, scientistA, 'empty', 'size,price\n1,2\n');
    emptyVersionA = randomUUID();
    await stack.platform.runtime.db.query(
      `INSERT INTO \`${a.schema}\`.dataset_versions (id, dataset_id, number, object_key, byte_size, stored_size, sha256, key_version, row_count, columns_json, created_by, created_at)
       VALUES (?, ?, 2, 'datasets/none.csv', 11, 11, REPEAT('0', 64), 1, 0, ?, 'test', NOW(3))`,
      [emptyVersionA, datasetId, JSON.stringify([{ name: 'size', type: 'INTEGER', nullable: false, nullCount: 0 }, { name: 'price', type: 'INTEGER', nullable: false, nullCount: 0 }])],
    );
  });
  afterAll(() => stack?.stop());

  /** The error's code and the field it names; and proof that nothing was written or queued. */
  async function expectRejected(response: GraphQLResponse, code: string, field?: string): Promise<void> {
    expect(errorCodes(response)).toEqual([code]);
    if (field) expect(response.errors?.[0]?.extensions?.['field']).toBe(field);
    expect(response.data ?? null).toBeNull();
    expect(await jobRows(stack, a)).toEqual([]);
    expect(await queueCounts(stack, a.id)).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  }

  const train = (input: Record<string, unknown>, token = scientistA) =>
    stack.query(token, submitTraining, { input: { datasetVersionId: versionA, targetColumn: 'price', modelType: 'LINEAR_REGRESSION', ...input } });

  it.each([
    ['an unknown column as target', { targetColumn: 'nope' }, 'targetColumn'],
    ['a non-numeric target', { targetColumn: 'city' }, 'targetColumn'],
    ['an unknown feature column', { featureColumns: ['size', 'nope'] }, 'featureColumns'],
    ['a non-numeric feature', { featureColumns: ['size', 'city'] }, 'featureColumns'],
    ['the target among the features', { featureColumns: ['size', 'price'] }, 'featureColumns'],
    ['a repeated feature', { featureColumns: ['size', 'size'] }, 'featureColumns'],
    ['no features at all', { featureColumns: [] }, 'featureColumns'],
    ['zero epochs', { hyperParameters: { epochs: 0 } }, 'hyperParameters.epochs'],
    ['a negative learning rate', { hyperParameters: { learningRate: -0.1 } }, 'hyperParameters.learningRate'],
    ['a batch size over the bound', { hyperParameters: { batchSize: 1_000_000 } }, 'hyperParameters.batchSize'],
    ['hidden units on a linear model', { hyperParameters: { hiddenUnits: [4] } }, 'hyperParameters.hiddenUnits'],
    ['an oversized MLP layer', { modelType: 'MLP', hyperParameters: { hiddenUnits: [8, 100_000] } }, 'hyperParameters.hiddenUnits[1]'],
    ['a model name with a path in it', { modelName: '../etc/passwd' }, 'modelName'],
    ['an empty dataset', { datasetVersionId: 'EMPTY' }, 'datasetVersionId'],
    ['a target column empty in every row', { targetColumn: 'blank' }, 'targetColumn'],
    ['a malformed dataset version id', { datasetVersionId: "1' OR '1'='1" }, 'datasetVersionId'],
  ])('TRAIN with %s → BAD_USER_INPUT naming the field; nothing written or queued', async (_name, input, field) => {
    const patched = { ...input, ...(input['datasetVersionId' as keyof typeof input] === 'EMPTY' ? { datasetVersionId: emptyVersionA } : {}) };
    await expectRejected(await train(patched), 'BAD_USER_INPUT', field);
  });

  it('TRAIN, PROFILE and BATCH_INFERENCE on an unknown dataset version or model → NOT_FOUND; nothing written or queued', async () => {
    await expectRejected(await train({ datasetVersionId: randomUUID() }), 'NOT_FOUND');
    await expectRejected(await stack.query(scientistA, submitProfile, { input: { datasetVersionId: randomUUID() } }), 'NOT_FOUND');
    await expectRejected(await stack.query(scientistA, submitBatch, { input: { datasetVersionId: versionA, modelVersionId: randomUUID() } }), 'NOT_FOUND');
    await expectRejected(await stack.query(scientistA, submitBatch, { input: { datasetVersionId: versionA, modelId: randomUUID(), alias: 'production' } }), 'NOT_FOUND');
    await expectRejected(await stack.query(scientistA, submitBatch, { input: { datasetVersionId: versionA } }), 'BAD_USER_INPUT', 'modelVersionId');
    await expectRejected(await stack.query(scientistA, submitProfile, { input: { datasetVersionId: versionA, columns: ['size', 'ghost'] } }), 'BAD_USER_INPUT', 'columns');
  });

  it('a viewer may read jobs but not submit, cancel or retry them (FORBIDDEN)', async () => {
    const viewer = await a.token('viewer');
    expect(errorCodes(await train({}, viewer))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(viewer, submitProfile, { input: { datasetVersionId: versionA } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(viewer, cancelJob, { id: randomUUID() }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(viewer, retryJob, { id: randomUUID() }))).toEqual(['FORBIDDEN']);
    expect(expectNoErrors(await stack.query<{ jobs: { edges: unknown[] } }>(viewer, '{ jobs { edges { cursor } } }')).jobs.edges).toEqual([]);
    expect(await jobRows(stack, a)).toEqual([]);
  });

  it("the dataset-version filter reads one index range of a long history (the list's own statement, planned by MariaDB), not every job of the tenant", async () => {
    // A history of 3 600 profiles of 600 other versions, and 3 of the one asked for, written directly
    // (the queue limit and the rate would take minutes); statistics refreshed as after any bulk load.
    const tenant = await stack.createTenant();
    const asked = randomUUID();
    await stack.platform.runtime.db.query(
      `INSERT INTO \`${tenant.schema}\`.jobs (id, kind, status, input_json, created_by, created_at, updated_at)
       WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
       SELECT UUID(), 'PROFILE', 'SUCCEEDED', JSON_OBJECT('datasetVersionId', IF(x.i * 60 + y.i <= 63, ?, CONCAT(LPAD(x.i * 10 + y.i MOD 10, 8, '0'), '-0000-4000-8000-000000000000'))), 'test', NOW(3), NOW(3)
         FROM n x CROSS JOIN n y`,
      [asked],
    );
    await stack.platform.runtime.db.query(`ANALYZE TABLE \`${tenant.schema}\`.jobs`);
    // The jobs service's own database account, in the tenant's schema as its scope uses it.
    const runner = stack.platform.runtimes.jobs.db.createQueryRunner();
    try {
      await runner.query(`USE \`${tenant.schema}\``);
      for (const kinds of [null, ['PROFILE' as const]]) {
        for (const order of ['ASC', 'DESC'] as const) {
          const query = jobListQuery(runner.manager, { statuses: null, kinds, datasetVersionId: asked }).orderBy('j.createdAt', order).addOrderBy('j.id', order).take(2);
          const [sql, parameters] = query.getQueryAndParameters();
          const plan = (await runner.query(`EXPLAIN ${sql}`, parameters)) as Array<{ key: string | null; rows: number | string }>;
          expect(plan.map((row) => row.key)).toEqual(['ix_jobs_dataset_version']);
          expect(Number(plan[0]!.rows)).toBeLessThan(100);
        }
      }
    } finally {
      await runner.release();
    }
    const page = expectNoErrors(await stack.query<{ jobs: { edges: unknown[] } }>(await tenant.token('viewer'), 'query ($id: ID!) { jobs(first: 100, filter: { datasetVersionId: $id }) { edges { cursor } } }', { id: asked }));
    expect(page.jobs.edges).toHaveLength(3);
  });

  describe('with jobs queued (no worker runs in this file)', () => {
    const submitted: JobView[] = [];

    beforeAll(async () => {
      const admin = await a.token('admin');
      submitted.push(expectNoErrors(await train({})).submitTrainingJob as JobView);
      submitted.push(expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(admin, submitProfile, { input: { datasetVersionId: versionA } })).submitProfileJob);
      submitted.push(expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientistA, submitProfile, { input: { datasetVersionId: versionA, columns: ['city'] } })).submitProfileJob);
    });

    it('queues each job in the tenant\'s own queue, with its row and audit event', async () => {
      expect(submitted.map((j) => j.status)).toEqual(['QUEUED', 'QUEUED', 'QUEUED']);
      expect(await queueCounts(stack, a.id)).toMatchObject({ waiting: 3 });
      expect(await queueCounts(stack, b.id)).toMatchObject({ waiting: 0 });
      expect((await jobRows(stack, a)).map((r) => r['id'])).toEqual(submitted.map((j) => j.id).sort((x, y) => submitted.findIndex((j) => j.id === x) - submitted.findIndex((j) => j.id === y)));
      await stack.drainAudit(a.id);
      const audit = (await stack.platform.runtime.db.query(`SELECT action, target_id FROM \`${a.schema}\`.audit_events WHERE action = 'job.submit'`)) as Array<{ target_id: string }>;
      expect(audit.map((e) => e.target_id).sort()).toEqual(submitted.map((j) => j.id).sort());
    });

    it('filters and pages the job list', async () => {
      const profiles = expectNoErrors(await stack.query<{ jobs: { edges: Array<{ node: { id: string } }> } }>(scientistA, '{ jobs(filter: { kind: [PROFILE] }) { edges { node { id } } } }'));
      expect(profiles.jobs.edges.map((e) => e.node.id)).toEqual([submitted[1]!.id, submitted[2]!.id]);
      const page = expectNoErrors(await stack.query<{ jobs: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(scientistA, '{ jobs(first: 2, filter: { status: [QUEUED] }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }'));
      expect(page.jobs.edges).toHaveLength(2);
      expect(page.jobs.pageInfo.hasNextPage).toBe(true);
      // A value repeated in a filter list is the same filter (each value is queried once).
      const repeated = expectNoErrors(await stack.query<{ jobs: { edges: Array<{ node: { id: string } }> } }>(scientistA, 'query ($s: [JobStatus!]) { jobs(first: 100, filter: { status: $s, kind: [PROFILE, PROFILE] }) { edges { node { id } } } }', { s: Array<string>(500).fill('QUEUED') }));
      const once = expectNoErrors(await stack.query<{ jobs: { edges: Array<{ node: { id: string } }> } }>(scientistA, '{ jobs(first: 100, filter: { status: [QUEUED], kind: [PROFILE] }) { edges { node { id } } } }'));
      expect(repeated.jobs.edges.map((edge) => edge.node.id)).toEqual(once.jobs.edges.map((edge) => edge.node.id));
      expect(once.jobs.edges.length).toBeGreaterThan(0);
      const none = expectNoErrors(await stack.query<{ jobs: { edges: unknown[] } }>(scientistA, '{ jobs(filter: { status: [RUNNING, SUCCEEDED] }) { edges { cursor } } }'));
      expect(none.jobs.edges).toEqual([]);
      // By input dataset version (the console finds a version's profile so).
      const ofVersion = (id: string) => stack.query<{ jobs: { edges: Array<{ node: { id: string } }> } }>(scientistA, 'query ($id: ID!) { jobs(filter: { kind: [PROFILE], datasetVersionId: $id }) { edges { node { id } } } }', { id });
      expect(expectNoErrors(await ofVersion(versionA)).jobs.edges.map((e) => e.node.id)).toEqual([submitted[1]!.id, submitted[2]!.id]);
      expect(expectNoErrors(await ofVersion(emptyVersionA)).jobs.edges).toEqual([]);
      // Newest first, a bounded page: the console asks for a version's newest successful profile so,
      // however many jobs the version has; the cursor pages on in the same order.
      type Page = { jobs: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      const newest = (after?: string) => stack.query<Page>(scientistA, 'query ($id: ID!, $after: String) { jobs(first: 1, after: $after, order: NEWEST_FIRST, filter: { kind: [PROFILE], datasetVersionId: $id }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { id: versionA, ...(after ? { after } : {}) });
      const first = expectNoErrors(await newest()).jobs;
      expect(first.edges.map((e) => e.node.id)).toEqual([submitted[2]!.id]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = expectNoErrors(await newest(first.pageInfo.endCursor!)).jobs;
      expect(second.edges.map((e) => e.node.id)).toEqual([submitted[1]!.id]);
      expect(second.pageInfo.hasNextPage).toBe(false);
      expect(errorCodes(await stack.query(scientistA, '{ jobs(order: SIDEWAYS) { edges { cursor } } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const malformed = await ofVersion("1' OR '1'='1");
      expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors?.[0]?.extensions?.['field']).toBe('filter.datasetVersionId');
    });


    it('the queue length limit: one more unfinished job is QUOTA_EXCEEDED, and nothing is written or queued', async () => {
      const before = await jobRows(stack, a);
      const response = await train({});
      expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
      expect(response.errors?.[0]?.extensions).toMatchObject({ limit: 'maxQueuedJobs', maxQueuedJobs: 3 });
      expect(await jobRows(stack, a)).toHaveLength(before.length);
      expect(await queueCounts(stack, a.id)).toMatchObject({ waiting: 3 });
      // Cancelling one frees a slot; retrying a cancelled job counts against the limit again.
      expectNoErrors(await stack.query(scientistA, cancelJob, { id: submitted[2]!.id }));
      expect(await queueCounts(stack, a.id)).toMatchObject({ waiting: 2 });
      const fourth = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientistA, submitProfile, { input: { datasetVersionId: versionA } })).submitProfileJob;
      expect(errorCodes(await stack.query(scientistA, retryJob, { id: submitted[2]!.id }))).toEqual(['QUOTA_EXCEEDED']);
      expectNoErrors(await stack.query(scientistA, cancelJob, { id: fourth.id }));
    });

    it.each(['admin', 'data_scientist', 'viewer'] as const)("tenant B's %s gets NOT_FOUND for every handle of A's jobs and never sees them", async (role) => {
      const token = await b.token(role);
      const write = role !== 'viewer';
      for (const job of submitted) {
        expect(errorCodes(await stack.query(token, getJob, { id: job.id }))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await stack.query(token, cancelJob, { id: job.id }))).toEqual([write ? 'NOT_FOUND' : 'FORBIDDEN']);
        expect(errorCodes(await stack.query(token, retryJob, { id: job.id }))).toEqual([write ? 'NOT_FOUND' : 'FORBIDDEN']);
        const entity = await stack.query(token, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Job { id status } } }', { r: [{ __typename: 'Job', id: job.id }] });
        expect(entity.data ?? null).toBeNull();
      }
      const list = expectNoErrors(await stack.query<{ jobs: { edges: unknown[] } }>(token, '{ jobs(first: 100) { edges { cursor } } }'));
      expect(list.jobs.edges).toEqual([]);
      // A's dataset version is not a handle B can submit on either.
      if (write) {
        expect(errorCodes(await stack.query(token, submitProfile, { input: { datasetVersionId: versionA } }))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await stack.query(token, submitTraining, { input: { datasetVersionId: versionA, targetColumn: 'price', modelType: 'MLP' } }))).toEqual(['NOT_FOUND']);
        expect(await jobRows(stack, b)).toEqual([]);
      }
      // And nothing about A's jobs changed.
      const rows = await jobRows(stack, a);
      expect(rows.find((r) => r['id'] === submitted[0]!.id)).toMatchObject({ status: 'QUEUED', cancel_requested: 0 });
    });
  });
});
