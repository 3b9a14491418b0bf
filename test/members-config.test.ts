import { ConfigError } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';

/**
 * The tenants service's members settings, parsed once at start-up: ROLE_SOURCE (as the gateway's:
 * with `members` a new tenant needs its first admin) and INVITATION_TTL_HOURS (1–720, default 168).
 */
describe('members configuration of the tenants service', () => {
  const pki = ensureLocalPki();
  const tenants = {
    TLS_CA_FILE: pki.caFile,
    TLS_CERT_FILE: pki.files('tenants').certFile,
    TLS_KEY_FILE: pki.files('tenants').keyFile,
    INTERNAL_CONTEXT_PUBLIC_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
    S3_ENDPOINT: 'https://s3.us-east-1.example:9000',
    S3_ACCESS_KEY: 'tessera-service',
    S3_SECRET_KEY: 'a-long-secret',
    KEY_PROVIDER_URL: 'https://keys.example:8200',
    DATABASE_URL: 'mysql://tessera_tenants:pw@db.example:3306',
  };
  const problems = (env: Record<string, string>) => {
    try {
      readSubgraphEnvironment('tenants', env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

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
    expect(readSubgraphEnvironment('datasets', { ...tenants, TLS_CERT_FILE: pki.files('datasets').certFile, TLS_KEY_FILE: pki.files('datasets').keyFile }).members).toBeUndefined();
  });
});
