import { readSubgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * Every subgraph's deadline on bodies other than streamed uploads (REQUEST_BODY_TIMEOUT_MS, the
 * gateway's setting too), parsed once at start-up: at least 1 s, default 60 s.
 */
describe('request body deadline of the subgraphs', () => {
  it('defaults to 60 s on every subgraph and reads it when set', () => {
    for (const name of ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const) {
      const env = minimalSubgraphEnvironment(name);
      expect(readSubgraphEnvironment(name, env).requestBodyTimeoutMs).toBe(60_000);
      expect(readSubgraphEnvironment(name, { ...env, REQUEST_BODY_TIMEOUT_MS: '5000' }).requestBodyTimeoutMs).toBe(5_000);
    }
  });

  it('refuses a bad value, naming the variable', () => {
    const jobs = minimalSubgraphEnvironment('jobs');
    for (const value of ['0', '999', '-1', '1.5', '1m']) expect(subgraphEnvironmentProblems('jobs', { ...jobs, REQUEST_BODY_TIMEOUT_MS: value })).toMatch(/REQUEST_BODY_TIMEOUT_MS/);
  });
});
