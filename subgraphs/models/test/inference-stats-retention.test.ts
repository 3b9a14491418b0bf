import { randomUUID } from 'node:crypto';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { modelsRetention } from '../src/module';

const minute = 60_000;
const day = 24 * 60 * minute;

/**
 * The models service's sweep of its per-minute serving numbers (inference_stats), run with the
 * models service's own database account, pass by pass: minutes older than the retention go, model
 * by model, for every tenant; the boundary minute and newer stay; another tenant's rows and other
 * services' tables are not touched; a large backlog is worked off over several passes.
 */
describe('models: retention of inference_stats', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const cutoff = now - 400 * day;

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { anomalies: { intervalMs: 0 }, requestMetrics: { flushIntervalMs: 0 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  });
  afterAll(() => stack?.stop());

  /** One row per minute for a version of `modelId` (no model row needed: the table is the owner's log). */
  const seed = async (tenant: TestTenant, modelId: string, versionId: string, minutes: number[]) => {
    for (const at of minutes) {
      await stack.adminQuery(`INSERT INTO \`${tenant.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors) VALUES (?, ?, ?, 3, 3, 0)`, [versionId, modelId, new Date(at)]);
    }
  };
  const minutes = async (tenant: TestTenant, modelId: string) =>
    ((await stack.adminQuery(`SELECT minute FROM \`${tenant.schema}\`.inference_stats WHERE model_id = ? ORDER BY minute, model_version_id`, [modelId])) as Array<{ minute: Date }>).map((row) => new Date(row.minute).getTime());
  const clear = (tenant: TestTenant) => stack.adminQuery(`DELETE FROM \`${tenant.schema}\`.inference_stats`);
  const sweepOf = (options: Parameters<typeof modelsRetention>[1] = {}) => modelsRetention(stack.platform.runtimes.models, { intervalMs: 0, ...options });

  it('deletes every model version\'s minutes older than the retention in every tenant, keeps the boundary minute and newer, and nothing else', async () => {
    await Promise.all([clear(a), clear(b)]);
    const [m1, m2, mb] = [randomUUID(), randomUUID(), randomUUID()];
    const kept = [cutoff, cutoff + minute, now - 366 * day, now - minute];
    await seed(a, m1, randomUUID(), [cutoff - 30 * day, cutoff - minute, ...kept]);
    await seed(a, m1, randomUUID(), [cutoff - minute, cutoff]);
    await seed(a, m2, randomUUID(), [cutoff - 2 * minute]); // a model with only old minutes (e.g. deleted long ago)
    await seed(b, mb, randomUUID(), [cutoff - minute, cutoff]);
    // Another service's table in the same schema, just as old: not the models service's to sweep.
    await stack.adminQuery(`INSERT INTO \`${a.schema}\`.request_metrics (bucket_start, op_type, op_name, requests) VALUES (?, 'QUERY', 'Old', 1)`, [new Date(cutoff - 30 * day)]);

    const pass = await sweepOf().sweep(new Date(now));
    expect(pass.deleted.get(a.id)).toBe(4);
    expect(pass.deleted.get(b.id)).toBe(1);
    expect(pass.unfinished.size).toBe(0);
    expect(await minutes(a, m1)).toEqual([cutoff, cutoff, ...kept.slice(1)]);
    expect(await minutes(a, m2)).toEqual([]);
    expect(await minutes(b, mb)).toEqual([cutoff]);
    const [others] = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${a.schema}\`.request_metrics WHERE op_name = 'Old'`)) as Array<{ n: number | string | bigint }>;
    expect(Number(others!.n)).toBe(1);
  });

  it("one tenant's sweep never reaches another tenant's rows", async () => {
    await Promise.all([clear(a), clear(b)]);
    const [ma, mb] = [randomUUID(), randomUUID()];
    await seed(a, ma, randomUUID(), [cutoff - minute]);
    await seed(b, mb, randomUUID(), [cutoff - minute]);
    expect(await sweepOf().sweepTenant(b.id, new Date(cutoff))).toEqual({ deleted: 1, finished: true });
    expect(await minutes(b, mb)).toEqual([]);
    expect(await minutes(a, ma)).toEqual([cutoff - minute]);
  });

  it("bounds each tenant's work per pass; the other tenant is swept in the first", async () => {
    await Promise.all([clear(a), clear(b)]);
    const [ma, mb] = [randomUUID(), randomUUID()];
    await seed(a, ma, randomUUID(), Array.from({ length: 7 }, (_, i) => cutoff - (i + 1) * minute));
    await seed(b, mb, randomUUID(), [cutoff - minute]);
    const sweep = sweepOf({ batchRows: 2, batchesPerTenant: 2 });
    const first = await sweep.sweep(new Date(now));
    expect([first.deleted.get(a.id), first.deleted.get(b.id)]).toEqual([4, 1]);
    expect([...first.unfinished]).toEqual([a.id]);
    const second = await sweep.sweep(new Date(now));
    expect(second.deleted.get(a.id)).toBe(3);
    expect(second.unfinished.size).toBe(0);
    expect(await minutes(a, ma)).toEqual([]);
  });
});
