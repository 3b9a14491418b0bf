import { buildLinearRegression, buildSlowModel } from '@tessera/onnx';
import { InferencePools } from '../src';
import { predictError, rowsInput } from './helpers';

/**
 * A process start costs 0.3–0.5 s of a core that no meter charges, so a tenant whose every call
 * kills its process (a slow model under a tiny time limit) could keep the host busy with restarts.
 * After two unexpected deaths in a row with no run served between them, the pool waits before it
 * starts another; one death (then a served run) is replaced at once, and other pools never wait.
 * The backoff is set far beyond the test's calls, so "waits" cannot be confused with "was slow".
 */
const slow = buildSlowModel({ features: 2 });
const linear = buildLinearRegression({ weights: [1, 1], bias: 0 });

describe('InferencePools: a pool whose processes keep dying restarts after a backoff', () => {
  const pools = new InferencePools({ shared: { processes: 1 }, restartBackoffMs: 60_000, restartBackoffMaxMs: 60_000 });
  afterAll(() => pools.close());
  const kill = (tenantId: string) => predictError(pools, { tenantId, tier: 'shared', modelKey: 'slow:1', load: async () => slow, inputs: rowsInput([[1, 2]]), timeoutMs: 300, batching: false });
  /** The death's replacement is up and idle, so a kill runs (and dies) rather than timing out while the process starts. */
  const replacementUp = async (tenantId: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pool = pools.stats().find((candidate) => candidate.tenantId === tenantId);
      if (pool && pool.starting === 0 && pool.workers.some((worker) => !worker.busy)) return;
      if (Date.now() > deadline) throw new Error('the replacement process never came up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const serve = (tenantId: string, timeoutMs = 30_000) => pools.predict({ tenantId, tier: 'shared', modelKey: 'linear:1', load: async () => linear, inputs: rowsInput([[1, 2]]), timeoutMs });

  it('one death is replaced at once; a served run resets the count; a second death in a row makes the pool wait, and only that pool', async () => {
    await serve('t-dying');
    expect((await kill('t-dying')).extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'RUNNING' });
    // Replaced at once (no backoff after one death): served well within its limit.
    expect((await serve('t-dying')).outputs).toBeDefined();
    expect((await kill('t-dying')).extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'RUNNING' });
    // The served run in between reset the count: this is the first death of a new row, replaced at once.
    expect((await serve('t-dying')).outputs).toBeDefined();

    // Two in a row: the second kill needs a process, which the first death's replacement provides.
    expect((await kill('t-dying')).extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'RUNNING' });
    await replacementUp('t-dying');
    expect((await kill('t-dying')).extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'RUNNING' });
    const [waiting, other] = await Promise.all([
      predictError(pools, { tenantId: 't-dying', tier: 'shared', modelKey: 'linear:1', load: async () => linear, inputs: rowsInput([[1, 2]]), timeoutMs: 3_000 }),
      serve('t-healthy'),
    ]);
    // No process was started for it: the call timed out waiting in the queue.
    expect(waiting.extensions).toMatchObject({ code: 'INFERENCE_TIMEOUT', phase: 'QUEUED' });
    expect(pools.stats().find((pool) => pool.tenantId === 't-dying')).toMatchObject({ starting: 0, workers: [] });
    // Another tenant's pool is served as ever.
    expect(other.outputs).toBeDefined();
  }, 120_000);
});
