/**
 * docker-compose.yml, the Dockerfile and deploy/ checked against the code they run: no Docker
 * engine here, so this is what stands between a typo and a stack that does not start.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { allRoles, createInternalContextSigner, createInternalContextVerifier, tenantRoles } from '@tessera/auth';
import { gatewayEnvironment, readGatewayEnvironment, readSubgraphEnvironment, subgraphEnvironment, subgraphNames } from '@tessera/platform';
import { assertTenantId } from '@tessera/tenancy';
import { readWorkerEnvironment, workerEnvironment } from '@tessera/workers';
import { formatEnvFile, generateEnvironment, generatedVariables } from '../deploy/generate-env';

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
  volumes?: string[];
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

function resolvedEnv(name: string, vars: Env): Env {
  return Object.fromEntries(Object.entries(serviceEnv(name)).map(([key, value]) => [key, interpolate(value, vars)]));
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

const isSecretName = (name: string) => /KEY|SECRET|PASSWORD|TOKEN/i.test(name);
const onlyReference = /^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$/;

describe('docker-compose.yml: platform services', () => {
  it('runs the gateway and every subgraph as its own container from the one image, with `tessera <service>`', () => {
    expect(platformServices).toHaveLength(7);
    for (const name of platformServices) {
      const service = services[name];
      expect(service).toBeDefined();
      expect(service!.command).toEqual(['tsx', 'platform/src/main.ts', name]);
      expect(service!.init).toBe(true);
      expect(service!.build).toBe('.');
      expect(service!.image).toBe('tessera-platform:local');
      expect(service!.healthcheck?.test.join(' ')).toContain('/_readiness');
    }
  });

  it('gives each service every variable its schema requires, and no variable the schema does not know', () => {
    const gatewayRequired = requiredKeys(gatewayEnvironment);
    const subgraphRequired = requiredKeys(subgraphEnvironment);
    // Guards the helper itself: these have no default in environment.ts.
    expect(gatewayRequired).toEqual(expect.arrayContaining(['OIDC_ISSUER_URL', 'OIDC_AUDIENCE', 'INTERNAL_CONTEXT_PRIVATE_KEY', 'DATASETS_URL', 'TENANTS_URL']));
    expect(subgraphRequired).toEqual(expect.arrayContaining(['MASTER_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'INTERNAL_CONTEXT_PUBLIC_KEY']));
    expect(gatewayRequired).not.toContain('GATEWAY_PORT');

    const check = (name: string, schema: z.ZodObject, required: string[]) => {
      const keys = Object.keys(serviceEnv(name));
      expect({ service: name, missing: required.filter((key) => !keys.includes(key)) }).toEqual({ service: name, missing: [] });
      // A misspelt variable would be ignored silently and the default used instead.
      expect({ service: name, unknown: keys.filter((key) => !(key in schema.shape)) }).toEqual({ service: name, unknown: [] });
    };
    check('gateway', gatewayEnvironment, gatewayRequired);
    for (const name of subgraphNames) check(name, subgraphEnvironment, subgraphRequired);
  });

  it('binds every interface in the container, reaches MySQL, MinIO and Jaeger by service name, and overrides the localhost defaults', () => {
    for (const name of platformServices) {
      const env = serviceEnv(name);
      expect(env['LISTEN_HOST']).toBe('0.0.0.0');
      expect(new URL(env['DATABASE_URL']!.replace(/\$\{[^}]+\}/, 'x')).host).toBe('mysql:3306');
      expect(env['TRACING_EXPORTER']).toBe('otlp');
      expect(env['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
      if (name !== 'gateway') expect(env['S3_ENDPOINT']).toBe('http://minio:9000');
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
    expect(env['OIDC_ISSUER_URL']).toBe('http://keycloak:8080/realms/tessera');
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

  it('escapes $ in healthcheck commands, so compose leaves them for the container shell', () => {
    const commands = Object.values(services).flatMap((service) => service.healthcheck?.test ?? []);
    expect(commands.some((part) => part.includes('$$'))).toBe(true);
    for (const part of commands) expect({ part, unescaped: part.replace(/\$\$/g, '').includes('$') }).toEqual({ part, unescaped: false });
  });

  it('runs MySQL 8, Redis 7 with appendonly, MinIO with its console, each with a healthcheck', () => {
    expect(services['mysql']!.image).toMatch(/^mysql:8\./);
    expect(services['redis']!.image).toMatch(/^redis:7/);
    expect(services['redis']!.command).toEqual(['redis-server', '--appendonly', 'yes']);
    expect(services['minio']!.image).toMatch(/^minio\/minio:/);
    expect(services['minio']!.command).toEqual(expect.arrayContaining(['--console-address', ':9001']));
    expect(publishedPorts(services['minio']!)).toEqual(expect.arrayContaining([{ host: 9000, container: 9000 }, { host: 9001, container: 9001 }]));
    for (const name of ['mysql', 'redis', 'minio', 'keycloak']) expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(1);
  });

  it('has MySQL grant the migrator exactly the schemas the platform creates, and the service account nothing at database level', () => {
    const mysql = serviceEnv('mysql');
    const adminUrl = serviceEnv('tenants')['DATABASE_ADMIN_URL']!;
    const adminUser = /^mysql:\/\/([^:]+):/.exec(adminUrl)?.[1];
    expect(adminUser).toBe(mysql['MYSQL_USER']);
    expect(references(adminUrl).map((ref) => ref.name)).toEqual(references(mysql['MYSQL_PASSWORD']!).map((ref) => ref.name));
    // The service account: created by service-user.sh from TESSERA_DB_PASSWORD, the password in DATABASE_URL.
    const databaseUrl = serviceEnv('gateway')['DATABASE_URL']!;
    expect(/^mysql:\/\/([^:]+):/.exec(databaseUrl)?.[1]).toBe('tessera');
    expect(references(databaseUrl).map((ref) => ref.name)).toEqual(references(mysql['TESSERA_DB_PASSWORD']!).map((ref) => ref.name));
    expect(read('deploy/mysql/service-user.sh')).toMatch(/CREATE USER IF NOT EXISTS 'tessera'@'%' IDENTIFIED BY '\$\{TESSERA_DB_PASSWORD\}'/);
    expect(read('deploy/mysql/service-user.sh')).not.toMatch(/GRANT/);
    expect(serviceEnv('gateway')['DATABASE_ADMIN_URL']).toBeUndefined();
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
    for (const name of [...subgraphNames, 'worker']) {
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

describe('docker-compose.yml: job worker', () => {
  it('runs `tessera worker` from the platform image, with a readiness check on its health port', () => {
    const worker = services['worker'];
    expect(worker).toBeDefined();
    expect(worker!.command).toEqual(['tsx', 'platform/src/main.ts', 'worker']);
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

  it('parses into a worker configuration that reaches MySQL, Redis and MinIO by service name, the same key as the subgraphs', async () => {
    const values = await generateEnvironment();
    const worker = readWorkerEnvironment(resolvedEnv('worker', values));
    const jobs = readSubgraphEnvironment(resolvedEnv('jobs', values));
    expect(worker.database.url).toBe(jobs.runtime.database.url);
    expect(worker.database.controlSchema).toBe(jobs.runtime.database.controlSchema);
    expect(worker.redis).toEqual(jobs.runtime.redis);
    expect(worker.objectStore).toEqual(jobs.runtime.objectStore);
    expect(worker.masterKey.equals(jobs.runtime.masterKey)).toBe(true);
    expect(worker.healthPort).toBe(4010);
    expect(worker.host).toBe('0.0.0.0');
    expect(worker.dedicatedTenant).toBeUndefined();
  });

  it('starts after Redis, MinIO and the jobs service (which migrates the job tables) are healthy', () => {
    const depends = services['worker']!.depends_on!;
    for (const name of ['mysql', 'redis', 'minio', 'jobs']) expect({ name, condition: depends[name]?.condition }).toEqual({ name, condition: 'service_healthy' });
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
    const { MASTER_KEY: _dropped, ...withoutMasterKey } = values;
    expect(() => resolvedEnv('datasets', withoutMasterKey)).toThrow(/MASTER_KEY/);
    expect(() => resolvedEnv('datasets', { ...values, MASTER_KEY: '' })).toThrow(/MASTER_KEY/);
  });

  it('keeps .env out of git and out of the image build context', () => {
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', '**/node_modules/']));
  });
});

