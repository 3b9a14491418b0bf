import { randomBytes } from 'node:crypto';
import { ConfigError, type MigratorConfig } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { readMigratorEnvironment, readSubgraphEnvironment } from '@tessera/platform';
import { localAccountHosts, openMigrationDataSource, openServiceDataSource } from '@tessera/tenancy';
import { readWorkerEnvironment } from '@tessera/workers';

const euServer = `127.0.0.1:${process.env['TESSERA_REGION_DB_PORT'] ?? '3307'}`;

/**
 * Regions as configuration, parsed once at start-up: DATA_REGIONS and HOME_REGION (every service),
 * REGION_OBJECT_STORES (services that keep objects), REGION_DATABASES (every process with a database), WORKER_REGION.
 */
describe('region configuration', () => {
  const pki = ensureLocalPki();
  const tls = { TLS_CA_FILE: pki.caFile, TLS_CERT_FILE: pki.files('datasets').certFile, TLS_KEY_FILE: pki.files('datasets').keyFile };
  const datasets = {
    ...tls,
    INTERNAL_CONTEXT_PUBLIC_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
    S3_ENDPOINT: 'https://s3.us-east-1.example:9000',
    S3_ACCESS_KEY: 'tessera-service',
    S3_SECRET_KEY: 'a-long-secret',
    KEY_PROVIDER_URL: 'https://keys.example:8200',
    DATABASE_URL: 'mysql://tessera_datasets:pw@db.example:3306',
    DATA_REGIONS: 'us-east-1,eu-west-1',
  };
  const workerEnv = {
    ...tls,
    SERVICE_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }),
    JOBS_PORT_URL: 'https://jobs:4003',
    DATASETS_PORT_URL: 'https://datasets:4001',
    MODELS_PORT_URL: 'https://models:4002',
    DATABASE_URL: 'mysql://tessera_workers:pw@db.example:3306',
  };
  const read = (env: Record<string, string>) => readSubgraphEnvironment('datasets', env);
  const problems = (env: Record<string, string>) => {
    try {
      read(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

  it('without REGION_OBJECT_STORES: every region in the one S3_* store, home = the first region', () => {
    const env = read(datasets);
    expect(env.runtime.regions).toEqual({ served: ['us-east-1', 'eu-west-1'], home: 'us-east-1' });
    expect(env.runtime.objectStore?.regions).toBeUndefined();
  });

  it('REGION_OBJECT_STORES: each other region its own store, completed from the S3_* settings', () => {
    const env = read({
      ...datasets,
      OBJECT_STORE_CREDENTIALS: 'sts',
      OBJECT_STORE_ROLE_ARN: 'arn:aws:iam::123456789012:role/tessera-tenant-access',
      REGION_OBJECT_STORES: JSON.stringify({ 'eu-west-1': { endpoint: 'https://s3.eu-west-1.example', stsEndpoint: 'https://sts.eu-west-1.example' } }),
    });
    expect(env.runtime.objectStore?.regions).toEqual({
      'eu-west-1': {
        endpoint: 'https://s3.eu-west-1.example',
        accessKey: 'tessera-service',
        secretKey: 'a-long-secret',
        credentials: { mode: 'sts', stsEndpoint: 'https://sts.eu-west-1.example', roleArn: 'arn:aws:iam::123456789012:role/tessera-tenant-access', sessionSeconds: 900 },
        signingRegion: 'eu-west-1',
      },
    });
    const ownKey = read({ ...datasets, REGION_OBJECT_STORES: JSON.stringify({ 'eu-west-1': { endpoint: 'https://s3.eu.example', accessKey: 'eu-service', secretKey: 'eu-long-secret', tlsCaFile: pki.caFile } }) });
    expect(ownKey.runtime.objectStore?.regions?.['eu-west-1']).toMatchObject({ accessKey: 'eu-service', secretKey: 'eu-long-secret', tlsCaFile: pki.caFile, credentials: { mode: 'static' } });
  });

  it('refuses what would put bytes somewhere the operator did not mean, naming the variable', () => {
    const stores = (value: unknown) => ({ ...datasets, REGION_OBJECT_STORES: JSON.stringify(value) });
    expect(problems(stores({ 'ap-south-1': { endpoint: 'https://s3.ap.example' } }))).toMatch(/REGION_OBJECT_STORES: ap-south-1 is not one of DATA_REGIONS/);
    expect(problems(stores({ 'us-east-1': { endpoint: 'https://s3.other.example' } }))).toMatch(/REGION_OBJECT_STORES: us-east-1 is HOME_REGION/);
    expect(problems(stores({ 'eu-west-1': { endpoint: 'http://s3.eu.example', tlsCaFile: pki.caFile } }))).toMatch(/eu-west-1 has a CA file, but http:\/\/s3.eu.example is not an https/);
    expect(problems(stores({ 'eu-west-1': { endpoint: 'https://s3.eu.example', accessKey: 'only-half' } }))).toMatch(/REGION_OBJECT_STORES: .*accessKey and secretKey go together/);
    expect(problems(stores({ 'eu-west-1': { endpoint: 'https://s3.eu.example', bucket: 'x' } }))).toMatch(/REGION_OBJECT_STORES/);
    expect(problems({ ...datasets, REGION_OBJECT_STORES: '{not json' })).toMatch(/REGION_OBJECT_STORES: must be JSON/);
    expect(problems({ ...datasets, HOME_REGION: 'ap-south-1' })).toMatch(/HOME_REGION: ap-south-1 is not one of DATA_REGIONS/);
    expect(problems({ ...datasets, DATA_REGIONS: 'us-east-1,EU WEST' })).toMatch(/DATA_REGIONS: "EU WEST" is not a region name/);
    // The REGION_OBJECT_STORES secrets are never echoed.
    expect(problems({ ...datasets, REGION_OBJECT_STORES: JSON.stringify({ 'eu-west-1': { endpoint: 'nope', accessKey: 'AKIAEXAMPLE', secretKey: 'very-secret-value' } }) })).not.toMatch(/very-secret-value/);
  });

  it('REGION_DATABASES: each other region its server, reached with the same account over TLS; a region left out, an unlisted region, the home region elsewhere or no CA is refused', () => {
    const tlsCa = { DATABASE_TLS_CA_FILE: pki.caFile };
    const servers = (value: unknown, env: Record<string, string> = tlsCa) => ({ ...datasets, ...env, REGION_DATABASES: JSON.stringify(value) });
    expect(read(servers({ 'eu-west-1': 'db-eu.example:3307' })).runtime.database.regionServers).toEqual({ 'eu-west-1': 'db-eu.example:3307' });
    // Naming the home server (or none) keeps a region's schemas there.
    expect(read(servers({ 'eu-west-1': 'db.example' })).runtime.database.regionServers).toEqual({});
    expect(read(datasets).runtime.database.regionServers).toBeUndefined();
    const three = { DATA_REGIONS: 'us-east-1,eu-west-1,ap-south-1', ...tlsCa };
    expect(problems(servers({ 'eu-west-1': 'db-eu.example' }, three))).toMatch(/REGION_DATABASES: ap-south-1 \(one of DATA_REGIONS\) names no database server/);
    expect(problems(servers({ 'eu-west-1': 'db-eu.example', 'sa-east-1': 'db-sa.example' }))).toMatch(/REGION_DATABASES: sa-east-1 is not one of DATA_REGIONS/);
    expect(problems(servers({ 'us-east-1': 'db-other.example', 'eu-west-1': 'db-eu.example' }))).toMatch(/REGION_DATABASES: us-east-1 is HOME_REGION, whose tenant schemas are on DATABASE_URL's server \(db.example:3306\)/);
    expect(problems(servers({ 'eu-west-1': 'db-eu.example:3307' }, {}))).toMatch(/REGION_DATABASES: eu-west-1 \(db-eu.example:3307\) is reached only over TLS, like the home server: set DATABASE_TLS_CA_FILE/);
    expect(problems(servers({ 'eu-west-1': 'mysql://user:pw@db-eu.example' }))).toMatch(/REGION_DATABASES: eu-west-1: must be host or host:port/);
    // The workers route tenant schemas the same way, and are checked the same way.
    expect(() => readWorkerEnvironment({ ...workerEnv, ...tlsCa, DATA_REGIONS: 'us-east-1,eu-west-1,ap-south-1', REGION_DATABASES: JSON.stringify({ 'eu-west-1': 'db-eu.example' }) })).toThrow(/ap-south-1 \(one of DATA_REGIONS\) names no database server/);
    expect(readWorkerEnvironment({ ...workerEnv, ...tlsCa, REGION_DATABASES: JSON.stringify({ 'eu-west-1': 'db-eu.example' }) }).database.regionServers).toEqual({ 'eu-west-1': 'db-eu.example:3306' });
    // The migrate step prepares every region's server.
    expect(readMigratorEnvironment({ ...tlsCa, REGION_DATABASES: JSON.stringify({ 'eu-west-1': '127.0.0.1:3307' }) }).migrator.regionServers).toEqual({ 'eu-west-1': '127.0.0.1:3307' });
  });

  it('a region server that cannot be reached, or that `tessera migrate` did not prepare, stops the start with a message naming REGION_DATABASES', async () => {
    // A home schema of its own (as the migrator, who may use it), so only the region server is in question.
    const migrator: MigratorConfig = { adminUrl: process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306', controlSchema: `tessera_regioncheck_${randomBytes(3).toString('hex')}`, accountHosts: localAccountHosts, tlsCa: pki.ca };
    const admin = await openMigrationDataSource(migrator, undefined, []);
    const base = { url: migrator.adminUrl, controlSchema: migrator.controlSchema, poolSize: 1, tlsCa: pki.ca };
    try {
      await admin.query(`CREATE DATABASE ${migrator.controlSchema}`);
      await expect(openServiceDataSource({ ...base, regionServers: { 'eu-west-1': '127.0.0.1:1' } }, [])).rejects.toThrow(/REGION_DATABASES: the database server of eu-west-1 \(127.0.0.1:1\) cannot be reached: ECONNREFUSED/);
      // The second local server answers, but no migrate step prepared this deployment there.
      await expect(openServiceDataSource({ ...base, regionServers: { 'eu-west-1': euServer } }, [])).rejects.toThrow(
        new RegExp(`REGION_DATABASES: the database server of eu-west-1 \\(${euServer}\\) has no ${migrator.controlSchema} schema this account may use: run \`tessera migrate\``),
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${migrator.controlSchema}`);
      await admin.destroy();
    }
  });

  it('WORKER_REGION: default HOME_REGION for the shared pool, the tenant\'s own for a dedicated worker; a region outside DATA_REGIONS is refused', () => {
    const worker = workerEnv;
    expect(readWorkerEnvironment(worker).region).toBe('us-east-1');
    expect(readWorkerEnvironment({ ...worker, DATA_REGIONS: 'eu-west-1,us-east-1' }).region).toBe('eu-west-1');
    expect(readWorkerEnvironment({ ...worker, HOME_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(readWorkerEnvironment({ ...worker, WORKER_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    const { SERVICE_KEY: _sharedKey, ...dedicated } = worker; // a dedicated worker holds none
    expect(readWorkerEnvironment({ ...dedicated, WORKER_DEDICATED_TENANT: 'globex' }).region).toBeUndefined();
    expect(() => readWorkerEnvironment({ ...worker, WORKER_REGION: 'ap-south-1' })).toThrow(/WORKER_REGION: ap-south-1 is not one of DATA_REGIONS/);
  });
});
