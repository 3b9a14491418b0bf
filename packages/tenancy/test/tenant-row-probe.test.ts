import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { probeTenantRows, type TenantRowQuestion } from '../src';

const insertDataset = (schema: string) =>
  `INSERT INTO \`${schema}\`.datasets (id, name, description, status, created_by, created_at, updated_at) VALUES (?, ?, NULL, 'ACTIVE', 'probe-test', NOW(3), NOW(3))`;

/**
 * Asking many tenants' schemas at once whether they hold a row: the answer names exactly the
 * tenants that do, a schema that cannot be asked costs only its own answer, and nothing of a
 * tenant's rows comes back.
 */
describe('probeTenantRows', () => {
  let stack: TestStack;
  let tenants: TestTenant[];
  const db = () => stack.platform.runtime.db;
  const datasets: TenantRowQuestion = { from: (schema) => `${schema}.datasets` };

  beforeAll(async () => {
    stack = await startTestStack();
    tenants = [];
    for (let i = 0; i < 5; i++) tenants.push(await stack.createTenant());
    for (const tenant of [tenants[1]!, tenants[4]!]) await stack.adminQuery(insertDataset(tenant.schema), [randomUUID(), 'probed']);
  });
  afterAll(() => stack?.stop());

  it('finds exactly the tenants with a row, whatever the batch size', async () => {
    const ids = tenants.map((tenant) => tenant.id);
    for (const batchSize of [1, 2, 3, 100]) {
      const result = await probeTenantRows(db(), ids, [datasets], { batchSize });
      expect([...result.found].sort()).toEqual([tenants[1]!.id, tenants[4]!.id].sort());
      expect(result.failed.size).toBe(0);
    }
  });

  it('a tenant is found when any of its questions finds a row; bound parameters reach their own question', async () => {
    const named = (name: string): TenantRowQuestion => ({ from: (schema) => `${schema}.datasets WHERE name = ?`, params: [name] });
    const result = await probeTenantRows(db(), tenants.map((tenant) => tenant.id), [named('nothing-is-called-this'), named('probed')]);
    expect([...result.found].sort()).toEqual([tenants[1]!.id, tenants[4]!.id].sort());
    const none = await probeTenantRows(db(), tenants.map((tenant) => tenant.id), [named('nothing-is-called-this')]);
    expect(none.found.size).toBe(0);
  });

  it('a schema that cannot be asked fails alone: the others in its statement still get their answers', async () => {
    // A well-formed tenant id with no schema behind it, between tenants that have rows.
    const missing = 'tnoschema' + randomUUID().slice(0, 8);
    const ids = [tenants[0]!.id, tenants[1]!.id, missing, tenants[3]!.id, tenants[4]!.id];
    const result = await probeTenantRows(db(), ids, [datasets], { batchSize: 5 });
    expect([...result.found].sort()).toEqual([tenants[1]!.id, tenants[4]!.id].sort());
    expect([...result.failed.keys()]).toEqual([missing]);
  });

  it('an invalid tenant id is refused before any SQL is built from it', async () => {
    const result = await probeTenantRows(db(), ["x`; DROP TABLE datasets; --", tenants[1]!.id], [datasets], { batchSize: 2 });
    expect([...result.found]).toEqual([tenants[1]!.id]);
    expect(result.failed.size).toBe(1);
  });
});
