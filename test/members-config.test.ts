import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * The tenants service's members settings, parsed once at start-up: ROLE_SOURCE (as the gateway's:
 * with `members` a new tenant needs its first admin) and INVITATION_TTL_HOURS (1–720, default 168).
 */
describe('members configuration of the tenants service', () => {
  const tenants = minimalSubgraphEnvironment('tenants');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('tenants', env);

  it('defaults to claims and a week; reads both when set', () => {
    expect(readSubgraphEnvironment('tenants', tenants).members).toEqual({ roleSource: 'claims', invitationTtlHours: 168 });
    expect(readSubgraphEnvironment('tenants', { ...tenants, ROLE_SOURCE: 'members', INVITATION_TTL_HOURS: '24' }).members).toEqual({ roleSource: 'members', invitationTtlHours: 24 });
  });

  it('refuses a bad value, naming the variable', () => {
    for (const value of ['0', '721', '1.5', 'a week']) expect(problems({ ...tenants, INVITATION_TTL_HOURS: value })).toMatch(/INVITATION_TTL_HOURS/);
    expect(problems({ ...tenants, ROLE_SOURCE: 'token' })).toMatch(/ROLE_SOURCE/);
  });

  it('only the tenants service reads them', () => {
    expect(Object.keys(subgraphEnvironment('tenants').shape)).toEqual(expect.arrayContaining(['ROLE_SOURCE', 'INVITATION_TTL_HOURS']));
    expect(Object.keys(subgraphEnvironment('datasets').shape)).not.toContain('INVITATION_TTL_HOURS');
    expect(readSubgraphEnvironment('datasets', minimalSubgraphEnvironment('datasets')).members).toBeUndefined();
  });
});
