import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * The datasets service's upload spool settings, parsed once at start-up: CSV_UPLOAD_SPOOL_DIR,
 * CSV_UPLOAD_SPOOL_BYTES (at least 1 MiB) and CSV_UPLOAD_SPOOL_PER_TENANT_BYTES; unset, the spool's
 * own defaults apply.
 */
describe('upload spool configuration of the datasets service', () => {
  const datasets = minimalSubgraphEnvironment('datasets');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('datasets', env);

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

/**
 * How many bytes of stored column profiles (DatasetVersion.columns) the datasets service opens for
 * one request: DATASET_PROFILE_BYTES_PER_REQUEST, 1 KiB – 1 GiB, default 8 MiB.
 */
describe('column profiles one request may open, in the datasets service', () => {
  const datasets = minimalSubgraphEnvironment('datasets');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('datasets', env);

  it('is 8 MiB unless set, and what is set when it is', () => {
    expect(readSubgraphEnvironment('datasets', datasets).datasetReads).toEqual({ maxProfileBytesPerRequest: 8 * 1024 * 1024 });
    expect(readSubgraphEnvironment('datasets', { ...datasets, DATASET_PROFILE_BYTES_PER_REQUEST: '65536' }).datasetReads).toEqual({ maxProfileBytesPerRequest: 65536 });
  });

  it('refuses a bad value, naming the variable; only the datasets service reads it', () => {
    for (const value of ['0', '1023', '1.5', '8MiB', '1073741825']) expect(problems({ ...datasets, DATASET_PROFILE_BYTES_PER_REQUEST: value })).toMatch(/DATASET_PROFILE_BYTES_PER_REQUEST/);
    for (const other of ['models', 'jobs', 'audit', 'metrics', 'tenants'] as const) expect(Object.keys(subgraphEnvironment(other).shape)).not.toContain('DATASET_PROFILE_BYTES_PER_REQUEST');
  });
});
