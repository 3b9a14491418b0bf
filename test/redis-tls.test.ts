/**
 * Redis over TLS, as scripts/local-redis.sh sets it up, against throwaway redis-servers on free
 * ports with their own CA (the shared development Redis is never touched): a Redis of an earlier
 * run without TLS is restarted TLS-only with its data and its ACL; then plaintext is refused, a
 * client that does not trust the CA is refused, and a service's user works over TLS.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, redisConnectionOptions, redisVariables, toRedisConfig, type RedisConfig } from '@tessera/config';
import { devRedisPassword, redisAdminUser, redisConfigAs, redisServices, serviceAcl } from '@tessera/redis-acl';
import { workerProcessEnvironment } from '@tessera/workers';

const run = promisify(execFile);
const script = join(__dirname, '..', 'scripts', 'local-redis.sh');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let dir: string;
let plainPort: number;
let tlsPort: number;
let caFile: string;
let base: RedisConfig;
let scriptEnv: NodeJS.ProcessEnv;
const opened: Redis[] = [];

/** One connection attempt, no retries: what a refusal looks like is the error of `connect()`. */
function client(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000, ...options });
  redis.on('error', () => undefined);
  opened.push(redis);
  return redis;
}

/**
 * Why a connection failed: ioredis reports the cause (TLS handshake, AUTH) as an 'error' event
 * and rejects the call itself with "Connection is closed".
 */
async function refusal(redis: Redis): Promise<string> {
  const reasons: string[] = [];
  redis.on('error', (error: Error) => reasons.push(error.message));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    reasons.push(error instanceof Error ? error.message : String(error));
    return reasons.join('; ');
  }
  return 'accepted';
}