describe('deploy/generate-env.ts', () => {
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
    expect(Buffer.from(values.MASTER_KEY, 'base64')).toHaveLength(32);
    expect(JSON.parse(values.INTERNAL_CONTEXT_PUBLIC_KEY)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(JSON.parse(values.INTERNAL_CONTEXT_PUBLIC_KEY)).not.toHaveProperty('d');
    expect(JSON.parse(values.INTERNAL_CONTEXT_PRIVATE_KEY)).toHaveProperty('d');
    // DATABASE_URL embeds the password: nothing in it may need URL-encoding.
    expect(values.MYSQL_PASSWORD).toMatch(/^[0-9a-f]{32,}$/);
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

  it('refuses a value a single-quoted .env line cannot carry', () => {
    expect(() => formatEnvFile({ A: "it's" })).toThrow(/A:/);
    expect(() => formatEnvFile({ B: 'two\nlines' })).toThrow(/B:/);
  });

  it('yields an environment the gateway and every subgraph parse, with a matching internal-context key pair', async () => {
    const values = await generateEnvironment();
    const gateway = readGatewayEnvironment(resolvedEnv('gateway', values));
    expect(gateway.gateway.port).toBe(4000);
    expect(gateway.gateway.host).toBe('0.0.0.0');
    expect(gateway.gateway.publicUrl).toBe('http://localhost:4000');
    expect(gateway.gateway.oidc).toMatchObject({ issuerUrl: 'http://keycloak:8080/realms/tessera', audience: 'tessera-api', tenantClaim: 'tenant', rolesClaim: 'realm_access.roles' });
    expect(gateway.gateway.subgraphs).toEqual(subgraphNames.map((name, index) => ({ name, url: `http://${name}:${4001 + index}/graphql` })));
    expect(gateway.database.url).toBe(`mysql://tessera:${values.MYSQL_PASSWORD}@mysql:3306`);
    expect(gateway.telemetry).toMatchObject({ exporter: 'otlp', otlpEndpoint: 'http://jaeger:4318' });

    const sign = await createInternalContextSigner(gateway.gateway.internalContextPrivateKey);
    const token = await sign({ kind: 'gateway', requestId: 'compose-test-request' });
    for (const [index, name] of subgraphNames.entries()) {
      const subgraph = readSubgraphEnvironment(resolvedEnv(name, values));
      expect({ name, port: subgraph.port, host: subgraph.host }).toEqual({ name, port: 4001 + index, host: '0.0.0.0' });
      expect(subgraph.runtime.masterKey).toHaveLength(32);
      expect(subgraph.runtime.objectStore).toMatchObject({ endpoint: 'http://minio:9000', accessKey: values.S3_ACCESS_KEY, secretKey: values.S3_SECRET_KEY });
      const verify = await createInternalContextVerifier(subgraph.runtime.internalContextPublicKey);
      await expect(verify(token)).resolves.toEqual({ kind: 'gateway', requestId: 'compose-test-request' });
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

  it('builds on node:20-bookworm-slim and runs the gateway by default', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^CMD \["tsx", "platform\/src\/main\.ts", "gateway"\]$/m);
    // The compose commands call tsx by name: it must be on PATH in the image.
    expect(dockerfile).toMatch(/PATH=\/app\/node_modules\/\.bin:\$PATH/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
