import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * The jobs service's reconciler settings, parsed once at start-up: JOB_RECONCILE_INTERVAL_MS (how
 * often unfinished rows are checked against their queue entries; 0 never, else 1 s–1 h, default
 * 1 min) and JOB_RECONCILE_GRACE_MS (how long a row must be unchanged first; 10 s–24 h, default 2 min).
 */
describe('job reconciler configuration of the jobs service', () => {
  const jobs = minimalSubgraphEnvironment('jobs');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('jobs', env);

  it('defaults to every minute after two unchanged minutes; reads both when set, 0 turning it off', () => {
    expect(readSubgraphEnvironment('jobs', jobs).jobReconciler).toEqual({ intervalMs: 60_000, graceMs: 120_000 });
    expect(readSubgraphEnvironment('jobs', { ...jobs, JOB_RECONCILE_INTERVAL_MS: '5000', JOB_RECONCILE_GRACE_MS: '600000' }).jobReconciler).toEqual({ intervalMs: 5_000, graceMs: 600_000 });
    expect(readSubgraphEnvironment('jobs', { ...jobs, JOB_RECONCILE_INTERVAL_MS: '0' }).jobReconciler).toEqual({ intervalMs: 0, graceMs: 120_000 });
  });

  it('refuses a bad value, naming the variable', () => {
    for (const value of ['-1', '1.5', '500', '3600001', '1m']) expect(problems({ ...jobs, JOB_RECONCILE_INTERVAL_MS: value })).toMatch(/JOB_RECONCILE_INTERVAL_MS/);
    for (const value of ['0', '9999', '86400001', '2m']) expect(problems({ ...jobs, JOB_RECONCILE_GRACE_MS: value })).toMatch(/JOB_RECONCILE_GRACE_MS/);
    expect(problems(jobs)).toBe('');
  });

  it('only the jobs service reads them', () => {
    expect(Object.keys(subgraphEnvironment('jobs').shape)).toEqual(expect.arrayContaining(['JOB_RECONCILE_INTERVAL_MS', 'JOB_RECONCILE_GRACE_MS']));
    for (const other of ['datasets', 'models', 'audit', 'metrics', 'tenants'] as const) expect(Object.keys(subgraphEnvironment(other).shape)).not.toContain('JOB_RECONCILE_INTERVAL_MS');
  });

  it('JOB_RETRY_BACKOFF_MS: the first wait before a job whose dependency was unreachable runs again, 1 s unless set; a bad value is refused', () => {
    expect(readSubgraphEnvironment('jobs', jobs).jobRetry).toEqual({ backoffMs: 1_000 });
    expect(readSubgraphEnvironment('jobs', { ...jobs, JOB_RETRY_BACKOFF_MS: '100' }).jobRetry).toEqual({ backoffMs: 100 });
    for (const value of ['-1', '1.5', '9', '600001', '1s']) expect(problems({ ...jobs, JOB_RETRY_BACKOFF_MS: value })).toMatch(/JOB_RETRY_BACKOFF_MS/);
    for (const other of ['datasets', 'models', 'audit', 'metrics', 'tenants'] as const) expect(Object.keys(subgraphEnvironment(other).shape)).not.toContain('JOB_RETRY_BACKOFF_MS');
  });
});