const admin = (): RedisConfig => redisConfigAs(base, redisAdminUser, devRedisPassword(redisAdminUser));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-redis-tls-'));
  [plainPort, tlsPort] = [await freePort(), await freePort()];
  // The dev-only default passwords, whatever this shell has set.
  scriptEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^REDIS_.*PASSWORD/.test(name)));
  Object.assign(scriptEnv, {
    TESSERA_REDIS_PORT: String(plainPort),
    TESSERA_REDIS_TLS_PORT: String(tlsPort),
    TESSERA_REDIS_ACL_FILE: join(dir, 'users.acl'),
    TESSERA_PKI_DIR: join(dir, 'pki'),
  });
  caFile = join(dir, 'pki', 'ca.pem');

  // A Redis as an earlier run left it: plaintext, password-less default user, data in its AOF.
  const old = spawn('redis-server', ['--daemonize', 'yes', '--port', String(plainPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' });
  await new Promise((resolve) => old.once('exit', resolve));
  for (let i = 0; i < 50 && !(await listening(plainPort)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const before = client(`redis://127.0.0.1:${plainPort}`);
  await before.connect();
  await before.set('tessera:kept-across-restart', 'yes');
  before.disconnect();

  await run('bash', [script], { env: scriptEnv });
  base = { url: `rediss://127.0.0.1:${tlsPort}`, keyPrefix: 'tessera', tlsCaFile: caFile };
}, 60_000);

afterAll(async () => {
  for (const redis of opened) redis.disconnect();
  const shutdown = client(admin().url, redisConnectionOptions(admin()));
  await shutdown.connect().then(() => shutdown.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined);
  shutdown.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('local-redis.sh: a Redis without TLS is restarted TLS-only', () => {
  it('no plaintext listener is left, and the data and the ACL came through', async () => {
    expect(await listening(plainPort)).toBe(false);
    const redis = client(admin().url, redisConnectionOptions(admin()));
    await redis.connect();
    expect(await redis.get('tessera:kept-across-restart')).toBe('yes');
    expect(await redis.config('GET', 'port')).toEqual(['port', '0']);
    expect(await redis.config('GET', 'tls-auth-clients')).toEqual(['tls-auth-clients', 'no']);
    // The default user is off: TLS adds to the ACL, it does not replace it.
    expect(await refusal(client(base.url, redisConnectionOptions(base)))).toMatch(/NOAUTH/);
  });

  it('is idempotent: a second run keeps the same server', async () => {
    const redis = client(admin().url, redisConnectionOptions(admin()));
    await redis.connect();
    const before = (await redis.info('server')).match(/run_id:(\w+)/)?.[1];
    await run('bash', [script], { env: scriptEnv });
    expect((await redis.info('server')).match(/run_id:(\w+)/)?.[1]).toBe(before);
  });
});

describe('Redis over TLS', () => {
  it('refuses a plaintext client on the TLS port', async () => {
    const plain = client(`redis://${redisAdminUser}:${devRedisPassword(redisAdminUser)}@127.0.0.1:${tlsPort}`);
    expect(await refusal(plain)).not.toBe('accepted');
  });

  it('is refused by a client that does not trust the local CA', async () => {
    // An explicit CA list (the public roots): the Redis certificate does not chain to any of them.
    const untrusting = client(admin().url, { tls: { ca: [...rootCertificates] } });
    expect(await refusal(untrusting)).toMatch(/certificate/i);
  });

  it('carries a service user over TLS, to the server named in the certificate', async () => {
    const { user } = serviceAcl('tessera', 'gateway');
    const gateway = redisConfigAs(base, user, devRedisPassword(user));
    const redis = client(gateway.url, redisConnectionOptions(gateway));
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    // Its own work: a rate-limit counter under its prefix.
    expect(await redis.incrby('tessera:ratelimit:tenant:acme-corp:test', 3)).toBe(3);
    const socket = redis.stream as TLSSocket;
    expect(socket.encrypted).toBe(true);
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerCertificate().subject.CN).toBe('redis');
    expect(await redis.call('ACL', 'WHOAMI').catch((error: Error) => error.message)).toMatch(/NOPERM/);
  });

  it('still refuses a wrong password over TLS', async () => {
    const { user } = serviceAcl('tessera', 'models');
    const wrong = redisConfigAs(base, user, 'not-the-password');
    expect(await refusal(client(wrong.url, redisConnectionOptions(wrong)))).toMatch(/WRONGPASS/);
  });

  it('every service user of the ACL logs in over TLS', async () => {
    for (const service of redisServices) {
      const { user } = serviceAcl('tessera', service);
      const config = redisConfigAs(base, user, devRedisPassword(user));
      const redis = client(config.url, redisConnectionOptions(config));
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
    }
  });
});

describe('REDIS_TLS_CA_FILE', () => {
  const parse = (env: Record<string, string>) => toRedisConfig(redisVariables.parse(env));

  it('is read once and given to every client as its only CA', () => {
    const config = parse({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}`, REDIS_TLS_CA_FILE: caFile });
    expect(config.tlsCaFile).toBe(caFile);
    expect(redisConnectionOptions(config)).toEqual({ tls: { ca: readFileSync(caFile, 'utf8') } });
  });

  it('is refused with a plaintext redis:// URL, or when it cannot be read', () => {
    expect(() => parse({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_TLS_CA_FILE: caFile })).toThrow(ConfigError);
    const missing = parse({ REDIS_URL: 'rediss://127.0.0.1:6380', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') });
    expect(() => redisConnectionOptions(missing)).toThrow(/REDIS_TLS_CA_FILE: cannot read/);
  });

  it('reaches worker child processes, with the URL of their own user', () => {
    const { user } = serviceAcl('tessera', 'worker');
    const redis = redisConfigAs(base, user, devRedisPassword(user));
    const env = workerProcessEnvironment({
      database: { url: 'mysql://w:p@127.0.0.1:3306', controlSchema: 'tessera_control', poolSize: 4, tlsCa: undefined },
      redis,
      ports: { serviceKey: { kty: 'EC' }, jobsUrl: 'https://127.0.0.1:1', datasetsUrl: 'https://127.0.0.1:2', modelsUrl: 'https://127.0.0.1:3' },
      tls: { caFile: caFile, certFile: caFile, keyFile: caFile },
    });
    expect(toRedisConfig(redisVariables.parse(env))).toEqual(redis);
  });
});
