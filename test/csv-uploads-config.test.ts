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
