/**
 * Prints a fresh `.env` for docker-compose: every secret the stack needs, random, nothing
 * committed. Run once, from the repository root:
 *
 *   npx tsx deploy/generate-env.ts > .env
 *
 * Re-running it after the first `docker compose up` changes passwords that MySQL and Keycloak
 * have already stored; start over with `docker compose down -v` if you do.
 *
 * Format: one `NAME='value'` per line. Compose reads single-quoted values literally (no
 * `$` interpolation, no `#` comments, no escapes), which is what the JSON Web Keys need; the
 * only characters a single-quoted value cannot hold are `'` and a line break, and no value
 * generated here contains either (formatEnvFile checks).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fchmodSync, fstatSync, writeSync } from 'node:fs';
import { generateInternalKeyPair, generateServiceKeyPair } from '@tessera/auth';

/** Every variable this script writes, in the order it writes them. */
export const generatedVariables = [
  'INTERNAL_CONTEXT_PRIVATE_KEY',
  'INTERNAL_CONTEXT_PUBLIC_KEY',
  'MYSQL_ROOT_PASSWORD',
  'MYSQL_ADMIN_PASSWORD',
  'MYSQL_GATEWAY_PASSWORD',
  'MYSQL_DATASETS_PASSWORD',
  'MYSQL_MODELS_PASSWORD',
  'MYSQL_JOBS_PASSWORD',
  'MYSQL_AUDIT_PASSWORD',
  'MYSQL_METRICS_PASSWORD',
  'MYSQL_TENANTS_PASSWORD',
  'MYSQL_WORKERS_PASSWORD',
  'AUDIT_SIGNING_KEY',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'MINIO_ROOT_USER',
  'MINIO_ROOT_PASSWORD',
  'KEYCLOAK_ADMIN_PASSWORD',
  'TESSERA_API_CLIENT_SECRET',
  'TESSERA_DEMO_PASSWORD',
  'WORKERS_SERVICE_KEY',
  'JOBS_SERVICE_KEY',
  'METRICS_SERVICE_KEY',
  'TENANTS_SERVICE_KEY',
  'DATASETS_SERVICE_KEY',
  'DATASETS_PORT_CALLER_KEYS',
  'MODELS_PORT_CALLER_KEYS',
  'JOBS_PORT_CALLER_KEYS',
  'AUDIT_PORT_CALLER_KEYS',
  'REDIS_ADMIN_PASSWORD',
  'REDIS_GATEWAY_PASSWORD',
  'REDIS_DATASETS_PASSWORD',
  'REDIS_MODELS_PASSWORD',
  'REDIS_JOBS_PASSWORD',
  'REDIS_AUDIT_PASSWORD',
  'REDIS_METRICS_PASSWORD',
  'REDIS_TENANTS_PASSWORD',
  'REDIS_WORKER_PASSWORD',
] as const;

