/**
 * docker-compose.yml, the Dockerfile and deploy/ checked against the code they run: no Docker
 * engine here, so this is what stands between a typo and a stack that does not start.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { allRoles, certificateThumbprint, createInternalContextSigner, createInternalContextVerifier, tenantRoles } from '@tessera/auth';
import { ensureLocalPki } from '@tessera/local-infra';
import { gatewayEnvironment, migratorEnvironment, portCallersOf, portsCalledBy, readGatewayEnvironment, readMigratorEnvironment, readSubgraphEnvironment, subgraphEnvironment, subgraphNames, type SubgraphName } from '@tessera/platform';
import { assertTenantId, serviceNames } from '@tessera/tenancy';
import { readWorkerEnvironment, workerEnvironment } from '@tessera/workers';
import { defaultKeyClients, keyServiceEnvironment, readKeyServiceEnvironment } from '@tessera/key-service';
import { masterKeyImportEnvironment } from '@tessera/platform';
import { formatEnvFile, generateEnvironment, generatedVariables, writeEnvFile } from '../deploy/generate-env';
import { composeBytes, datasetsMemoryFloorBytes, modelsMemoryFloorBytes, workerMemoryFloorBytes } from './memory-bounds';
import { aclFileTemplate, redisAdminUser, redisPasswordVariable, redisServices, redisUrlUser, serviceAcl, type RedisService } from '@tessera/redis-acl';

const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: unknown;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean; volume?: { subpath?: string } }>;
  entrypoint?: string[];
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const platformServices = ['gateway', ...subgraphNames];

function serviceEnv(name: string): Env {
  if (!services[name]) throw new Error(`no service ${name}`);
  const environment = services[name].environment ?? {};
  if (Array.isArray(environment)) throw new Error(`${name}: write environment as a mapping`);
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}

/** Compose's variable substitution, for the forms this repository uses; unset without a default fails. */
const reference = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:\?|\?|:-|-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
function interpolate(value: string, vars: Env): string {
  return value.replace(reference, (match, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const current = vars[name];
    const unsetOrEmpty = current === undefined || current === '';
    switch (operator) {
      case ':?':
        if (unsetOrEmpty) throw new Error(`required variable ${name} is missing a value: ${argument}`);
        return current!;
      case '?':
        if (current === undefined) throw new Error(`required variable ${name} is missing a value: ${argument}`);
        return current;
      case ':-':
        return unsetOrEmpty ? argument! : current!;
      case '-':
        return current ?? argument!;
      default:
        if (current === undefined) throw new Error(`${name} is not set and has no default`);
        return current;
    }
  });
}

function references(value: string): Array<{ name: string; operator: string | undefined }> {
  return [...value.matchAll(reference)].filter((m) => m[0] !== '$$').map((m) => ({ name: (m[1] ?? m[4])!, operator: m[2] }));
}

/** The containers' CA file is not on this machine: the local CA's file stands in for it (the database, object-store and issuer CAs are read at parse time). */
const containerCaFile = '/run/tessera/tls/ca.pem';
const caFileReadAtParse = ['DATABASE_TLS_CA_FILE', 'OBJECT_STORE_TLS_CA_FILE', 'OIDC_TLS_CA_FILE', 'KEY_PROVIDER_TLS_CA_FILE'];
function resolvedEnv(name: string, vars: Env): Env {
  return Object.fromEntries(
    Object.entries(serviceEnv(name)).map(([key, value]) => [key, caFileReadAtParse.includes(key) && value === containerCaFile ? ensureLocalPki().caFile : interpolate(value, vars)]),
  );
}

/** Keys the schema cannot do without: no default and not optional. */
function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, type]) => !(type as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key);
}

/** `host:container` (optionally `ip:host:container`, `/proto`) → numbers. */
function publishedPorts(service: Service): Array<{ host: number; container: number }> {
  return (service.ports ?? []).map((entry) => {
    const parts = String(entry).split('/')[0]!.split(':');
    if (parts.length < 2) throw new Error(`${entry}: publish ports as host:container`);
    return { host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]) };
  });
}

// *_FILE variables name where a mounted secret is (TLS_KEY_FILE), not the secret itself.
// The key provider's and key service's settings name a key, they hold none (KEY_PROVIDER_TOKEN does).
const keySettingNames = /^KEY_(PROVIDER_(URL|KEY_NAME|MOUNT)|SERVICE_(PORT|STATE_DIR|KEYS|ALLOWED_CLIENTS|ADMIN_CLIENTS))$/;
// Jaeger's variable for the path of its mounted TLS key (it has no *_FILE spelling).
const keyPathNames = new Set(['COLLECTOR_OTLP_HTTP_TLS_KEY']);
const isSecretName = (name: string) => /KEY|SECRET|PASSWORD|TOKEN/i.test(name) && !/_FILE$/.test(name) && !keySettingNames.test(name) && !keyPathNames.has(name);
const onlyReference = /^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$/;

