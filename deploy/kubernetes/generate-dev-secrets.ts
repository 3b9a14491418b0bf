/**
 * Writes the development overlay's secret files (overlays/development/secrets/, git-ignored):
 * one env file per Secret the manifests reference, with fresh random values (the same generator
 * as docker-compose's `.env`), and the TLS files of the local CA. Run once, from the repository root:
 *
 *   npx tsx deploy/kubernetes/generate-dev-secrets.ts
 *
 * The backing services of the namespace (mysql, redis, minio, keycloak) must be given the same
 * passwords: print them with `cat deploy/kubernetes/overlays/development/secrets/*.env`.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureLocalPki } from '@tessera/local-infra';
import { dedicatedWorkerUserName, redisUserName } from '@tessera/redis-acl';
import { dedicatedWorkerIdentity } from '@tessera/service-kit';
import { dedicatedWorkerAccountUser } from '@tessera/tenancy';
import { generateEnvironment, type GeneratedVariable } from '../generate-env';

/** The dedicated tenant the development overlay runs a worker for (worker-dedicated-globex.yaml). */
export const developmentDedicatedTenant = 'globex';
const keyPrefix = 'tessera';
/** The certificates each TLS Secret is made from (the local CA's names). */
export const tlsIdentities = ['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants', 'keys'] as const;
/**
 * The region of the overlay's workers (the base's only region, HOME_REGION): the shared pool's
 * certificate (Secret tessera-workers-tls) and globex's name it, and the port owners serve a worker
 * only the tenants of the region its certificate names.
 */
export const developmentWorkerRegion = 'us-east-1';
/** The dedicated tenant's workers' own client certificate (Secret tessera-worker-<tenant>-tls), issued by the local CA on first use. */
export const developmentDedicatedWorkerIdentity = dedicatedWorkerIdentity(developmentDedicatedTenant);
/** The workers' client certificates of that region (`<identity>.<region>` in the local CA's directory and in secrets/tls/). */
export const developmentWorkerCertificates = ['workers', developmentDedicatedWorkerIdentity] as const;

type Values = Record<GeneratedVariable, string>;

/** Each Secret's keys and values (every Secret named tessera-<name> in the manifests). */
export function developmentSecretEnvs(values: Values): Record<string, Record<string, string>> {
  const database = (account: string, password: string) => `mysql://${account}:${password}@mysql:3306`;
  const redis = (user: string, password: string) => `rediss://${user}:${password}@redis:6380`;
  const service = (name: 'gateway' | 'datasets' | 'models' | 'jobs' | 'audit' | 'metrics' | 'tenants') => {
    const upper = name.toUpperCase();
    return {
      DATABASE_URL: database(`tessera_${name}`, values[`MYSQL_${upper}_PASSWORD` as GeneratedVariable]),
      REDIS_URL: redis(redisUserName(keyPrefix, name), values[`REDIS_${upper}_PASSWORD` as GeneratedVariable]),
    };
  };
  const subgraph = (name: 'datasets' | 'models' | 'jobs' | 'audit' | 'metrics' | 'tenants') => ({ ...service(name), INTERNAL_CONTEXT_PUBLIC_KEY: values.INTERNAL_CONTEXT_PUBLIC_KEY });
  const s3 = { S3_ACCESS_KEY: values.S3_ACCESS_KEY, S3_SECRET_KEY: values.S3_SECRET_KEY };
  return {
    gateway: { ...service('gateway'), INTERNAL_CONTEXT_PRIVATE_KEY: values.INTERNAL_CONTEXT_PRIVATE_KEY },
    datasets: { ...subgraph('datasets'), ...s3, SERVICE_KEY: values.DATASETS_SERVICE_KEY, PORT_CALLER_KEYS: values.DATASETS_PORT_CALLER_KEYS },
    models: { ...subgraph('models'), ...s3, PORT_CALLER_KEYS: values.MODELS_PORT_CALLER_KEYS },
    jobs: { ...subgraph('jobs'), SERVICE_KEY: values.JOBS_SERVICE_KEY, PORT_CALLER_KEYS: values.JOBS_PORT_CALLER_KEYS },
    audit: { ...subgraph('audit'), ...s3, PORT_CALLER_KEYS: values.AUDIT_PORT_CALLER_KEYS, AUDIT_SIGNING_KEY: values.AUDIT_SIGNING_KEY },
    metrics: { ...subgraph('metrics'), SERVICE_KEY: values.METRICS_SERVICE_KEY },
    tenants: { ...subgraph('tenants'), ...s3, SERVICE_KEY: values.TENANTS_SERVICE_KEY },
    worker: { DATABASE_URL: database('tessera_workers', values.MYSQL_WORKERS_PASSWORD), REDIS_URL: redis(redisUserName(keyPrefix, 'worker'), values.REDIS_WORKER_PASSWORD), SERVICE_KEY: values.WORKERS_SERVICE_KEY },
    // The dedicated tenant's workers: their own database account (tessera_workers_globex, confined to
    // globex: create it with `DEDICATED_WORKER_DATABASE_PASSWORD=<this URL's password> npx tsx
    // scripts/dedicated-worker-database.ts open globex` once globex exists) and their own Redis user
    // (their certificate is tessera-worker-globex-tls, and they hold no SERVICE_KEY: they sign port
    // calls with that certificate's key).
    'worker-globex': {
      DATABASE_URL: database(dedicatedWorkerAccountUser(developmentDedicatedTenant), randomBytes(24).toString('hex')),
      REDIS_URL: redis(dedicatedWorkerUserName(keyPrefix, developmentDedicatedTenant), randomBytes(24).toString('hex')),
    },
    migrate: { DATABASE_ADMIN_URL: database('tessera_admin', values.MYSQL_ADMIN_PASSWORD) },
  };
}

function envFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (/[\r\n]/.test(value)) throw new Error(`${key}: an env file value cannot hold a line break`);
      return `${key}=${value}\n`;
    })
    .join('');
}

/** Writes every secret file into `directory` (the overlay's secrets/), TLS files from `pkiDirectory`. */
export async function writeDevelopmentSecrets(directory: string, pkiDirectory?: string): Promise<void> {
  const envs = developmentSecretEnvs(await generateEnvironment());
  mkdirSync(join(directory, 'tls'), { recursive: true, mode: 0o700 });
  for (const [name, values] of Object.entries(envs)) writeFileSync(join(directory, `${name}.env`), envFile(values), { mode: 0o600 });
  const pki = ensureLocalPki(pkiDirectory);
  copyFileSync(pki.caFile, join(directory, 'tls', 'ca.pem'));
  for (const name of tlsIdentities) {
    const files = pki.files(name);
    copyFileSync(files.certFile, join(directory, 'tls', `${name}.pem`));
    copyFileSync(files.keyFile, join(directory, 'tls', `${name}-key.pem`));
  }
  for (const name of developmentWorkerCertificates) {
    const worker = pki.clientIdentity(name, developmentWorkerRegion);
    copyFileSync(worker.certFile, join(directory, 'tls', `${worker.leaf}.pem`));
    copyFileSync(worker.keyFile, join(directory, 'tls', `${worker.leaf}-key.pem`));
  }
}

if (require.main === module) {
  writeDevelopmentSecrets(join(__dirname, 'overlays', 'development', 'secrets'), process.env['TESSERA_PKI_DIR']).then(
    () => process.stdout.write('wrote deploy/kubernetes/overlays/development/secrets/\n'),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