export type GeneratedVariable = (typeof generatedVariables)[number];

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Fresh values for every variable in `generatedVariables`. Hex where a value ends up in a URL or a Keycloak placeholder. */
export async function generateEnvironment(): Promise<Record<GeneratedVariable, string>> {
  const internal = await generateInternalKeyPair();
  // Service identities for port calls: each caller holds its private key, each owner the public
  // keys of exactly the services its ports answer.
  const [workers, jobs, metrics, tenants, datasets] = await Promise.all([generateServiceKeyPair(), generateServiceKeyPair(), generateServiceKeyPair(), generateServiceKeyPair(), generateServiceKeyPair()]);
  return {
    // ES256 pair: the gateway signs the internal context with the private key, subgraphs verify with the public one.
    INTERNAL_CONTEXT_PRIVATE_KEY: JSON.stringify(internal.privateJwk),
    INTERNAL_CONTEXT_PUBLIC_KEY: JSON.stringify(internal.publicJwk),
    // Hex: the database URLs embed these, so they must need no URL-encoding.
    MYSQL_ROOT_PASSWORD: hex(24),
    // The migrator's (DATABASE_ADMIN_URL, the migrate step only), then each service's own account (its DATABASE_URL).
    MYSQL_ADMIN_PASSWORD: hex(24),
    MYSQL_GATEWAY_PASSWORD: hex(24),
    MYSQL_DATASETS_PASSWORD: hex(24),
    MYSQL_MODELS_PASSWORD: hex(24),
    MYSQL_JOBS_PASSWORD: hex(24),
    MYSQL_AUDIT_PASSWORD: hex(24),
    MYSQL_METRICS_PASSWORD: hex(24),
    MYSQL_TENANTS_PASSWORD: hex(24),
    MYSQL_WORKERS_PASSWORD: hex(24),
    // Ed25519 private JWK: the audit service signs hash-chain checkpoints with it.
    AUDIT_SIGNING_KEY: JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })),
    // The services' MinIO user (created by minio-setup; it may only mint per-tenant sessions).
    // MinIO: access key >= 3, secret 8..40 characters.
    S3_ACCESS_KEY: `tessera-${hex(6)}`,
    S3_SECRET_KEY: hex(20),
    // MinIO's root: held by minio and the one-shot minio-setup, never by a service.
    MINIO_ROOT_USER: `root-${hex(6)}`,
    MINIO_ROOT_PASSWORD: hex(20),
    KEYCLOAK_ADMIN_PASSWORD: hex(16),
    // Substituted into deploy/keycloak/tessera-realm.json by Keycloak at import.
    TESSERA_API_CLIENT_SECRET: hex(32),
    TESSERA_DEMO_PASSWORD: hex(8),
    WORKERS_SERVICE_KEY: JSON.stringify(workers.privateJwk),
    JOBS_SERVICE_KEY: JSON.stringify(jobs.privateJwk),
    METRICS_SERVICE_KEY: JSON.stringify(metrics.privateJwk),
    // The tenants service drives a tenant's re-encryption through the datasets, models and audit ports.
    TENANTS_SERVICE_KEY: JSON.stringify(tenants.privateJwk),
    // The datasets service asks the jobs port to clear the profile results of the versions it deleted.
    DATASETS_SERVICE_KEY: JSON.stringify(datasets.privateJwk),
    DATASETS_PORT_CALLER_KEYS: JSON.stringify({ workers: workers.publicJwk, jobs: jobs.publicJwk, metrics: metrics.publicJwk, tenants: tenants.publicJwk }),
    MODELS_PORT_CALLER_KEYS: JSON.stringify({ workers: workers.publicJwk, jobs: jobs.publicJwk, metrics: metrics.publicJwk, tenants: tenants.publicJwk }),
    JOBS_PORT_CALLER_KEYS: JSON.stringify({ workers: workers.publicJwk, metrics: metrics.publicJwk, tenants: tenants.publicJwk, datasets: datasets.publicJwk }),
    AUDIT_PORT_CALLER_KEYS: JSON.stringify({ metrics: metrics.publicJwk, tenants: tenants.publicJwk }),
    // One Redis ACL user per service (packages/redis-acl) and the operator's admin; hex: they sit in REDIS_URL.
    REDIS_ADMIN_PASSWORD: hex(24),
    REDIS_GATEWAY_PASSWORD: hex(24),
    REDIS_DATASETS_PASSWORD: hex(24),
    REDIS_MODELS_PASSWORD: hex(24),
    REDIS_JOBS_PASSWORD: hex(24),
    REDIS_AUDIT_PASSWORD: hex(24),
    REDIS_METRICS_PASSWORD: hex(24),
    REDIS_TENANTS_PASSWORD: hex(24),
    REDIS_WORKER_PASSWORD: hex(24),
  };
}

/** Renders the values as a compose `.env` file (single-quoted, literal). */
export function formatEnvFile(values: Record<string, string>): string {
  const lines = Object.entries(values).map(([name, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`${name}: not a valid variable name`);
    if (/['\r\n]/.test(value)) throw new Error(`${name}: a single-quoted .env value cannot contain ' or a line break`);
    return `${name}='${value}'`;
  });
  return [
    '# Generated by `npx tsx deploy/generate-env.ts`: secrets for docker-compose. Never commit this file.',
    ...lines,
    '',
  ].join('\n');
}

/**
 * Writes the file to standard output. Redirected into a file (`> .env`), that file is made readable
 * by its owner only first: the shell creates it under the umask (usually 0644), and it holds every
 * secret of the deployment.
 */
export function writeEnvFile(text: string, fd = 1): void {
  if (fstatSync(fd).isFile()) {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } else {
    process.stdout.write(text);
  }
}

if (require.main === module) {
  generateEnvironment().then(
    (values) => writeEnvFile(formatEnvFile(values)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