describe('docker-compose.yml: platform services', () => {
  it('runs the gateway and every subgraph as its own container from the one image, with `tessera <service>`', () => {
    expect(platformServices).toHaveLength(7);
    for (const name of platformServices) {
      const service = services[name];
      expect(service).toBeDefined();
      expect(service!.command).toEqual([name]);
      expect(service!.init).toBe(true);
      expect(service!.build).toBe('.');
      expect(service!.image).toBe('tessera-platform:local');
      expect(service!.healthcheck?.test.join(' ')).toContain('/_readiness');
    }
  });

  it('gives each service every variable its schema requires, and no variable the schema does not know', () => {
    const gatewayRequired = requiredKeys(gatewayEnvironment);
    // Guards the helper itself: these have no default in environment.ts.
    expect(gatewayRequired).toEqual(expect.arrayContaining(['OIDC_ISSUER_URL', 'OIDC_AUDIENCE', 'INTERNAL_CONTEXT_PRIVATE_KEY', 'DATASETS_URL', 'TENANTS_URL']));
    expect(requiredKeys(subgraphEnvironment('datasets'))).toEqual(expect.arrayContaining(['KEY_PROVIDER_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'INTERNAL_CONTEXT_PUBLIC_KEY']));
    expect(gatewayRequired).not.toContain('GATEWAY_PORT');

    const check = (name: string, schema: z.ZodObject) => {
      const keys = Object.keys(serviceEnv(name));
      expect({ service: name, missing: requiredKeys(schema).filter((key) => !keys.includes(key)) }).toEqual({ service: name, missing: [] });
      // A misspelt variable would be ignored silently and the default used instead; a variable
      // outside the schema would hand the container a secret its service does not use.
      expect({ service: name, unknown: keys.filter((key) => !(key in schema.shape)) }).toEqual({ service: name, unknown: [] });
    };
    check('gateway', gatewayEnvironment);
    for (const name of subgraphNames) check(name, subgraphEnvironment(name));
  });

  it('gives each container exactly the secrets its service uses', () => {
    const secretNames = ['DATABASE_URL', 'DATABASE_ADMIN_URL', 'REDIS_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'KEY_PROVIDER_TOKEN', 'INTERNAL_CONTEXT_PRIVATE_KEY', 'AUDIT_SIGNING_KEY', 'SERVICE_KEY'];
    const held = (name: string) => secretNames.filter((secret) => secret in serviceEnv(name)).sort();
    expect(held('gateway')).toEqual(['DATABASE_URL', 'INTERNAL_CONTEXT_PRIVATE_KEY', 'REDIS_URL']);
    expect(held('models')).toEqual(['DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    // datasets asks the jobs port to clear a deleted dataset's profile results, signed with its own service key.
    expect(held('datasets')).toEqual(['DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'SERVICE_KEY']);
    // tenants drives re-encryption through the owners' ports, signed with its own service key.
    expect(held('tenants')).toEqual(['DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'SERVICE_KEY']);
    expect(held('audit')).toEqual(['AUDIT_SIGNING_KEY', 'DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    // jobs and metrics call other services' ports, signed with their own service key.
    for (const name of ['jobs', 'metrics']) expect({ name, held: held(name) }).toEqual({ name, held: ['DATABASE_URL', 'REDIS_URL', 'SERVICE_KEY'] });
    // And the schemas agree: a service whose schema lacks a secret cannot be given it (previous test).
    for (const name of subgraphNames) {
      // SERVICE_KEY is optional in every subgraph's schema (required only where ports are called).
      // SERVICE_KEY and KEY_PROVIDER_TOKEN (Vault only) are optional: compose's key service needs no token.
      const schemaSecrets = secretNames.filter((secret) => secret !== 'SERVICE_KEY' && secret !== 'KEY_PROVIDER_TOKEN' && secret in subgraphEnvironment(name).shape).sort();
      expect({ name, schemaSecrets }).toEqual({ name, schemaSecrets: held(name).filter((secret) => secret !== 'SERVICE_KEY') });
    }
  });

  it('binds every interface in the container, reaches MySQL, MinIO and Jaeger by service name, and overrides the localhost defaults', () => {
    for (const name of platformServices) {
      const env = serviceEnv(name);
      expect(env['LISTEN_HOST']).toBe('0.0.0.0');
      expect(new URL(env['DATABASE_URL']!.replace(/\$\{[^}]+\}/, 'x')).host).toBe('mysql:3306');
      expect(env['TRACING_EXPORTER']).toBe('otlp');
      expect(env['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('https://jaeger:4318');
      expect(env['OTEL_EXPORTER_OTLP_CERTIFICATE']).toBe('/run/tessera/tls/ca.pem');
      if (name !== 'gateway' && 'S3_ENDPOINT' in subgraphEnvironment(name as SubgraphName).shape) expect(env['S3_ENDPOINT']).toBe('https://minio:9000');
      else expect(env['S3_ENDPOINT']).toBeUndefined();
    }
    expect(publishedPorts(services['jaeger']!)).toContainEqual({ host: 4318, container: 4318 });
    expect(serviceEnv('jaeger')['COLLECTOR_OTLP_ENABLED']).toBe('true');
  });

  it('points each gateway *_URL at an existing subgraph service, on the port that service listens on', () => {
    const env = serviceEnv('gateway');
    const subgraphUrls = Object.entries(env).filter(([key]) => /^[A-Z]+_URL$/.test(key) && subgraphNames.includes(key.slice(0, -4).toLowerCase() as never));
    expect(subgraphUrls.map(([key]) => key).sort()).toEqual(subgraphNames.map((name) => `${name.toUpperCase()}_URL`).sort());
    for (const [key, value] of subgraphUrls) {
      const url = new URL(value);
      const target = key.slice(0, -4).toLowerCase();
      expect({ key, host: url.hostname, path: url.pathname }).toEqual({ key, host: target, path: '/graphql' });
      expect(services[url.hostname]).toBeDefined();
      expect({ key, port: url.port }).toEqual({ key, port: serviceEnv(url.hostname)['PORT'] });
    }
    const ports = subgraphNames.map((name) => serviceEnv(name)['PORT']);
    expect(ports).toEqual(['4001', '4002', '4003', '4004', '4005', '4006']);
  });

  it('has the gateway trust the issuer Keycloak actually puts in tokens', () => {
    const env = serviceEnv('gateway');
    const keycloak = serviceEnv('keycloak');
    expect(env['OIDC_ISSUER_URL']).toBe('https://keycloak:8443/realms/tessera');
    // Keycloak derives `iss` from KC_HOSTNAME, whatever host a token was requested through.
    expect(`${keycloak['KC_HOSTNAME']}/realms/tessera`).toBe(env['OIDC_ISSUER_URL']);
    expect(env['OIDC_AUDIENCE']).toBe('tessera-api');
    expect(env['OIDC_TENANT_CLAIM']).toBe('tenant');
    expect(env['OIDC_ROLES_CLAIM']).toBe('realm_access.roles');
    expect(services['keycloak']!.command).toEqual(['start-dev', '--import-realm']);
    expect(services['keycloak']!.image).toMatch(/^quay\.io\/keycloak\/keycloak:26\./);
    expect(services['keycloak']!.volumes).toContain('./deploy/keycloak/tessera-realm.json:/opt/keycloak/data/import/tessera-realm.json:ro');
  });
});

describe('docker-compose.yml: TLS', () => {
  const tlsMount = (name: string) => (services[name]!.volumes ?? []).find((volume) => typeof volume !== 'string' && volume.target === '/run/tessera/tls');

  it('creates the local CA once (the `pki` one-shot runs scripts/local-pki.sh) before any platform service starts', () => {
    const pki = services['pki']!;
    expect(pki.command?.join(' ')).toContain('bash /local-pki.sh /pki/all');
    expect(pki.volumes).toEqual(expect.arrayContaining(['./scripts/local-pki.sh:/local-pki.sh:ro', 'pki:/pki']));
    for (const name of platformServices) expect({ name, condition: services[name]!.depends_on?.['pki']?.condition }).toEqual({ name, condition: 'service_completed_successfully' });
  });

  it("gives the worker its region's certificate (workers.<region>, issued by the pki step) and that region as WORKER_REGION", async () => {
    const pki = services['pki']!.command!.join(' ');
    const region = serviceEnv('worker')['WORKER_REGION'];
    expect(region).toBe('us-east-1');
    expect(pki).toContain(`bash /local-pki.sh /pki/all workers.${region}`);
    for (const copy of [`cp /pki/all/workers.${region}.pem /pki/workers/cert.pem`, `cp /pki/all/workers.${region}-key.pem /pki/workers/key.pem`, 'chmod 0400 /pki/workers/key.pem']) expect(pki).toContain(copy);
    // The worker's configuration parses with it (WORKER_REGION is one of DATA_REGIONS).
    expect(readWorkerEnvironment(resolvedEnv('worker', await generateEnvironment())).region).toBe(region);
  });

  it('mounts into each platform service only its own identity (read-only), where its TLS_* variables point', () => {
    for (const name of platformServices) {
      expect({ name, mount: tlsMount(name) }).toEqual({ name, mount: { type: 'volume', source: 'pki', target: '/run/tessera/tls', read_only: true, volume: { subpath: name } } });
      const env = serviceEnv(name);
      expect({ name, ca: env['TLS_CA_FILE'], cert: env['TLS_CERT_FILE'], key: env['TLS_KEY_FILE'] }).toEqual({ name, ca: '/run/tessera/tls/ca.pem', cert: '/run/tessera/tls/cert.pem', key: '/run/tessera/tls/key.pem' });
      expect(services['pki']!.command?.join(' ')).toContain(name);
    }
    // The CA key is in all/, which no service mounts.
    expect(Object.values(services).filter((service) => (service.volumes ?? []).some((v) => (typeof v === 'string' ? v.startsWith('pki:') : v.source === 'pki' && !v.volume?.subpath)))).toEqual([services['pki']]);
  });

  it('reaches every subgraph over https, serves the public endpoint over https, and probes readiness over TLS', () => {
    const env = serviceEnv('gateway');
    for (const name of subgraphNames) expect(new URL(env[`${name.toUpperCase()}_URL`]!).protocol).toBe('https:');
    expect(env['PUBLIC_URL']).toBe('https://localhost:4000');
    expect(env['GATEWAY_PUBLIC_TLS']).toBeUndefined(); // on by default
    for (const name of platformServices) expect(services[name]!.healthcheck?.test.join(' ')).toMatch(/require\('https'\)\.get\(.*cert: f\('TLS_CERT_FILE'\)/);
  });
});

describe('docker-compose.yml: wiring', () => {
  it('depends only on services that exist, waiting for health only where there is a healthcheck', () => {
    let edges = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        edges += 1;
        expect({ from: name, target, exists: target in services }).toEqual({ from: name, target, exists: true });
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') expect({ target, healthcheck: Boolean(services[target]!.healthcheck) }).toEqual({ target, healthcheck: true });
      }
    }
    expect(edges).toBeGreaterThan(0);
    // The gateway composes the supergraph at start-up: every subgraph must already answer.
    const gatewayDeps = services['gateway']!.depends_on!;
    for (const name of [...subgraphNames, 'mysql', 'keycloak']) expect(gatewayDeps[name]?.condition).toBe('service_healthy');
    for (const name of subgraphNames) {
      expect(services[name]!.depends_on!['mysql']?.condition).toBe('service_healthy');
      expect(services[name]!.depends_on!['minio']?.condition).toBe('service_healthy');
    }
    // Each container waits for every store its environment names: a service started before Redis
    // answers fails its first connection and restarts (or serves without its queues and counters).
    const storeOf: Array<[variable: string, store: string]> = [['DATABASE_URL', 'mysql'], ['REDIS_URL', 'redis'], ['KEY_PROVIDER_URL', 'keys'], ['S3_ENDPOINT', 'minio']];
    for (const name of [...platformServices, 'worker']) {
      const env = serviceEnv(name);
      for (const [variable, store] of storeOf) {
        if (variable in env) expect({ name, store, condition: services[name]!.depends_on?.[store]?.condition }).toEqual({ name, store, condition: 'service_healthy' });
      }
    }
  });

  it('has no dependency cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`cycle: ${[...path, name].join(' -> ')}`);
      visiting.add(name);
      for (const target of Object.keys(services[name]?.depends_on ?? {})) visit(target, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
    expect(done.size).toBe(Object.keys(services).length);
  });

  it('publishes distinct host ports, the gateway on 4000', () => {
    const published = Object.entries(services).flatMap(([name, service]) => publishedPorts(service).map((port) => ({ name, ...port })));
    const hostPorts = published.map((port) => port.host);
    expect(hostPorts.every((port) => Number.isInteger(port) && port > 0)).toBe(true);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(published).toContainEqual({ name: 'gateway', host: 4000, container: Number(serviceEnv('gateway')['GATEWAY_PORT']) });
  });

  // `host:container` binds every interface of the host: Jaeger's UI (plain HTTP, no sign-in, every
  // tenant's traces and span attributes) and its OTLP intake (anyone may add spans), MinIO's root
  // console and Keycloak's admin console would answer the whole network. Only the gateway is the API.
  it('publishes the gateway on every interface and every other port on the loopback address only', () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((entry) => ({ name, entry: String(entry) })));
    expect(published.length).toBeGreaterThan(1);
    for (const { name, entry } of published) {
      const parts = entry.split('/')[0]!.split(':');
      const address = parts.length === 3 ? parts[0] : undefined;
      expect({ name, entry, address }).toEqual({ name, entry, address: name === 'gateway' ? undefined : '127.0.0.1' });
    }
  });

  it('escapes $ in healthcheck commands, so compose leaves them for the container shell', () => {
    const commands = Object.values(services).flatMap((service) => service.healthcheck?.test ?? []);
    expect(commands.some((part) => part.includes('$$'))).toBe(true);
    for (const part of commands) expect({ part, unescaped: part.replace(/\$\$/g, '').includes('$') }).toEqual({ part, unescaped: false });
  });

  it('runs MySQL 8, Redis 7 with appendonly, MinIO with its console, each with a healthcheck', () => {
    expect(services['mysql']!.image).toMatch(/^mysql:8\./);
    expect(services['redis']!.image).toMatch(/^redis:7/);
    // Redis runs with the ACL file (see 'Redis users' below); start-redis.sh keeps appendonly on and
    // passes its arguments on (the TLS settings, see 'Redis over TLS').
    expect(services['redis']!.command?.slice(0, 2)).toEqual(['sh', '/etc/tessera/start-redis.sh']);
    expect(read('deploy/redis/start-redis.sh')).toMatch(/redis-server --appendonly yes --aclfile "\$out" "\$@"\n$/);
    expect(services['minio']!.image).toMatch(/^minio\/minio:/);
    expect(services['minio']!.command).toEqual(expect.arrayContaining(['--console-address', ':9001']));
    expect(publishedPorts(services['minio']!)).toEqual(expect.arrayContaining([{ host: 9000, container: 9000 }, { host: 9001, container: 9001 }]));
    for (const name of ['mysql', 'redis', 'minio', 'keycloak']) expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(1);
  });

  it('has MySQL grant the migrator exactly the schemas the platform creates, and each service account nothing at database level', () => {
    const mysql = serviceEnv('mysql');
    const adminUrl = serviceEnv('migrate')['DATABASE_ADMIN_URL']!;
    const adminUser = /^mysql:\/\/([^:]+):/.exec(adminUrl)?.[1];
    expect(adminUser).toBe(mysql['MYSQL_USER']);
    expect(references(adminUrl).map((ref) => ref.name)).toEqual(references(mysql['MYSQL_PASSWORD']!).map((ref) => ref.name));
    // One account per service: service-user.sh creates tessera_<service> from TESSERA_DB_PASSWORD_<SERVICE>,
    // the password in that service's DATABASE_URL, and grants nothing (the migrate step does, per table).
    const containerOf = (service: string) => (service === 'workers' ? 'worker' : service);
    for (const service of serviceNames) {
      const databaseUrl = serviceEnv(containerOf(service))['DATABASE_URL']!;
      expect({ service, user: /^mysql:\/\/([^:]+):/.exec(databaseUrl)?.[1] }).toEqual({ service, user: `tessera_${service}` });
      expect(references(databaseUrl).map((ref) => ref.name)).toEqual(references(mysql[`TESSERA_DB_PASSWORD_${service.toUpperCase()}`]!).map((ref) => ref.name));
    }
    const passwords = serviceNames.map((service) => references(serviceEnv(containerOf(service))['DATABASE_URL']!)[0]!.name);
    expect(new Set(passwords).size).toBe(serviceNames.length);
    expect(read('deploy/mysql/service-user.sh')).toContain(`for service in ${serviceNames.join(' ')}; do`);
    expect(read('deploy/mysql/service-user.sh')).toMatch(/CREATE USER IF NOT EXISTS 'tessera_\$\{service\}'@'%' IDENTIFIED BY '\$\{password\}'/);
    expect(read('deploy/mysql/service-user.sh')).not.toMatch(/GRANT/);
    expect(serviceEnv('migrate')['DATABASE_ACCOUNT_HOSTS']).toBe('%');
    expect(services['mysql']!.volumes).toContain('./deploy/mysql/init.sql:/docker-entrypoint-initdb.d/10-tessera-grants.sql:ro');
    expect(services['mysql']!.volumes).toContain('./deploy/mysql/service-user.sh:/docker-entrypoint-initdb.d/20-tessera-service-user.sh:ro');

    const grants = [...read('deploy/mysql/init.sql').matchAll(/GRANT ALL PRIVILEGES ON `([^`]+)`\.\* TO '([^']+)'@'%' WITH GRANT OPTION;/g)].map((m) => ({ schema: m[1], user: m[2] }));
    expect(grants).toEqual([
      { schema: 'tessera\\_%', user: 'tessera_admin' },
      { schema: 'tenant\\_%', user: 'tessera_admin' },
    ]);
    expect(serviceEnv('gateway')['CONTROL_SCHEMA']).toMatch(/^tessera_/);
  });

  it('gives the services a MinIO user made by the one-shot minio-setup, never the root keys, and sts credentials', () => {
    const minio = serviceEnv('minio');
    const setup = serviceEnv('minio-setup');
    // The services that keep objects (jobs, metrics and the worker hold no object-store keys at all).
    const holders = [...subgraphNames, 'worker'].filter((name) => 'S3_ACCESS_KEY' in serviceEnv(name));
    expect(holders.sort()).toEqual(['audit', 'datasets', 'models', 'tenants']);
    for (const name of holders) {
      const env = serviceEnv(name);
      expect({ name, rootUser: env['S3_ACCESS_KEY'] === minio['MINIO_ROOT_USER'] }).toEqual({ name, rootUser: false });
      expect(Object.values(env).join(' ')).not.toContain('MINIO_ROOT');
      expect({ name, mode: env['OBJECT_STORE_CREDENTIALS'] }).toEqual({ name, mode: 'sts' });
      expect({ name, after: services[name]!.depends_on!['minio-setup']?.condition }).toEqual({ name, after: 'service_completed_successfully' });
    }
    expect(setup['MINIO_ROOT_USER']).toBe(minio['MINIO_ROOT_USER']);
    expect(setup['MINIO_ROOT_PASSWORD']).toBe(minio['MINIO_ROOT_PASSWORD']);
    expect(setup['TESSERA_S3_ACCESS_KEY']).toBe(serviceEnv('datasets')['S3_ACCESS_KEY']);
    expect(setup['TESSERA_S3_SECRET_KEY']).toBe(serviceEnv('datasets')['S3_SECRET_KEY']);
    expect(services['minio-setup']!.volumes).toContain('./deploy/object-store:/setup:ro');
    expect(services['minio-setup']!.depends_on!['minio']?.condition).toBe('service_healthy');
    expect(read('deploy/object-store/minio-setup.sh')).toContain('mc admin policy attach');
  });
});

describe('docker-compose.yml: TLS to MySQL', () => {
  const databaseClients = [...platformServices, 'worker', 'migrate'];
  const mountOf = (name: string) => (services[name]!.volumes ?? []).find((volume) => typeof volume !== 'string' && volume.target === '/run/tessera/tls');

  it('runs MySQL with the local CA\'s server certificate and refuses TCP without TLS', () => {
    const mysql = services['mysql']!;
    expect(mysql.command).toEqual(expect.arrayContaining(['--require-secure-transport=ON', '--ssl-ca=/etc/mysql/tls/ca.pem', '--ssl-cert=/etc/mysql/tls/cert.pem', '--ssl-key=/etc/mysql/tls/key.pem']));
    expect(mysql.volumes).toContainEqual({ type: 'volume', source: 'pki', target: '/etc/mysql/tls', read_only: true, volume: { subpath: 'mysql' } });
    expect(mysql.depends_on?.['pki']?.condition).toBe('service_completed_successfully');
    const pki = services['pki']!.command?.join(' ') ?? '';
    for (const copy of ['cp /pki/all/ca.pem /pki/mysql/ca.pem', 'cp /pki/all/mariadb.pem /pki/mysql/cert.pem', 'cp /pki/all/mariadb-key.pem /pki/mysql/key.pem', 'chmod 0400 /pki/mysql/key.pem']) expect(pki).toContain(copy);
    // The certificate names the host the services dial.
    expect(read('scripts/local-pki.sh')).toMatch(/stores=\("mariadb mysql"/);
    for (const name of databaseClients) expect({ name, host: new URL(serviceEnv(name)[name === 'migrate' ? 'DATABASE_ADMIN_URL' : 'DATABASE_URL']!.replace(/\$\{[^}]+\}/, 'x')).hostname }).toEqual({ name, host: 'mysql' });
  });

  it('gives every database client the CA in its own read-only mount, and nothing of the CA key or MySQL\'s key', () => {
    for (const name of databaseClients) {
      expect({ name, file: serviceEnv(name)['DATABASE_TLS_CA_FILE'] }).toEqual({ name, file: containerCaFile });
      const mount = mountOf(name);
      expect({ name, readOnly: mount && typeof mount !== 'string' ? mount.read_only : undefined, subpath: mount && typeof mount !== 'string' ? mount.volume?.subpath : undefined }).toEqual({ name, readOnly: true, subpath: expect.not.stringMatching(/^(all|mysql)$/) });
      expect({ name, pki: services[name]!.depends_on?.['pki']?.condition }).toEqual({ name, pki: 'service_completed_successfully' });
    }
    expect(services['pki']!.command?.join(' ')).toContain('cp /pki/all/ca.pem /pki/ca/ca.pem');
  });

  it('parses DATABASE_TLS_CA_FILE into the CA certificate of every client\'s database configuration', async () => {
    const values = await generateEnvironment();
    const ca = ensureLocalPki().ca;
    expect(readMigratorEnvironment(resolvedEnv('migrate', values)).migrator.tlsCa).toBe(ca);
    expect(readWorkerEnvironment(resolvedEnv('worker', values)).database.tlsCa).toBe(ca);
    expect(readGatewayEnvironment(resolvedEnv('gateway', values)).database.tlsCa).toBe(ca);
    for (const name of subgraphNames) expect({ name, ca: readSubgraphEnvironment(name, resolvedEnv(name, values)).runtime.database.tlsCa }).toEqual({ name, ca });
  });

  it("parses the gateway's subscription keepalive (WS_KEEPALIVE_MS): 12 s by default, 1–60 s when set, a bad value named", async () => {
    const env = resolvedEnv('gateway', await generateEnvironment());
    expect(readGatewayEnvironment(env).gateway.limits.subscriptionKeepAliveMs).toBe(12_000);
    expect(readGatewayEnvironment({ ...env, WS_KEEPALIVE_MS: '3000' }).gateway.limits.subscriptionKeepAliveMs).toBe(3_000);
    for (const value of ['999', '60001', '1.5', 'soon']) expect(() => readGatewayEnvironment({ ...env, WS_KEEPALIVE_MS: value })).toThrow(/WS_KEEPALIVE_MS/);
  });
});

describe('docker-compose.yml: the datasets upload spool', () => {
  /** What a container's path is backed by: a tmpfs (memory, sized), a writable volume, or the read-only root. */
  function backing(service: Service, path: string): { kind: 'tmpfs'; bytes: number } | { kind: 'volume'; name: string } | { kind: 'root' } {
    const under = (mount: string) => path === mount || path.startsWith(`${mount.replace(/\/$/, '')}/`);
    for (const volume of service.volumes ?? []) {
      const [source, target, mode] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target, volume.read_only ? 'ro' : 'rw'];
      if (target && under(target) && mode !== 'ro') return { kind: 'volume', name: source! };
    }
    for (const tmpfs of service.tmpfs ?? []) {
      const [target, options = ''] = tmpfs.split(':');
      const size = /(?:^|,)size=(\d+)([kmg]?)/i.exec(options);
      const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(size?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
      if (under(target!)) return { kind: 'tmpfs', bytes: size ? Number(size[1]) * unit : Number.POSITIVE_INFINITY };
    }
    return { kind: 'root' };
  }

  it("keeps upload bodies on a volume of the datasets container's own, bounded by the spool's own limit, never in the /tmp tmpfs", async () => {
    const spool = readSubgraphEnvironment('datasets', resolvedEnv('datasets', await generateEnvironment())).uploadSpool!;
    // Unset, the spool makes its directory under the OS temp dir: in the container, the /tmp tmpfs
    // (memory, and far smaller than the spool's 4 GiB default), where an upload fails when it fills.
    const dir = spool.dir ?? '/tmp/tessera-csv-spool-x'; // the image sets no TMPDIR
    const datasets = services['datasets']!;
    expect({ dir, backing: backing(datasets, dir) }).toEqual({ dir, backing: { kind: 'volume', name: 'csv-spool' } });
    expect(Object.keys((compose as unknown as { volumes: Record<string, unknown> }).volumes)).toContain('csv-spool');
    // The spool's own bound, so it refuses uploads (SERVICE_UNAVAILABLE, retry) before the disk does.
    expect(spool.totalBytes).toBeGreaterThanOrEqual(1024 ** 3);
    // No other container writes there.
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'datasets') expect({ name, mounts: (service.volumes ?? []).filter((v) => (typeof v === 'string' ? v.startsWith('csv-spool:') : v.source === 'csv-spool')) }).toEqual({ name, mounts: [] });
    }
    // A new named volume takes the image directory's owner: the service user's, or it could not write.
    const uid = /^USER (\S+)$/m.exec(read('Dockerfile'))![1]!;
    expect(read('Dockerfile').replace(/\\\n/g, ' ')).toMatch(new RegExp(`chown ${uid} [^&\\n]*${dir.replace(/\//g, '\\/')}`));
  });
});

describe('docker-compose.yml: the models prediction log', () => {
  it("keeps the outbox of answered predictions on a volume of the models container's own (it must outlive the container), bounded by the log's own limit", async () => {
    const stats = readSubgraphEnvironment('models', resolvedEnv('models', await generateEnvironment())).inference!.stats;
    // Unset, the log sits under the OS temp dir: the /tmp tmpfs, memory of 128 MB that a new container does not have.
    expect(stats.logDirectory).toBe('/var/lib/tessera/prediction-log');
    const models = services['models']!;
    expect(models.volumes).toContain('prediction-log:/var/lib/tessera/prediction-log');
    expect(Object.keys((compose as unknown as { volumes: Record<string, unknown> }).volumes)).toContain('prediction-log');
    // The log refuses predictions past its bound (SERVICE_UNAVAILABLE) before the disk fills.
    expect(stats.maxBacklogBytes).toBe(1024 ** 3);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'models') expect({ name, mounts: (service.volumes ?? []).filter((v) => (typeof v === 'string' ? v.startsWith('prediction-log:') : v.source === 'prediction-log')) }).toEqual({ name, mounts: [] });
    }
    // A new named volume takes the image directory's owner: the service user's, or it could not write.
    const uid = /^USER (\S+)$/m.exec(read('Dockerfile'))![1]!;
    expect(read('Dockerfile').replace(/\\\n/g, ' ')).toMatch(new RegExp(`chown ${uid} [^&\\n]*${stats.logDirectory!.replace(/\//g, '\\/')}`));
  });
});

describe('docker-compose.yml: the migrate step', () => {
  const longRunning = [...platformServices, 'worker'];

  it('runs `tessera migrate` once, from the platform image, with the migrator account and nothing else', () => {
    const migrate = services['migrate']!;
    expect(migrate.command).toEqual(['migrate']);
    expect(migrate.image).toBe('tessera-platform:local');
    expect(migrate.healthcheck).toBeUndefined();
    expect(migrate.depends_on?.['mysql']?.condition).toBe('service_healthy');
    const keys = Object.keys(serviceEnv('migrate'));
    expect(keys.filter((key) => !(key in migratorEnvironment.shape))).toEqual([]);
    const parsed = readMigratorEnvironment(resolvedEnv('migrate', { MYSQL_ADMIN_PASSWORD: 'a'.repeat(48) }));
    expect(parsed.migrator).toEqual({ adminUrl: `mysql://tessera_admin:${'a'.repeat(48)}@mysql:3306`, controlSchema: 'tessera_control', accountHosts: ['%'], tlsCa: ensureLocalPki().ca });
  });

  it('every long-running service waits for it to finish successfully', () => {
    for (const name of longRunning) expect({ name, condition: services[name]!.depends_on?.['migrate']?.condition }).toEqual({ name, condition: 'service_completed_successfully' });
  });

  it('no long-running service holds the migrator account: not in compose, not in its environment schema', () => {
    const adminPassword = references(serviceEnv('migrate')['DATABASE_ADMIN_URL']!)[0]!.name;
    for (const name of longRunning) {
      const env = serviceEnv(name);
      expect({ name, keys: Object.keys(env).filter((key) => key === 'DATABASE_ADMIN_URL') }).toEqual({ name, keys: [] });
      const usesAdminPassword = Object.values(env).some((value) => references(value).some((ref) => ref.name === adminPassword));
      expect({ name, usesAdminPassword }).toEqual({ name, usesAdminPassword: false });
    }
    for (const [name, schema] of [['gateway', gatewayEnvironment], ...subgraphNames.map((subgraph) => [subgraph, subgraphEnvironment(subgraph)] as const), ['worker', workerEnvironment]] as const) {
      expect({ name, adminUrl: 'DATABASE_ADMIN_URL' in schema.shape }).toEqual({ name, adminUrl: false });
    }
  });
});

describe('docker-compose.yml: job worker', () => {
  it('runs `tessera worker` from the platform image, with a readiness check on its health port', () => {
    const worker = services['worker'];
    expect(worker).toBeDefined();
    expect(worker!.command).toEqual(['worker']);
    expect(worker!.init).toBe(true);
    expect(worker!.build).toBe('.');
    expect(worker!.image).toBe('tessera-platform:local');
    const check = worker!.healthcheck?.test.join(' ') ?? '';
    expect(check).toContain('/_readiness');
    expect(check).toContain('WORKER_HEALTH_PORT');
    expect(worker!.ports ?? []).toEqual([]); // no API: nothing to publish
  });

  it('gives the worker every variable its schema requires and none it does not know; no migrator account, no context key', () => {
    const keys = Object.keys(serviceEnv('worker'));
    expect(requiredKeys(workerEnvironment).filter((key) => !keys.includes(key))).toEqual([]);
    expect(keys.filter((key) => !(key in workerEnvironment.shape))).toEqual([]);
    expect(keys).not.toContain('DATABASE_ADMIN_URL');
    expect(keys).not.toContain('INTERNAL_CONTEXT_PUBLIC_KEY');
  });

  it('gives the worker neither the key provider nor any object-store credential, in compose or in its schema', () => {
    // A worker reaches a job's objects only through the owners' job ports: a presigned URL and the
    // key of that one object, per call, under the job's grant.
    const secrets = ['KEY_PROVIDER_URL', 'KEY_PROVIDER_TOKEN', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_ENDPOINT', 'OBJECT_STORE_CREDENTIALS', 'OBJECT_STORE_ROLE_ARN', 'OBJECT_STORE_STS_ENDPOINT'];
    const env = serviceEnv('worker');
    expect(secrets.filter((key) => key in env)).toEqual([]);
    expect(secrets.filter((key) => key in workerEnvironment.shape)).toEqual([]);
    const s3SecretRef = references(serviceEnv('models')['S3_SECRET_KEY']!)[0]!.name;
    const refs = Object.values(env).flatMap((value) => references(value).map((ref) => ref.name));
    expect(refs.filter((name) => name === s3SecretRef)).toEqual([]);
  });

  it('parses into a worker configuration that reaches MySQL and Redis by service name, as its own users', async () => {
    const values = await generateEnvironment();
    const worker = readWorkerEnvironment(resolvedEnv('worker', values));
    const models = readSubgraphEnvironment('models', resolvedEnv('models', values));
    // Its own account, on the same server.
    expect(worker.database.url).toBe(`mysql://tessera_workers:${values.MYSQL_WORKERS_PASSWORD}@mysql:3306`);
    expect(new URL(worker.database.url).host).toBe(new URL(models.runtime.database.url).host);
    expect(worker.database.controlSchema).toBe(models.runtime.database.controlSchema);
    // The same Redis and key prefix, each as its own ACL user.
    expect(worker.redis.keyPrefix).toBe(models.runtime.redis.keyPrefix);
    expect(new URL(worker.redis.url).host).toBe(new URL(models.runtime.redis.url).host);
    expect(redisUrlUser(worker.redis.url)).toBe('tessera-worker');
    expect(redisUrlUser(models.runtime.redis.url)).toBe('tessera-models');
    expect(worker.healthPort).toBe(4010);
    expect(worker.host).toBe('0.0.0.0');
    expect(worker.dedicatedTenant).toBeUndefined();
  });

  it('starts after MySQL, Redis and MinIO (which serves its presigned URLs) are healthy and the migrate step has finished', () => {
    const depends = services['worker']!.depends_on!;
    for (const name of ['mysql', 'redis', 'minio']) expect({ name, condition: depends[name]?.condition }).toEqual({ name, condition: 'service_healthy' });
    expect(depends['migrate']?.condition).toBe('service_completed_successfully');
  });
});

describe('docker-compose.yml: Redis users', () => {
  const redisClients: RedisService[] = ['gateway', ...subgraphNames, 'worker'];

  it('gives each service exactly its own Redis user, with its own password variable', () => {
    expect([...redisClients].sort()).toEqual([...redisServices].sort());
    for (const service of redisClients) {
      const url = serviceEnv(service)['REDIS_URL'];
      expect({ service, url: url !== undefined }).toEqual({ service, url: true });
      const match = /^rediss:\/\/([^:@]+):(\$\{[A-Z_]+:\?[^}]+\})@redis:6380$/.exec(url!);
      expect({ service, form: match !== null }).toEqual({ service, form: true });
      expect({ service, user: match![1] }).toEqual({ service, user: serviceAcl('tessera', service).user });
      expect({ service, password: references(match![2]!).map((ref) => ref.name) }).toEqual({ service, password: [redisPasswordVariable(service)] });
      // No service sets its own prefix: the users' key patterns are the default prefix's.
      expect(serviceEnv(service)['REDIS_KEY_PREFIX']).toBeUndefined();
    }
    const users = redisClients.map((service) => redisUrlUser(serviceEnv(service)['REDIS_URL']!.replace(/\$\{[^}]+\}/, 'x')));
    expect(new Set(users).size).toBe(redisClients.length);
    expect(users).not.toContain(redisAdminUser);
    expect(users).not.toContain('default');
  });

  it('runs Redis with the generated ACL file and every password its placeholders name, and no other variable', () => {
    const redis = services['redis']!;
    expect(redis.volumes).toContain('./deploy/redis/users.acl.template:/etc/tessera/users.acl.template:ro');
    expect(redis.volumes).toContain('./deploy/redis/start-redis.sh:/etc/tessera/start-redis.sh:ro');
    expect(read('deploy/redis/users.acl.template')).toBe(aclFileTemplate('tessera'));
    const placeholders = [...read('deploy/redis/users.acl.template').matchAll(/^user .*\{\{sha256:([A-Z_]+)\}\}/gm)].map((m) => m[1]);
    expect(placeholders).toHaveLength(redisServices.length + 1);
    const env = serviceEnv('redis');
    expect(Object.keys(env).sort()).toEqual([...placeholders].sort());
    for (const [key, value] of Object.entries(env)) expect(references(value).map((ref) => ref.name)).toEqual([key]);
    expect(read('deploy/redis/users.acl.template')).toMatch(/^user default off /m);
  });

  it('checks Redis health as a user that holds no key and can publish nothing (it only hears tenant changes)', () => {
    const check = services['redis']!.healthcheck!.test.join(' ');
    expect(check).toContain('--user tessera-datasets');
    const acl = serviceAcl('tessera', 'datasets');
    expect(acl).toMatchObject({ keys: [], channels: ['&tessera:tenants:changed'] });
    expect(acl.commands).not.toContain('+publish');
  });

  it('generates every Redis password', () => {
    for (const variable of [redisPasswordVariable('admin'), ...redisServices.map(redisPasswordVariable)]) expect(generatedVariables).toContain(variable);
  });
});

describe('docker-compose.yml: Redis over TLS', () => {
  const redisClients: RedisService[] = ['gateway', ...subgraphNames, 'worker'];
  const mountOf = (name: string, target: string) => (services[name]!.volumes ?? []).find((volume) => typeof volume !== 'string' && volume.target === target);
  /** `--name value` pairs of the Redis command. */
  const redisArgument = (name: string) => {
    const command = services['redis']!.command ?? [];
    const at = command.indexOf(`--${name}`);
    return at < 0 ? undefined : command[at + 1];
  };

  it('runs Redis TLS-only, with the Redis certificate of the pki service, client certificates not required', () => {
    expect(redisArgument('port')).toBe('0');
    expect(redisArgument('tls-port')).toBe('6380');
    expect(redisArgument('tls-cert-file')).toBe('/run/tessera/tls/cert.pem');
    expect(redisArgument('tls-key-file')).toBe('/run/tessera/tls/key.pem');
    expect(redisArgument('tls-ca-cert-file')).toBe('/run/tessera/tls/ca.pem');
    expect(redisArgument('tls-auth-clients')).toBe('no');
    expect(mountOf('redis', '/run/tessera/tls')).toEqual({ type: 'volume', source: 'pki', target: '/run/tessera/tls', read_only: true, volume: { subpath: 'redis' } });
    const pki = services['pki']!.command!.join(' ');
    for (const file of ['cp /pki/all/redis.pem /pki/redis/cert.pem', 'cp /pki/all/redis-key.pem /pki/redis/key.pem', 'cp /pki/all/ca.pem /pki/redis/ca.pem']) expect(pki).toContain(file);
    expect(services['redis']!.depends_on?.['pki']?.condition).toBe('service_completed_successfully');
    // The health check speaks TLS too: there is no plaintext port to fall back on.
    expect(services['redis']!.healthcheck!.test.join(' ')).toContain('redis-cli --tls --cacert /run/tessera/tls/ca.pem -p 6380');
  });

  it('gives every Redis client a rediss:// URL and a CA file it has mounted', () => {
    for (const service of redisClients) {
      const env = serviceEnv(service);
      expect({ service, url: new URL(env['REDIS_URL']!.replace(/\$\{[^}]+\}/, 'x')).protocol }).toEqual({ service, url: 'rediss:' });
      const caFile = env['REDIS_TLS_CA_FILE'];
      expect({ service, caFile: caFile !== undefined }).toEqual({ service, caFile: true });
      const mount = mountOf(service, caFile!.replace(/\/ca\.pem$/, ''));
      expect({ service, mounted: mount !== undefined && typeof mount !== 'string' && mount.source === 'pki' && mount.read_only === true }).toEqual({ service, mounted: true });
    }
    // Nothing in the file still names Redis without TLS.
    for (const name of Object.keys(services)) for (const [key, value] of Object.entries(serviceEnv(name))) expect({ name, key, plain: /redis:\/\//.test(value) }).toEqual({ name, key, plain: false });
  });
});

describe('docker-compose.yml: TLS to MinIO and Keycloak', () => {
  type Volume = Exclude<NonNullable<Service['volumes']>[number], string>;
  const pkiMounts = (name: string) => (services[name]!.volumes ?? []).filter((volume): volume is Volume => typeof volume !== 'string' && volume.source === 'pki');
  /** The pki folder mounted (read-only) where `file` lives, or undefined. */
  const folderOf = (name: string, file: string) => pkiMounts(name).find((mount) => mount.read_only === true && file.startsWith(`${mount.target}/`))?.volume?.subpath;
  const pki = () => services['pki']!.command!.join(' ');
  const objectStoreClients = [...subgraphNames, 'worker'].filter((name) => 'S3_ENDPOINT' in serviceEnv(name));

  it('runs MinIO TLS-only with the `s3` certificate of the pki service (also named minio), and probes it over HTTPS with the CA', () => {
    const command = services['minio']!.command!;
    const certsDir = command[command.indexOf('--certs-dir') + 1]!;
    expect(command).toContain('--certs-dir');
    expect(pkiMounts('minio')).toEqual([{ type: 'volume', source: 'pki', target: certsDir, read_only: true, volume: { subpath: 'minio' } }]);
    for (const copy of ['cp /pki/all/s3.pem /pki/minio/public.crt', 'cp /pki/all/s3-key.pem /pki/minio/private.key', 'cp /pki/all/ca.pem /pki/minio/CAs/ca.pem']) expect(pki()).toContain(copy);
    const probe = services['minio']!.healthcheck!.test.join(' ');
    expect(probe).toContain('MC_HOST_probe=https://localhost:9000');
    expect(probe).toContain(`cp ${certsDir}/CAs/ca.pem /tmp/mc/certs/CAs/`);
    expect(probe).not.toMatch(/--insecure/);
    expect(services['minio']!.depends_on?.['pki']?.condition).toBe('service_completed_successfully');
  });

  it('gives every object-store client an https:// endpoint and a CA file in its own read-only pki folder', () => {
    // The worker has no store client: it fetches the presigned URLs the owners sign, trusting the
    // platform CA of its own TLS identity (the CA MinIO's certificate chains to).
    expect(objectStoreClients.sort()).toEqual(['audit', 'datasets', 'models', 'tenants']);
    expect(serviceEnv('worker')['TLS_CA_FILE']).toBe(containerCaFile);
    for (const name of objectStoreClients) {
      const env = serviceEnv(name);
      expect({ name, endpoint: env['S3_ENDPOINT'], caFile: env['OBJECT_STORE_TLS_CA_FILE'] }).toEqual({ name, endpoint: 'https://minio:9000', caFile: containerCaFile });
      expect({ name, folder: folderOf(name, containerCaFile) }).toEqual({ name, folder: name === 'worker' ? 'workers' : name });
    }
    const setup = serviceEnv('minio-setup');
    expect(setup['MINIO_URL']).toBe('https://minio:9000');
    expect(folderOf('minio-setup', setup['MINIO_CA_FILE']!)).toBe('ca');
    expect(read('deploy/object-store/minio-setup.sh')).toContain('cp "$MINIO_CA_FILE" "$HOME/.mc/certs/CAs/');
  });

  it('runs Keycloak HTTPS-only with the `oidc` certificate (also named keycloak), and the gateway checks it against the CA', () => {
    const keycloak = serviceEnv('keycloak');
    expect(keycloak['KC_HTTP_ENABLED']).toBe('false');
    expect(keycloak['KC_HOSTNAME']).toBe('https://keycloak:8443');
    expect(publishedPorts(services['keycloak']!)).toEqual([{ host: 8443, container: Number(keycloak['KC_HTTPS_PORT']) }]);
    expect(folderOf('keycloak', keycloak['KC_HTTPS_CERTIFICATE_FILE']!)).toBe('keycloak');
    expect(folderOf('keycloak', keycloak['KC_HTTPS_CERTIFICATE_KEY_FILE']!)).toBe('keycloak');
    for (const copy of ['cp /pki/all/oidc.pem /pki/keycloak/cert.pem', 'cp /pki/all/oidc-key.pem /pki/keycloak/key.pem']) expect(pki()).toContain(copy);
    const gateway = serviceEnv('gateway');
    expect(new URL(gateway['OIDC_ISSUER_URL']!).protocol).toBe('https:');
    expect(folderOf('gateway', gateway['OIDC_TLS_CA_FILE']!)).toBe('gateway');
    expect(services['keycloak']!.depends_on?.['pki']?.condition).toBe('service_completed_successfully');
  });

  it('issues the MinIO and Keycloak certificates for their compose host names (scripts/local-pki.sh)', () => {
    const local = ensureLocalPki();
    expect(new X509Certificate(local.identity('s3').cert).subjectAltName).toContain('DNS:minio');
    expect(new X509Certificate(local.identity('oidc').cert).subjectAltName).toContain('DNS:keycloak');
  });

  it('names neither store nor issuer over plain HTTP anywhere', () => {
    for (const name of Object.keys(services)) for (const [key, value] of Object.entries(serviceEnv(name))) expect({ name, key, plain: /http:\/\/(minio|keycloak)\b/.test(value) }).toEqual({ name, key, plain: false });
  });

  it('refuses OIDC_TLS_CA_FILE with an http:// issuer (the operator would believe JWKS is verified)', async () => {
    const values = await generateEnvironment();
    const env = resolvedEnv('gateway', values);
    expect(() => readGatewayEnvironment({ ...env, OIDC_ISSUER_URL: 'http://keycloak:8080/realms/tessera' })).toThrow(/OIDC_TLS_CA_FILE: set, but OIDC_ISSUER_URL is not an https:\/\/ URL/);
    expect(() => readGatewayEnvironment({ ...env, OIDC_TLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/OIDC_TLS_CA_FILE/);
  });

  it.each([
    ['upload', 'UPLOAD', 'uploadPace'],
    ['download', 'DOWNLOAD', 'downloadPace'],
  ] as const)('reads the %s pace once at start-up, and refuses a bad value naming the setting', async (_name, prefix, field) => {
    const env = resolvedEnv('gateway', await generateEnvironment());
    expect(readGatewayEnvironment(env).gateway.limits[field]).toEqual({ minBytesPerSecond: 16_384, graceMs: 60_000, maxDurationMs: 0 });
    expect(readGatewayEnvironment({ ...env, [`${prefix}_MIN_BYTES_PER_SECOND`]: '65536', [`${prefix}_RATE_GRACE_MS`]: '30000', [`${prefix}_MAX_DURATION_MS`]: '7200000' }).gateway.limits[field]).toEqual({
      minBytesPerSecond: 65_536,
      graceMs: 30_000,
      maxDurationMs: 7_200_000,
    });
    // Each direction its own: setting one leaves the other at its defaults.
    const other = field === 'uploadPace' ? 'downloadPace' : 'uploadPace';
    expect(readGatewayEnvironment({ ...env, [`${prefix}_MIN_BYTES_PER_SECOND`]: '65536' }).gateway.limits[other]).toEqual({ minBytesPerSecond: 16_384, graceMs: 60_000, maxDurationMs: 0 });
    const bad: Array<[string, string]> = [
      [`${prefix}_MIN_BYTES_PER_SECOND`, '0'],
      [`${prefix}_MIN_BYTES_PER_SECOND`, '1023'],
      [`${prefix}_MIN_BYTES_PER_SECOND`, '16k'],
      [`${prefix}_MIN_BYTES_PER_SECOND`, String(200 * 1024 * 1024)],
      [`${prefix}_RATE_GRACE_MS`, '999'],
      [`${prefix}_RATE_GRACE_MS`, '3600001'],
      [`${prefix}_RATE_GRACE_MS`, '1.5'],
      [`${prefix}_MAX_DURATION_MS`, '-1'],
      [`${prefix}_MAX_DURATION_MS`, '59999'],
      [`${prefix}_MAX_DURATION_MS`, String(8 * 86_400_000)],
    ];
    for (const [name, value] of bad) expect(() => readGatewayEnvironment({ ...env, [name]: value })).toThrow(new RegExp(name));
  });

  it('reads the bytes one subscription socket may hold once at start-up (1 MiB unless set), and refuses a bad value naming the setting', async () => {
    const env = resolvedEnv('gateway', await generateEnvironment());
    expect(readGatewayEnvironment(env).gateway.limits.socketBufferBytes).toBe(1024 * 1024);
    expect(readGatewayEnvironment({ ...env, WS_SOCKET_BUFFER_BYTES: '262144' }).gateway.limits.socketBufferBytes).toBe(262_144);
    for (const value of ['0', '1023', '1.5', '1m', String(1024 ** 3 + 1)]) expect(() => readGatewayEnvironment({ ...env, WS_SOCKET_BUFFER_BYTES: value })).toThrow(/WS_SOCKET_BUFFER_BYTES/);
  });

  it("the subgraphs read the gateway's idle timeout for their own, looser, cut of a stalled upload", async () => {
    const models = resolvedEnv('models', await generateEnvironment());
    expect(readSubgraphEnvironment('models', models).uploadStallMs).toBe(60_000);
    expect(readSubgraphEnvironment('models', { ...models, TRANSFER_IDLE_TIMEOUT_MS: '10000' }).uploadStallMs).toBe(20_000);
  });

  it('runs trusted documents only with a manifest whose ids are the SHA-256 of their documents', async () => {
    const env = resolvedEnv('gateway', await generateEnvironment());
    expect(readGatewayEnvironment(env).gateway.persistedDocuments).toEqual({ mode: 'automatic', trusted: undefined });
    expect(() => readGatewayEnvironment({ ...env, PERSISTED_DOCUMENTS: 'trusted' })).toThrow(/TRUSTED_DOCUMENTS_FILE: required/);
    const folder = mkdtempSync(join(tmpdir(), 'tessera-trusted-'));
    const document = '{ currentTenant { id } }';
    const file = join(folder, 'manifest.json');
    writeFileSync(file, JSON.stringify({ [createHash('sha256').update(document).digest('hex')]: document }));
    expect(readGatewayEnvironment({ ...env, PERSISTED_DOCUMENTS: 'trusted', TRUSTED_DOCUMENTS_FILE: file }).gateway.persistedDocuments?.trusted?.size).toBe(1);
    writeFileSync(file, JSON.stringify({ ['0'.repeat(64)]: document }));
    expect(() => readGatewayEnvironment({ ...env, PERSISTED_DOCUMENTS: 'trusted', TRUSTED_DOCUMENTS_FILE: file })).toThrow(/TRUSTED_DOCUMENTS_FILE: .*not the SHA-256/);
  });
});

describe('docker-compose.yml: secrets', () => {
  it('holds no literal secret: every secret-named variable is a ${NAME:?...} reference', () => {
    let checked = 0;
    for (const name of Object.keys(services)) {
      for (const [key, value] of Object.entries(serviceEnv(name))) {
        if (isSecretName(key)) {
          checked += 1;
          expect({ service: name, key, value: onlyReference.test(value) }).toEqual({ service: name, key, value: true });
        }
        // A password inside a URL (DATABASE_URL) must be a reference too.
        const userinfo = /^[a-z]+:\/\/[^:/@]+:([^@]*)@/.exec(value);
        if (userinfo) expect({ service: name, key, password: onlyReference.test(userinfo[1]!) }).toEqual({ service: name, key, password: true });
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('references only variables deploy/generate-env.ts writes, always with :? so a missing one stops compose', () => {
    // Every string in the file, not only environments: compose interpolates them all.
    const strings = (node: unknown): string[] =>
      typeof node === 'string' ? [node] : node && typeof node === 'object' ? Object.values(node).flatMap(strings) : [];
    const all = strings(compose).flatMap(references);
    expect(all.length).toBeGreaterThan(0);
    for (const ref of all) {
      expect({ ref: ref.name, generated: (generatedVariables as readonly string[]).includes(ref.name) }).toEqual({ ref: ref.name, generated: true });
      expect({ ref: ref.name, operator: ref.operator }).toEqual({ ref: ref.name, operator: ':?' });
    }
    // And everything generated is used, by compose or by the realm file through Keycloak's environment.
    const used = new Set(all.map((ref) => ref.name));
    expect(generatedVariables.filter((name) => !used.has(name))).toEqual([]);
  });

  it('refuses to interpolate without the generated .env', async () => {
    const values = await generateEnvironment();
    const { S3_SECRET_KEY: _dropped, ...withoutStoreKey } = values;
    expect(() => resolvedEnv('datasets', withoutStoreKey)).toThrow(/S3_SECRET_KEY/);
    expect(() => resolvedEnv('datasets', { ...values, S3_SECRET_KEY: '' })).toThrow(/S3_SECRET_KEY/);
  });

  it('keeps .env out of git and out of the image build context', () => {
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', '**/node_modules/']));
  });
});

describe('docker-compose.yml: the key provider', () => {
  const keyClients = ['datasets', 'models', 'jobs', 'audit', 'tenants'];

  it('holds no master key anywhere: no environment schema, no container, no generated secret', () => {
    const schemas: Array<[string, z.ZodObject]> = [
      ['gateway', gatewayEnvironment],
      ['migrate', migratorEnvironment],
      ['worker', workerEnvironment],
      ['keys', keyServiceEnvironment],
      ...subgraphNames.map((name): [string, z.ZodObject] => [name, subgraphEnvironment(name)]),
    ];
    for (const [name, schema] of schemas) expect({ name, masterKey: Object.keys(schema.shape).filter((key) => /MASTER_KEY/.test(key)) }).toEqual({ name, masterKey: [] });
    for (const name of Object.keys(services)) expect({ name, masterKey: Object.keys(serviceEnv(name)).filter((key) => /MASTER_KEY/.test(key)) }).toEqual({ name, masterKey: [] });
    expect(composeText).not.toMatch(/MASTER_KEY/);
    expect(generatedVariables as readonly string[]).not.toContain('MASTER_KEY');
    // Only the one-time import command reads the retired key, and no compose service runs it.
    expect(Object.keys(masterKeyImportEnvironment.shape)).toContain('LEGACY_MASTER_KEY');
  });

  it('runs the key service as its own container with its own volume and `keys` certificate, holding no other secret', () => {
    const keys = services['keys']!;
    expect(keys.command).toEqual(['keys']);
    const env = serviceEnv('keys');
    expect({ unknown: Object.keys(env).filter((key) => !(key in keyServiceEnvironment.shape)) }).toEqual({ unknown: [] });
    expect(Object.keys(env).filter((key) => /^(DATABASE_|REDIS_|S3_|SERVICE_KEY$|INTERNAL_CONTEXT_|AUDIT_)/.test(key))).toEqual([]);
    expect(keys.volumes).toContainEqual('keys-data:/var/lib/tessera/keys');
    expect(keys.volumes).toContainEqual({ type: 'volume', source: 'pki', target: '/run/tessera/tls', read_only: true, volume: { subpath: 'keys' } });
    const pki = services['pki']!.command!.join(' ');
    expect(pki).toContain('cp /pki/all/keys.pem /pki/keys/cert.pem');
    expect(pki).toContain('cp /pki/all/keys-key.pem /pki/keys/key.pem');
    const config = readKeyServiceEnvironment({ ...env, TLS_CA_FILE: 'ca.pem', TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: 'key.pem' });
    expect(config).toMatchObject({ port: 8200, host: '0.0.0.0', stateDirectory: '/var/lib/tessera/keys', keys: ['tessera'], adminClients: ['tenants'] });
    // It admits exactly the services that unwrap tenant data keys (certificate CN), and those are
    // exactly the containers configured to reach it.
    expect([...config.allowedClients].sort()).toEqual([...defaultKeyClients].sort());
    const reaching = Object.keys(services).filter((name) => 'KEY_PROVIDER_URL' in serviceEnv(name));
    expect(reaching.sort()).toEqual([...keyClients].sort());
    expect(reaching.sort()).toEqual([...config.allowedClients].sort());
    for (const name of reaching) {
      expect({ name, url: serviceEnv(name)['KEY_PROVIDER_URL'], ca: serviceEnv(name)['KEY_PROVIDER_TLS_CA_FILE'] }).toEqual({ name, url: 'https://keys:8200', ca: '/run/tessera/tls/ca.pem' });
      expect({ name, waits: services[name]!.depends_on?.['keys']?.condition }).toEqual({ name, waits: 'service_healthy' });
    }
    for (const name of ['gateway', 'metrics', 'worker', 'migrate']) expect({ name, reaches: 'KEY_PROVIDER_URL' in serviceEnv(name) }).toEqual({ name, reaches: false });
  });
});

describe('deploy/generate-env.ts', () => {
  it('redirected into a file (`> .env`, created 0644 under the usual umask), makes it readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-env-'));
    try {
      const path = join(dir, '.env');
      writeFileSync(path, '', { mode: 0o644 });
      const fd = openSync(path, 'w');
      try {
        writeEnvFile('A=\'1\'\n', fd);
      } finally {
        closeSync(fd);
      }
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toBe("A='1'\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a .env compose reads back value for value (single-quoted, literal)', async () => {
    const values = await generateEnvironment();
    expect(Object.keys(values)).toEqual([...generatedVariables]);
    const text = formatEnvFile(values);
    const parsed: Env = {};
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // Compose: a single-quoted value is everything up to the closing quote, taken literally.
      const match = /^([A-Z][A-Z0-9_]*)='([^'\n]*)'$/.exec(line);
      expect({ line: line.slice(0, 40), parsed: Boolean(match) }).toEqual({ line: line.slice(0, 40), parsed: true });
      parsed[match![1]!] = match![2]!;
    }
    expect(parsed).toEqual(values);
    expect(Object.keys(values)).not.toContain('MASTER_KEY');
    expect(JSON.parse(values.INTERNAL_CONTEXT_PUBLIC_KEY)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(JSON.parse(values.INTERNAL_CONTEXT_PUBLIC_KEY)).not.toHaveProperty('d');
    expect(JSON.parse(values.INTERNAL_CONTEXT_PRIVATE_KEY)).toHaveProperty('d');
    // The database URLs embed the passwords: nothing in them may need URL-encoding.
    for (const name of generatedVariables.filter((n) => /^MYSQL_.*PASSWORD$/.test(n))) expect({ name, value: values[name] }).toEqual({ name, value: expect.stringMatching(/^[0-9a-f]{32,}$/) });
    expect(values.MYSQL_ADMIN_PASSWORD).toMatch(/^[0-9a-f]{32,}$/);
    expect(JSON.parse(values.AUDIT_SIGNING_KEY)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) });
    expect(serviceEnv('audit')['AUDIT_SIGNING_KEY']).toMatch(/^\$\{AUDIT_SIGNING_KEY:\?/);
    for (const name of subgraphNames.filter((n) => n !== 'audit')) expect(serviceEnv(name)['AUDIT_SIGNING_KEY']).toBeUndefined();
    // MinIO's limits on root credentials.
    expect(values.S3_ACCESS_KEY.length).toBeGreaterThanOrEqual(3);
    expect(values.S3_SECRET_KEY.length).toBeGreaterThanOrEqual(8);
    expect(values.S3_SECRET_KEY.length).toBeLessThanOrEqual(40);
    const again = await generateEnvironment();
    for (const name of generatedVariables) expect({ name, same: again[name] === values[name] }).toEqual({ name, same: false });
  });

  it('gives each port owner the keys of exactly the services the catalog says call it (their own SERVICE_KEYs), and each caller the URL of every owner it calls', async () => {
    const values = await generateEnvironment();
    const ports = Object.fromEntries(subgraphNames.map((name) => [name, readSubgraphEnvironment(name, resolvedEnv(name, values)).ports])) as Record<SubgraphName, ReturnType<typeof readSubgraphEnvironment>['ports']>;
    const publicPart = (jwk: { x?: unknown; y?: unknown } | undefined) => ({ x: jwk?.x, y: jwk?.y });
    const serviceKeys: Record<string, { x?: unknown; y?: unknown } | undefined> = {
      ...Object.fromEntries(subgraphNames.map((name) => [name, ports[name].SERVICE_KEY])),
      workers: readWorkerEnvironment(resolvedEnv('worker', values)).ports.serviceKey,
    };
    for (const owner of subgraphNames) {
      const keys = ports[owner].PORT_CALLER_KEYS ?? {};
      expect({ owner, callers: Object.keys(keys).sort() }).toEqual({ owner, callers: portCallersOf(owner).sort() });
      for (const caller of portCallersOf(owner)) expect({ owner, caller, key: publicPart(keys[caller]) }).toEqual({ owner, caller, key: publicPart(serviceKeys[caller]) });
    }
    for (const caller of subgraphNames) {
      const urls = Object.entries(ports[caller]).filter(([key, value]) => key.endsWith('_PORT_URL') && value !== undefined);
      expect({ caller, urls: urls.map(([key]) => key).sort() }).toEqual({ caller, urls: portsCalledBy[caller].map((owner) => `${owner.toUpperCase()}_PORT_URL`).sort() });
      for (const owner of portsCalledBy[caller]) {
        const url = new URL(String(ports[caller][`${owner.toUpperCase()}_PORT_URL` as keyof (typeof ports)[typeof caller]]));
        expect({ caller, owner, url: `${url.protocol}//${url.host}` }).toEqual({ caller, owner, url: `https://${owner}:${serviceEnv(owner)['PORT']}` });
      }
    }
    expect(portCallersOf('audit').sort()).toEqual(['metrics', 'tenants']);
  });

  it('refuses a value a single-quoted .env line cannot carry', () => {
    expect(() => formatEnvFile({ A: "it's" })).toThrow(/A:/);
    expect(() => formatEnvFile({ B: 'two\nlines' })).toThrow(/B:/);
  });

  it('yields an environment the gateway and every subgraph parse, with a matching internal-context key pair', async () => {
    const values = await generateEnvironment();
    const gateway = readGatewayEnvironment(resolvedEnv('gateway', values));
    expect(gateway.gateway.port).toBe(4000);
    expect(gateway.gateway.host).toBe('0.0.0.0');
    expect(gateway.gateway.publicUrl).toBe('https://localhost:4000');
    expect(gateway.gateway.oidc).toMatchObject({ issuerUrl: 'https://keycloak:8443/realms/tessera', audience: 'tessera-api', tenantClaim: 'tenant', rolesClaim: 'realm_access.roles', tlsCa: ensureLocalPki().ca });
    expect(gateway.gateway.subgraphs).toEqual(subgraphNames.map((name, index) => ({ name, url: `https://${name}:${4001 + index}/graphql` })));
    expect(gateway.tls).toEqual({ files: { caFile: '/run/tessera/tls/ca.pem', certFile: '/run/tessera/tls/cert.pem', keyFile: '/run/tessera/tls/key.pem' }, publicFiles: undefined });
    expect(gateway.database.url).toBe(`mysql://tessera_gateway:${values.MYSQL_GATEWAY_PASSWORD}@mysql:3306`);
    expect(gateway.telemetry).toMatchObject({ exporter: 'otlp', otlpEndpoint: 'https://jaeger:4318', otlpCaFile: '/run/tessera/tls/ca.pem' });

    // The compose certificates live in the containers; the local CA's gateway certificate stands in for the binding.
    const clientCertificate = ensureLocalPki().identity('gateway').cert;
    const sign = await createInternalContextSigner(gateway.gateway.internalContextPrivateKey, { clientCertificate });
    for (const [index, name] of subgraphNames.entries()) {
      const subgraph = readSubgraphEnvironment(name, resolvedEnv(name, values));
      expect({ name, port: subgraph.port, host: subgraph.host }).toEqual({ name, port: 4001 + index, host: '0.0.0.0' });
      if (name === 'metrics') {
        expect({ name, keyProvider: subgraph.runtime.keyProvider, objectStore: subgraph.runtime.objectStore }).toEqual({ name, keyProvider: undefined, objectStore: undefined });
      } else if (name === 'jobs') {
        // It seals job results: the key provider, and still no object-store credentials.
        expect({ name, keyProvider: subgraph.runtime.keyProvider, objectStore: subgraph.runtime.objectStore }).toEqual({
          name,
          keyProvider: { url: 'https://keys:8200', keyName: 'tessera', mount: 'transit', tlsCa: ensureLocalPki().ca, token: undefined, auth: { method: 'token', token: undefined } },
          objectStore: undefined,
        });
      } else {
        expect(subgraph.runtime.keyProvider).toEqual({ url: 'https://keys:8200', keyName: 'tessera', mount: 'transit', tlsCa: ensureLocalPki().ca, token: undefined, auth: { method: 'token', token: undefined } });
        expect(subgraph.runtime.objectStore).toMatchObject({ endpoint: 'https://minio:9000', accessKey: values.S3_ACCESS_KEY, secretKey: values.S3_SECRET_KEY, tlsCaFile: ensureLocalPki().caFile });
      }
      expect({ name, signs: subgraph.auditChain?.signingKey !== undefined }).toEqual({ name, signs: name === 'audit' });
      const verify = await createInternalContextVerifier(subgraph.runtime.internalContextPublicKey, { audience: name });
      const token = await sign({ kind: 'gateway', requestId: 'compose-test-request' }, name);
      await expect(verify(token, { peerCertificateThumbprint: certificateThumbprint(clientCertificate) })).resolves.toEqual({ kind: 'gateway', requestId: 'compose-test-request' });
    }
  });
});

describe('deploy/keycloak/tessera-realm.json', () => {
  interface Mapper {
    name: string;
    protocolMapper: string;
    config: Record<string, string>;
  }
  interface Client {
    clientId: string;
    publicClient: boolean;
    secret?: string;
    standardFlowEnabled: boolean;
    redirectUris?: string[];
    attributes?: Record<string, string>;
    defaultClientScopes: string[];
    protocolMappers: Mapper[];
  }
  interface User {
    username: string;
    email?: string;
    firstName?: string;
    lastName?: string;
    attributes?: Record<string, string[]>;
    realmRoles: string[];
    requiredActions?: string[];
    credentials: Array<{ type: string; value: string; temporary: boolean }>;
  }
  const realmText = read('deploy/keycloak/tessera-realm.json');
  const realm = JSON.parse(realmText) as {
    realm: string;
    roles: { realm: Array<{ name: string }> };
    clientScopes?: unknown;
    clients: Client[];
    users: User[];
    components: Record<string, Array<{ providerId: string; config: Record<string, string[]> }>>;
  };
  const gatewayEnv = serviceEnv('gateway');
  const client = (id: string) => {
    const found = realm.clients.find((c) => c.clientId === id);
    if (!found) throw new Error(`no client ${id}`);
    return found;
  };

  it('defines realm tessera with exactly the platform roles', () => {
    expect(realm.realm).toBe('tessera');
    expect(realm.roles.realm.map((role) => role.name).sort()).toEqual([...allRoles].sort());
  });

  it('keeps the built-in client scopes: declaring any clientScopes would drop basic (sub) and roles (realm_access.roles)', () => {
    expect(realm.clientScopes).toBeUndefined();
    for (const c of realm.clients) expect(c.defaultClientScopes).toEqual(expect.arrayContaining(['basic', 'roles']));
    expect(gatewayEnv['OIDC_ROLES_CLAIM']).toBe('realm_access.roles');
  });

  it('puts the tenant claim and the API audience in the access tokens of every client', () => {
    expect(realm.clients.map((c) => c.clientId).sort()).toEqual(['tessera-api', 'tessera-web']);
    for (const c of realm.clients) {
      const tenant = c.protocolMappers.find((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper');
      expect(tenant?.config).toMatchObject({ 'user.attribute': 'tenant', 'claim.name': gatewayEnv['OIDC_TENANT_CLAIM'], 'access.token.claim': 'true', 'jsonType.label': 'String' });
      const audience = c.protocolMappers.find((m) => m.protocolMapper === 'oidc-audience-mapper');
      expect(audience?.config).toMatchObject({ 'included.client.audience': gatewayEnv['OIDC_AUDIENCE'], 'access.token.claim': 'true' });
    }
  });

  it('has a confidential API client and a public PKCE web client for localhost:3000', () => {
    const api = client('tessera-api');
    expect(api.publicClient).toBe(false);
    expect(api.secret).toBe('${TESSERA_API_CLIENT_SECRET}');
    const web = client('tessera-web');
    expect(web.publicClient).toBe(true);
    expect(web.standardFlowEnabled).toBe(true);
    expect(web.redirectUris).toEqual(['http://localhost:3000/*']);
    expect(web.attributes?.['pkce.code.challenge.method']).toBe('S256');
  });

  it('declares tenant in the user profile, editable by administrators only (else Keycloak 24+ drops it, or users pick their tenant)', () => {
    const provider = realm.components['org.keycloak.userprofile.UserProfileProvider']?.[0];
    expect(provider?.providerId).toBe('declarative-user-profile');
    const profile = JSON.parse(provider!.config['kc.user.profile.config']![0]!) as { attributes: Array<{ name: string; permissions: { edit: string[] } }> };
    expect(profile.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['username', 'email', 'firstName', 'lastName', 'tenant']));
    expect(profile.attributes.find((a) => a.name === 'tenant')?.permissions.edit).toEqual(['admin']);
  });

  it('has acme users for each tenant role and a platform admin without a tenant, none stopped by a required action', () => {
    const acme = realm.users.filter((user) => user.attributes?.['tenant']?.[0] === 'acme');
    expect(acme.flatMap((user) => user.realmRoles).sort()).toEqual([...tenantRoles].sort());
    assertTenantId('acme');
    const platformAdmins = realm.users.filter((user) => user.realmRoles.includes('platform_admin'));
    expect(platformAdmins).toHaveLength(1);
    expect(platformAdmins[0]!.attributes?.['tenant']).toBeUndefined();
    for (const user of realm.users) {
      // A missing email/first/last name triggers VERIFY_PROFILE, which blocks the password grant.
      expect({ user: user.username, complete: Boolean(user.email && user.firstName && user.lastName), actions: user.requiredActions ?? [] }).toEqual({ user: user.username, complete: true, actions: [] });
      expect(user.credentials).toEqual([{ type: 'password', value: '${TESSERA_DEMO_PASSWORD}', temporary: false }]);
    }
  });

  it('takes every ${NAME} placeholder from a variable compose passes to Keycloak', () => {
    const placeholders = [...new Set([...realmText.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!))];
    expect(placeholders.sort()).toEqual(['TESSERA_API_CLIENT_SECRET', 'TESSERA_DEMO_PASSWORD']);
    const keycloak = serviceEnv('keycloak');
    for (const name of placeholders) expect(keycloak[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('copies every workspace manifest before npm ci, with the .npmrc that skips the CUDA download', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const dirs = workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((entry) => entry.isDirectory() && existsSync(join(root, pattern.slice(0, -2), entry.name, 'package.json')))
            .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
        : [pattern],
    );
    expect(dirs.length).toBeGreaterThan(15);
    const npmCi = dockerfile.indexOf('RUN npm ci');
    expect(npmCi).toBeGreaterThan(0);
    for (const dir of dirs) {
      const copy = dockerfile.indexOf(`COPY ${dir}/package.json ${dir}/\n`);
      expect({ dir, copiedBeforeNpmCi: copy > 0 && copy < npmCi }).toEqual({ dir, copiedBeforeNpmCi: true });
    }
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.npmrc \.\/$/m);
    expect(read('.npmrc')).toContain('onnxruntime-node-install-cuda=skip');
  });

  /** The Dockerfile's stages: name and instruction lines (continuations joined, comments dropped). */
  const stages = (() => {
    const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    const out: Array<{ from: string; name: string | undefined; lines: string[] }> = [];
    for (const line of lines) {
      const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
      if (from) out.push({ from: from[1]!, name: from[2], lines: [] });
      else out.at(-1)?.lines.push(line);
    }
    return out;
  })();
  const runtime = stages.at(-1)!;
  const instruction = (stage: { lines: string[] }, name: string) => stage.lines.filter((line) => line.startsWith(`${name} `));
  const execForm = (line: string) => JSON.parse(line.slice(line.indexOf(' ') + 1)) as string[];

  it('builds in stages on node:20-bookworm-slim: manifests, build (every dependency, npm run build), runtime', () => {
    expect(stages.map((stage) => [stage.from, stage.name])).toEqual([
      ['node:20-bookworm-slim', 'manifests'],
      ['node:20-bookworm-slim', 'build'],
      ['node:20-bookworm-slim', 'runtime'],
    ]);
    const build = stages[1]!;
    expect(instruction(build, 'RUN').some((line) => /npm ci(?! [^&]*--omit=dev)/.test(line))).toBe(true);
    expect(instruction(build, 'RUN').join(' ')).toMatch(/npm run build:image/);
    // TypeScript 7's compiler by its path: \`typescript\` 5.9 installs a \`tsc\` too, and which of the two
    // npm links into node_modules/.bin is not fixed.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build:image']).toMatch(/^node node_modules\/typescript-7\/bin\/tsc -b platform && /);
    expect(scripts['build']).toMatch(/^node node_modules\/typescript-7\/bin\/tsc -b && /);
  });

  it('runtime stage: production dependencies only, the compiled JavaScript, no sources, no tsx', () => {
    const runs = instruction(runtime, 'RUN');
    expect(runs.some((line) => /npm ci\b.*--omit=dev/.test(line))).toBe(true);
    // Optional peers of production packages (typeorm's ts-node, hence typescript) would come back without it.
    expect(runs.some((line) => /npm ci\b.*--omit=optional/.test(line))).toBe(true);
    // The development harness's manifests are removed before that install, so none of its packages is.
    const install = runs.find((line) => /npm ci\b/.test(line))!;
    expect(install).toMatch(/^RUN rm -r testing packages\/local-infra packages\/dev-issuer console +&& npm ci /);
    expect(runs.filter((line) => /npm (ci|install|i)\b/.test(line) && !/--omit=dev/.test(line))).toEqual([]);
    // Nothing from the build context: only the manifests and the build stage's compiled tree.
    expect(instruction(runtime, 'COPY').map((line) => line.replace(/\s+/g, ' '))).toEqual(['COPY --from=manifests /app/ ./', 'COPY --from=build /out/ ./']);
    expect(instruction(runtime, 'ADD')).toEqual([]);
    expect(runtime.lines.join('\n')).not.toMatch(/\btsx\b|ts-node|typescript/);
    expect(instruction(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    // What /out holds: each shipped workspace's dist/src, without declarations or the dev harness.
    const gather = instruction(stages[1]!, 'RUN').join(' ');
    expect(gather).toMatch(/cp -R "\$dir\/dist\/src" "\/out\/\$dir\/dist\/src"/);
    expect(gather).toMatch(/find \/out -name '\*\.d\.ts' -delete/);
  });

  it('ships every workspace the platform needs at run time, and not the development harness', () => {
    const gather = instruction(stages[1]!, 'RUN').join(' ');
    const loop = /for dir in ([^;]+); do/.exec(gather)![1]!.trim().split(/\s+/);
    const skipped = /case "\$dir" in ([^)]+)\)/.exec(gather)![1]!.split('|');
    const shipped = (folder: string) => !skipped.includes(folder) && loop.some((pattern) => (pattern.endsWith('/*') ? folder.startsWith(pattern.slice(0, -1)) && !folder.slice(pattern.length - 1).includes('/') : folder === pattern));
    const manifests = new Map<string, { folder: string; dependencies: Record<string, string> }>();
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces.flatMap((pattern) =>
      pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
    );
    for (const folder of workspaces.filter((candidate) => existsSync(join(root, candidate, 'package.json')))) {
      const manifest = JSON.parse(read(`${folder}/package.json`)) as { name: string; dependencies?: Record<string, string> };
      manifests.set(manifest.name, { folder, dependencies: manifest.dependencies ?? {} });
    }
    // Everything @tessera/platform reaches through `dependencies` (what `tessera <service>` loads).
    const needed = new Set<string>();
    const visit = (name: string) => {
      if (needed.has(name) || !manifests.has(name)) return;
      needed.add(name);
      for (const dependency of Object.keys(manifests.get(name)!.dependencies)) visit(dependency);
    };
    visit('@tessera/platform');
    expect(needed.size).toBeGreaterThan(20);
    for (const name of needed) expect({ name, shipped: shipped(manifests.get(name)!.folder) }).toEqual({ name, shipped: true });
    for (const harness of ['@tessera/testing', '@tessera/local-infra', '@tessera/dev-issuer']) {
      expect({ harness, needed: needed.has(harness), shipped: shipped(manifests.get(harness)!.folder) }).toEqual({ harness, needed: false, shipped: false });
    }
  });

  it('runs plain node on the compiled entry as a numeric non-root user; the command is the service', () => {
    const users = instruction(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.slice('USER '.length).split(':');
    expect(uid).toMatch(/^[1-9]\d*$/);
    expect(gid ?? '1').toMatch(/^[1-9]\d*$/);
    const entrypoint = execForm(instruction(runtime, 'ENTRYPOINT')[0]!);
    expect(entrypoint).toEqual(['node', '--conditions=tessera-compiled', 'platform/dist/src/main.js']);
    expect(execForm(instruction(runtime, 'CMD')[0]!)).toEqual(['gateway']);
    // The entry is what tsc emits for platform/src/main.ts (outDir dist, rootDir the package).
    const platformTsconfig = JSON.parse(read('platform/tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(platformTsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(existsSync(join(root, 'platform/src/main.ts'))).toBe(true);
    // The condition is the one every workspace's exports map to dist/.
    const platformExports = (JSON.parse(read('platform/package.json')) as { exports: Record<string, Record<string, string>> }).exports;
    expect(platformExports['./main']).toEqual({ 'tessera-compiled': './dist/src/main.js', default: './src/main.ts' });
  });

  it('makes the key service\'s state directory (its volume) the service user\'s, and nothing else writable', () => {
    const uid = instruction(runtime, 'USER')[0]!.slice('USER '.length);
    expect(instruction(runtime, 'RUN').join(' ')).toContain(`chown ${uid} /var/lib/tessera/keys`);
  });
});

describe('docker-compose.yml: the compiled image, limits and hardening', () => {
  const platformContainers = [...platformServices, 'worker', 'migrate', 'keys'];
  const serviceCommands = ['gateway', 'worker', 'migrate', 'keys', ...subgraphNames];
  const imageUser = /^USER (\S+)$/m.exec(read('Dockerfile'))![1]!;
  const pkiSubpath = (service: Service) =>
    (service.volumes ?? []).flatMap((volume) => (typeof volume === 'object' && volume.source === 'pki' ? [volume.volume?.subpath] : []));

  it('runs every platform container from the compiled image: the command is the service name, nothing runs TypeScript', () => {
    for (const name of platformContainers) {
      const service = services[name]!;
      expect({ name, image: service.image, build: service.build, entrypoint: service.entrypoint }).toEqual({ name, image: 'tessera-platform:local', build: '.', entrypoint: undefined });
      expect({ name, command: service.command }).toEqual({ name, command: [expect.stringMatching(new RegExp(`^(${serviceCommands.join('|')})$`))] });
    }
    for (const [name, service] of Object.entries(services)) {
      const run = [...(service.entrypoint ?? []), ...(service.command ?? []), ...(service.healthcheck?.test ?? [])].join(' ');
      expect({ name, typescript: /\btsx\b|\bnpx\b|\bnpm\b|\.ts\b/.test(run) }).toEqual({ name, typescript: false });
    }
  });

  it('gives every container a CPU and a memory limit', () => {
    for (const [name, service] of Object.entries(services)) {
      const limits = service.deploy?.resources?.limits;
      expect({ name, cpus: Number(limits?.cpus) > 0, memory: /^\d+(\.\d+)?[KMG]$/.test(String(limits?.memory)) }).toEqual({ name, cpus: true, memory: true });
    }
  });

  it('lets the models, worker and datasets containers use more memory than the bounds the code enforces, so those refuse work before the kernel kills the container', () => {
    const floors: Array<[string, number]> = [
      ['models', modelsMemoryFloorBytes(serviceEnv('models'))],
      ['worker', workerMemoryFloorBytes(serviceEnv('worker'))],
      ['datasets', datasetsMemoryFloorBytes(serviceEnv('datasets'))],
    ];
    for (const [name, floor] of floors) {
      const limit = composeBytes(String(services[name]!.deploy?.resources?.limits?.memory));
      expect({ name, limit: limit >= floor, floorMiB: floor / 2 ** 20 }).toEqual({ name, limit: true, floorMiB: floor / 2 ** 20 });
    }
  });

  it('runs the platform containers as the image\'s numeric non-root user, read-only, /tmp a tmpfs, without capabilities', () => {
    expect(imageUser).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    for (const name of platformContainers) {
      const service = services[name]!;
      expect({ name, user: service.user, readOnly: service.read_only, capDrop: service.cap_drop }).toEqual({ name, user: imageUser, readOnly: true, capDrop: ['ALL'] });
      expect({ name, tmp: (service.tmpfs ?? []).some((mount) => /^\/tmp(:|$)/.test(mount)) }).toEqual({ name, tmp: true });
      expect({ name, noNewPrivileges: service.security_opt ?? [] }).toEqual({ name, noNewPrivileges: expect.arrayContaining(['no-new-privileges:true']) });
      // Writable beyond /tmp: the key service's own volume, the datasets service's upload spool, the models service's prediction log, and nothing else.
      const writable = (service.volumes ?? []).filter((volume) => (typeof volume === 'string' ? !volume.endsWith(':ro') : volume.read_only !== true));
      const own: Record<string, string[]> = { keys: ['keys-data:/var/lib/tessera/keys'], datasets: ['csv-spool:/var/spool/tessera-csv'], models: ['prediction-log:/var/lib/tessera/prediction-log'] };
      expect({ name, writable }).toEqual({ name, writable: own[name] ?? [] });
    }
  });

  // Where a third-party image cannot run otherwise, and why. Listed so that a new container cannot
  // silently skip the rule; an entry that is no longer needed fails the test below.
  const mustRunAsRoot: Record<string, string> = {
    pki: 'hands each folder of the pki volume to the uid of its one reader (chown needs root); one-shot, before everything',
    minio: 'the image writes its data and configuration as root; its volume starts root-owned',
  };
  const needsWritableRoot: Record<string, string> = {
    pki: 'installs openssl with apk at start',
    minio: 'writes its configuration under the home directory',
    keycloak: 'start-dev rebuilds the server into /opt/keycloak and keeps its H2 database there',
  };

  it('runs the other containers as non-root users on read-only roots too, except the listed ones', () => {
    for (const [name, service] of Object.entries(services)) {
      if (platformContainers.includes(name)) continue;
      const uid = service.user?.split(':')[0];
      const nonRoot = uid !== undefined && /^\d+$/.test(uid) && uid !== '0';
      expect({ name, nonRoot }).toEqual({ name, nonRoot: !(name in mustRunAsRoot) });
      expect({ name, readOnly: service.read_only === true }).toEqual({ name, readOnly: !(name in needsWritableRoot) });
      if (service.read_only) expect({ name, tmpfs: (service.tmpfs ?? []).length > 0 }).toEqual({ name, tmpfs: true });
    }
  });

  it('gives each platform container its own database account, Redis user and certificate, shared with no other', () => {
    const accountOf = (name: string) => {
      const env = serviceEnv(name);
      return {
        database: env['DATABASE_URL'] ? new URL(env['DATABASE_URL'].replace(/\$\{[^}]+\}/g, 'x')).username : undefined,
        redis: env['REDIS_URL'] ? new URL(env['REDIS_URL'].replace(/\$\{[^}]+\}/g, 'x')).username : undefined,
        pki: pkiSubpath(services[name]!),
      };
    };
    const expected: Record<string, { database: string | undefined; redis: string | undefined; pki: string[] }> = {
      gateway: { database: 'tessera_gateway', redis: 'tessera-gateway', pki: ['gateway'] },
      ...Object.fromEntries(subgraphNames.map((name) => [name, { database: `tessera_${name}`, redis: `tessera-${name}`, pki: [name] }])),
      worker: { database: 'tessera_workers', redis: 'tessera-worker', pki: ['workers'] },
      keys: { database: undefined, redis: undefined, pki: ['keys'] },
      // The migrator's account is DATABASE_ADMIN_URL (checked above); it needs the CA alone.
      migrate: { database: undefined, redis: undefined, pki: ['ca'] },
    };
    expect(Object.fromEntries(platformContainers.map((name) => [name, accountOf(name)]))).toEqual(expected);
  });

  it('runs every internal hop over TLS: no http:// address in any platform container, Jaeger takes OTLP over TLS', () => {
    for (const name of platformContainers) {
      for (const [key, value] of Object.entries(serviceEnv(name))) expect({ name, key, plain: /\bhttp:\/\//.test(value) }).toEqual({ name, key, plain: false });
    }
    const jaeger = serviceEnv('jaeger');
    expect(jaeger).toMatchObject({ COLLECTOR_OTLP_HTTP_TLS_ENABLED: 'true', COLLECTOR_OTLP_HTTP_TLS_CERT: '/run/tessera/tls/cert.pem', COLLECTOR_OTLP_HTTP_TLS_KEY: '/run/tessera/tls/key.pem' });
    expect(pkiSubpath(services['jaeger']!)).toEqual(['jaeger']);
    expect(services['jaeger']!.depends_on?.['pki']?.condition).toBe('service_completed_successfully');
    const pki = services['pki']!.command!.join(' ');
    expect(pki).toContain('cp /pki/all/jaeger.pem /pki/jaeger/cert.pem');
    expect(pki).toContain('cp /pki/all/jaeger-key.pem /pki/jaeger/key.pem');
    expect(pki).toContain(`chown -R ${services['jaeger']!.user} /pki/jaeger`);
    expect(new X509Certificate(ensureLocalPki().identity('jaeger').cert).subjectAltName).toContain('DNS:jaeger');
  });
});
