import { ConfigError } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';

/**
 * The datasets service's upload spool settings, parsed once at start-up: CSV_UPLOAD_SPOOL_DIR,
 * CSV_UPLOAD_SPOOL_BYTES (at least 1 MiB) and CSV_UPLOAD_SPOOL_PER_TENANT_BYTES; unset, the spool's
 * own defaults apply.
 */
describe('upload spool configuration of the datasets service', () => {
  const pki = ensureLocalPki();
  const datasets = {
    TLS_CA_FILE: pki.caFile,
    TLS_CERT_FILE: pki.files('datasets').certFile,
    TLS_KEY_FILE: pki.files('datasets').keyFile,
    INTERNAL_CONTEXT_PUBLIC_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
    S3_ENDPOINT: 'https://s3.us-east-1.example:9000',
    S3_ACCESS_KEY: 'tessera-service',
    S3_SECRET_KEY: 'a-long-secret',
    KEY_PROVIDER_URL: 'https://keys.example:8200',
    DATABASE_URL: 'mysql://tessera_datasets:pw@db.example:3306',
  };
  const problems = (env: Record<string, string>) => {
    try {
      readSubgraphEnvironment('datasets', env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

  it('leaves the defaults to the spool when unset; reads each when set', () => {
    expect(readSubgraphEnvironment('datasets', datasets).uploadSpool).toEqual({});
    expect(
      readSubgraphEnvironment('datasets', { ...datasets, CSV_UPLOAD_SPOOL_DIR: '/var/spool/tessera-csv', CSV_UPLOAD_SPOOL_BYTES: '2147483648', CSV_UPLOAD_SPOOL_PER_TENANT_BYTES: '1048576' }).uploadSpool,
    ).toEqual({ dir: '/var/spool/tessera-csv', totalBytes: 2147483648, perTenantBytes: 1048576 });
  });

  it('refuses a bad value, naming the variable', () => {
    for (const value of ['0', '1048575', '1.5', '4GiB', '-1']) expect(problems({ ...datasets, CSV_UPLOAD_SPOOL_BYTES: value })).toMatch(/CSV_UPLOAD_SPOOL_BYTES/);
    for (const value of ['0', '1.5', 'half']) expect(problems({ ...datasets, CSV_UPLOAD_SPOOL_PER_TENANT_BYTES: value })).toMatch(/CSV_UPLOAD_SPOOL_PER_TENANT_BYTES/);
  });

  it('only the datasets service reads them', () => {
    expect(Object.keys(subgraphEnvironment('datasets').shape)).toEqual(expect.arrayContaining(['CSV_UPLOAD_SPOOL_DIR', 'CSV_UPLOAD_SPOOL_BYTES', 'CSV_UPLOAD_SPOOL_PER_TENANT_BYTES']));
    expect(Object.keys(subgraphEnvironment('models').shape)).not.toContain('CSV_UPLOAD_SPOOL_BYTES');
  });
});
