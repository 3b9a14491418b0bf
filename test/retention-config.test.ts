import { readSubgraphEnvironment, subgraphEnvironment, subgraphNames } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * METRICS_RETENTION_DAYS, parsed once at start-up by the owners of per-minute series (metrics,
 * models): whole days, at least 366 (the longest range a metrics read accepts), 400 by default.
 */
describe('retention configuration of the metrics and models services', () => {
  const owners = ['metrics', 'models'] as const;

  it('defaults to 400 days; reads the value when set', () => {
    for (const name of owners) {
      const env = minimalSubgraphEnvironment(name);
      expect(readSubgraphEnvironment(name, env).retention).toEqual({ days: 400 });
      expect(readSubgraphEnvironment(name, { ...env, METRICS_RETENTION_DAYS: '366' }).retention).toEqual({ days: 366 });
      expect(readSubgraphEnvironment(name, { ...env, METRICS_RETENTION_DAYS: '1096' }).retention).toEqual({ days: 1096 });
    }
  });

  it('refuses a retention shorter than the longest readable range, or not a number of days, naming the variable', () => {
    for (const name of owners) {
      const env = minimalSubgraphEnvironment(name);
      expect(subgraphEnvironmentProblems(name, { ...env, METRICS_RETENTION_DAYS: '365' })).toMatch(/METRICS_RETENTION_DAYS.*at least 366/);
      for (const value of ['0', '-1', '400.5', 'a year', '']) expect(subgraphEnvironmentProblems(name, { ...env, METRICS_RETENTION_DAYS: value })).toMatch(/METRICS_RETENTION_DAYS/);
    }
  });

  it('only the owners of per-minute series read it', () => {
    for (const name of subgraphNames) {
      const reads = 'METRICS_RETENTION_DAYS' in subgraphEnvironment(name).shape;
      expect({ name, reads }).toEqual({ name, reads: (owners as readonly string[]).includes(name) });
    }
  });
});
