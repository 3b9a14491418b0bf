import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';
import { nodeEntryArgs } from '@tessera/config';

/**
 * ERASURE_GRACE_HOURS: a variable of the tenants service (the service that carries out erasures),
 * parsed once at start-up; a bad value stops the service with a message naming the variable.
 */
describe('erasure configuration (tenants service)', () => {
  const tenants = minimalSubgraphEnvironment('tenants');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('tenants', env).split('\n').filter(Boolean);

  it('defaults to 72 hours and takes a whole number of hours', () => {
    expect(readSubgraphEnvironment('tenants', tenants).erasure).toEqual({ graceHours: 72 });
    expect(readSubgraphEnvironment('tenants', { ...tenants, ERASURE_GRACE_HOURS: '24' }).erasure).toEqual({ graceHours: 24 });
    expect(readSubgraphEnvironment('tenants', { ...tenants, ERASURE_GRACE_HOURS: '0' }).erasure).toEqual({ graceHours: 0 });
  });

  it('refuses a value that is not a whole number of hours between 0 and a year, naming the variable', () => {
    expect(problems({ ...tenants, ERASURE_GRACE_HOURS: 'three days' })).toEqual(['ERASURE_GRACE_HOURS: must be a whole number of hours (got "three days")']);
    expect(problems({ ...tenants, ERASURE_GRACE_HOURS: '1.5' })).toEqual(['ERASURE_GRACE_HOURS: must be a whole number of hours (got "1.5")']);
    expect(problems({ ...tenants, ERASURE_GRACE_HOURS: '-1' })).toEqual(['ERASURE_GRACE_HOURS: must be 0 or more hours (got "-1")']);
    expect(problems({ ...tenants, ERASURE_GRACE_HOURS: '9000' })).toEqual(['ERASURE_GRACE_HOURS: must be at most 8760 hours (a year) (got "9000")']);
  });

  it('is a variable of the tenants service only', () => {
    expect('ERASURE_GRACE_HOURS' in subgraphEnvironment('tenants').shape).toBe(true);
    for (const other of ['datasets', 'models', 'jobs', 'audit', 'metrics'] as const) expect({ other, has: 'ERASURE_GRACE_HOURS' in subgraphEnvironment(other).shape }).toEqual({ other, has: false });
  });

  it('`tessera tenants` with a bad value stops at start-up with that message', () => {
    const repoRoot = join(__dirname, '..');
    const run = spawnSync(process.execPath, [...nodeEntryArgs(join(repoRoot, 'platform/src/main.ts')), 'tenants'], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', ...tenants, ERASURE_GRACE_HOURS: 'soon' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ERASURE_GRACE_HOURS: must be a whole number of hours (got "soon")');
  }, 70_000);
});
