import { randomUUID } from 'node:crypto';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * The models, jobs, audit and metrics subgraphs each answer real queries over the caller's
 * tenant schema, through the gateway, and never over another tenant's. (Their write paths
 * arrive with their own issues; rows are inserted directly here.)
 */
describe('models, jobs, audit and metrics subgraphs', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  const modelId = randomUUID();
  const jobId = randomUUID();

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const db = stack.platform.runtime.db;
    const now = new Date();
    await db.query(`INSERT INTO \`${a.schema}\`.models (id, name, created_by, created_at, updated_at) VALUES (?, 'churn', 'seed', ?, ?)`, [modelId, now, now]);
    await db.query(
      `INSERT INTO \`${a.schema}\`.jobs (id, kind, status, input_json, progress, attempts, created_by, created_at, updated_at) VALUES (?, 'TRAIN', 'RUNNING', '{}', 40, 1, 'seed', ?, ?)`,
      [jobId, now, now],
    );
    const admin = await a.token('admin');
    expectNoErrors(await stack.query(admin, `mutation { createDataset(input: { name: "counted" }) { id } }`));
  });
  afterAll(() => stack?.stop());

  it('models: lists and gets the tenant\'s own models', async () => {
    const token = await a.token('viewer');
    const list = expectNoErrors(await stack.query<{ models: { edges: Array<{ node: { id: string; name: string } }> } }>(token, `{ models { edges { node { id name } } } }`));
    expect(list.models.edges.map((e) => e.node)).toEqual([{ id: modelId, name: 'churn' }]);
    expect(expectNoErrors(await stack.query<{ model: { name: string } }>(token, `query($id: ID!) { model(id: $id) { name } }`, { id: modelId })).model.name).toBe('churn');
  });

  it('jobs: lists and gets the tenant\'s own jobs', async () => {
    const token = await a.token('viewer');
    const job = expectNoErrors(await stack.query<{ job: { kind: string; status: string; progress: number } }>(token, `query($id: ID!) { job(id: $id) { kind status progress } }`, { id: jobId }));
    expect(job.job).toEqual({ kind: 'TRAIN', status: 'RUNNING', progress: 40 });
    const list = expectNoErrors(await stack.query<{ jobs: { edges: unknown[] } }>(token, `{ jobs { edges { node { id } } } }`));
    expect(list.jobs.edges).toHaveLength(1);
  });

  it('metrics: counts what the tenant holds in its own schema', async () => {
    const usage = expectNoErrors(
      await stack.query<{ tenantUsage: Record<string, number> }>(await a.token('viewer'), `{ tenantUsage { datasets datasetVersions storedBytes models jobs auditEvents } }`),
    );
    expect(usage.tenantUsage).toEqual({ datasets: 1, datasetVersions: 0, storedBytes: 0, models: 1, jobs: 1, auditEvents: 1 });
    const other = expectNoErrors(await stack.query<{ tenantUsage: Record<string, number> }>(await b.token('viewer'), `{ tenantUsage { datasets models jobs auditEvents } }`));
    expect(other.tenantUsage).toEqual({ datasets: 0, models: 0, jobs: 0, auditEvents: 0 });
  });

  it('audit: admins read their own tenant\'s events only', async () => {
    const events = expectNoErrors(await stack.query<{ auditEvents: { edges: Array<{ node: { action: string } }> } }>(await a.token('admin'), `{ auditEvents { edges { node { action } } } }`));
    expect(events.auditEvents.edges.map((e) => e.node.action)).toEqual(['dataset.create']);
    const bEvents = expectNoErrors(await stack.query<{ auditEvents: { edges: unknown[] } }>(await b.token('admin'), `{ auditEvents { edges { node { action } } } }`));
    expect(bEvents.auditEvents.edges).toEqual([]);
  });

  it.each(['admin', 'data_scientist', 'viewer'] as const)("tenant B %s gets NOT_FOUND for A's model and job ids and sees none of them", async (role) => {
    const token = await b.token(role);
    expect(errorCodes(await stack.query(token, `query($id: ID!) { model(id: $id) { id } }`, { id: modelId }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(token, `query($id: ID!) { job(id: $id) { id } }`, { id: jobId }))).toEqual(['NOT_FOUND']);
    const lists = expectNoErrors(await stack.query<{ models: { edges: unknown[] }; jobs: { edges: unknown[] } }>(token, `{ models { edges { cursor } } jobs { edges { cursor } } }`));
    expect(lists).toEqual({ models: { edges: [] }, jobs: { edges: [] } });
  });
});
