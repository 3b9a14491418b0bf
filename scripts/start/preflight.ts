import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { databaseTlsOptions } from '@tessera/tenancy';
import type { LauncherEnvironment } from './environment';
import { exitServiceUnavailable, LaunchError } from './launch-error';
import { launcherRedisAccounts } from './redis-accounts';

const timeoutMs = 3_000;
const localServicesScript = join(__dirname, '..', 'local-services.sh');
const localRedisScript = join(__dirname, '..', 'local-redis.sh');
const installHint = 'apt-get install -y mariadb-server redis-server';

interface Endpoint {
  host: string;
  port: number;
}

type DatabaseState =
  | { state: 'ok' }
  | { state: 'unreachable'; detail: string }
  | { state: 'access-denied'; user: string; detail: string }
  | { state: 'error'; detail: string };

type RedisState = { state: 'ok' } | { state: 'unreachable'; detail: string } | { state: 'error'; detail: string };

/**
 * Makes sure MariaDB and Redis answer before anything starts. On a developer machine with the
 * default URLs, missing services are started with scripts/local-services.sh (as root); anything
 * that still fails ends the launcher with a message saying exactly what to install or set.
 */
export async function preflight(env: LauncherEnvironment, say: (line: string) => void, databaseTlsCa: string): Promise<void> {
  // The local Redis has the ACL on (no anonymous access): check that a service's user can log in.
  const redisUrl = launcherRedisAccounts(env.redisUrl, env.redisServiceUsers, 'tessera').byService?.gateway?.url ?? env.redisUrl;
  let database = await checkDatabases(env, databaseTlsCa);
  let redis = await checkRedis(redisUrl, env.redisTlsCaFile);

  const scriptCanHelp =
    (env.localDatabase && database.state === 'unreachable' && isExecutable('/usr/sbin/mariadbd')) ||
    (env.localDatabase && database.state === 'access-denied' && findCommand('mariadb') !== undefined) ||
    (env.localRedis && redis.state === 'unreachable' && findCommand('redis-server') !== undefined) ||
    // A local Redis from before the ACL (or with other passwords): local-services.sh applies it.
    (env.localRedis && redis.state === 'error' && findCommand('redis-cli') !== undefined);
  if (scriptCanHelp) {
    if (process.getuid?.() === 0) {
      say('MariaDB or Redis is not ready; running scripts/local-services.sh to start them …');
      const run = spawnSync('bash', [localServicesScript], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (run.status !== 0) say(`scripts/local-services.sh exited with ${run.status ?? run.signal}`);
      database = await checkDatabases(env, databaseTlsCa);
      redis = await checkRedis(redisUrl, env.redisTlsCaFile);
    } else {
      say('MariaDB or Redis is not ready. They are installed: start them (and create the app user) as root with');
      say('  sudo bash scripts/local-services.sh');
    }
  }

  // A local Redis keeps the users it was given when it started: a checkout whose services need
  // another rule (a new channel, a new key pattern) would be refused at the first use. Applying the
  // checkout's ACL again is idempotent and needs only the admin user, not root.
  if (env.localRedis && redis.state === 'ok' && findCommand('redis-cli') !== undefined) {
    const sync = spawnSync('bash', [localRedisScript], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (sync.status !== 0) say(`could not bring the local Redis users up to date (scripts/local-redis.sh exited with ${sync.status ?? sync.signal}): ${sync.stderr.trim()}`);
  }

  const problems: string[] = [];
  if (database.state !== 'ok') problems.push(describeDatabaseProblem(env, database));
  if (redis.state !== 'ok') problems.push(describeRedisProblem(env, redis));
  if (problems.length > 0) throw new LaunchError(problems.join('\n\n'), exitServiceUnavailable);
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL

function databaseEndpoint(url: string): Endpoint & { user: string } {
  const parsed = new URL(url);
  return { host: unbracket(parsed.hostname), port: Number(parsed.port || 3306), user: decodeURIComponent(parsed.username) };
}

/** Every account: the migrator's (DATABASE_ADMIN_URL), then each service's own. */
async function checkDatabases(env: LauncherEnvironment, tlsCa: string): Promise<DatabaseState> {
  for (const url of [env.databaseAdminUrl, ...Object.values(env.databaseUrls)]) {
    const state = await checkDatabase(url, tlsCa);
    if (state.state !== 'ok') return state;
  }
  return { state: 'ok' };
}

/** Over TLS with the CA, as the services connect: the accounts refuse plain text. */
async function checkDatabase(url: string, tlsCa: string): Promise<DatabaseState> {
  const { host, port, user } = databaseEndpoint(url);
  const reachable = await tcpReachable({ host, port });
  if (reachable !== true) return { state: 'unreachable', detail: reachable };
  try {
    const connection = await createConnection({ uri: url, connectTimeout: timeoutMs, ...databaseTlsOptions(tlsCa) });
    try {
      await connection.query('SELECT 1');
    } finally {
      await connection.end().catch(() => undefined);
    }
    return { state: 'ok' };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail = error instanceof Error ? error.message : String(error);
    if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_HOST_NOT_PRIVILEGED' || code === 'ER_DBACCESS_DENIED_ERROR') {
      return { state: 'access-denied', user, detail };
    }
    if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return { state: 'unreachable', detail };
    return { state: 'error', detail };
  }
}

function describeDatabaseProblem(env: LauncherEnvironment, problem: Exclude<DatabaseState, { state: 'ok' }>): string {
  const { host, port } = databaseEndpoint(env.databaseAdminUrl);
  const user = problem.state === 'access-denied' ? problem.user : databaseEndpoint(env.databaseAdminUrl).user;
  const service = Object.entries(env.databaseUrls).find(([, url]) => databaseEndpoint(url).user === user)?.[0];
  const variable = service ? `DATABASE_URL_${service.toUpperCase()}` : 'DATABASE_ADMIN_URL';
  const where = `${host}:${port}`;
  switch (problem.state) {
    case 'unreachable':
      return [
        `MariaDB/MySQL is not reachable at ${where} (${problem.detail}).`,
        env.localDatabase
          ? '  Install MariaDB and Redis, then start them and create the app user (as root):'
          : '  Start the server DATABASE_URL points at, or unset DATABASE_URL and use a local MariaDB (as root):',
        `    ${installHint}`,
        '    bash scripts/local-services.sh',
        env.localDatabase ? '  Or set DATABASE_URL to a MySQL 8 / MariaDB server you have, e.g.' : '  Or set DATABASE_URL to a server that runs, e.g.',
        '    DATABASE_URL=mysql://USER:PASSWORD@HOST:3306 npm start',
      ].join('\n');
    case 'access-denied':
      return [
        `MariaDB at ${where} refused the database user '${user}' (${problem.detail}).`,
        env.localDatabase
          ? `  Create the user '${user}' (it may only use the tessera_* and tenant_* schemas) as root with:`
          : `  Create the user '${user}' with the password in ${variable}, as root, with:`,
        env.localDatabase
          ? '    bash scripts/local-services.sh'
          : service
            ? `    TESSERA_DB_PASSWORD_${service.toUpperCase()}='<the password in ${variable}>' bash scripts/local-services.sh`
            : `    TESSERA_DB_ADMIN_USER='${user}' TESSERA_DB_ADMIN_PASSWORD='<the password in DATABASE_ADMIN_URL>' bash scripts/local-services.sh`,
        '  Or set DATABASE_URL to a user that exists and may create the tessera_* and tenant_* schemas.',
      ].join('\n');
    case 'error':
      return `MariaDB at ${where} answered with an error: ${problem.detail}\n  Check DATABASE_URL.`;
  }
}

// ---------------------------------------------------------------------------------------------
// Redis: a raw RESP PING (plus AUTH when the URL carries credentials); no client library needed.

function redisEndpoint(url: string): Endpoint & { tls: boolean; user: string; password: string } {
  const parsed = new URL(url);
  return {
    host: unbracket(parsed.hostname),
    port: Number(parsed.port || 6379),
    tls: parsed.protocol === 'rediss:',
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

function respCommand(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

function checkRedis(url: string, caFile: string | undefined): Promise<RedisState> {
  const endpoint = redisEndpoint(url);
  // The local CA may not exist yet (local-services.sh creates it): then the handshake fails, and
  // the check reports the Redis as not ready, which is what it is.
  const ca = caFile && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  const commands: string[] = [];
  if (endpoint.password) {
    commands.push(endpoint.user ? respCommand('AUTH', endpoint.user, endpoint.password) : respCommand('AUTH', endpoint.password));
  }
  commands.push(respCommand('PING'));
  return new Promise((resolve) => {
    let settled = false;
    let buffer = '';
    const socket: Socket = endpoint.tls
      ? connectTls({ host: endpoint.host, port: endpoint.port, ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }), ...(ca ? { ca } : {}) })
      : connectTcp({ host: endpoint.host, port: endpoint.port });
    const finish = (state: RedisState) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(timeoutMs, () => finish({ state: 'unreachable', detail: `no answer within ${timeoutMs} ms` }));
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => socket.write(commands.join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const replies = buffer.split('\r\n').filter(Boolean);
      const failed = replies.find((reply) => reply.startsWith('-'));
      if (failed) finish({ state: 'error', detail: failed.slice(1) });
      else if (replies.length >= commands.length) {
        const last = replies[commands.length - 1];
        finish(last === '+PONG' ? { state: 'ok' } : { state: 'error', detail: `unexpected reply to PING: ${last}` });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ state: 'unreachable', detail: error.code ?? error.message }));
    socket.on('close', () => finish({ state: 'unreachable', detail: 'connection closed without a reply' }));
  });
}

function describeRedisProblem(env: LauncherEnvironment, problem: Exclude<RedisState, { state: 'ok' }>): string {
  const { host, port } = redisEndpoint(env.redisUrl);
  if (problem.state === 'error') {
    return [
      `Redis at ${host}:${port} refused PING: ${problem.detail}`,
      env.redisServiceUsers
        ? '  The local Redis needs its ACL users (one per service): run (as root) bash scripts/local-services.sh, with the same REDIS_<SERVICE>_PASSWORD variables if you set any.'
        : '  If it needs a password, put it in REDIS_URL, e.g. REDIS_URL=rediss://USER:PASSWORD@HOST:6380 (REDIS_TLS_CA_FILE for a private CA)',
    ].join('\n');
  }
  return [
    `Redis is not reachable at ${host}:${port} (${problem.detail}).`,
    env.localRedis
      ? '  Install MariaDB and Redis, then start them (as root):'
      : '  Start the server REDIS_URL points at, or unset REDIS_URL and use a local Redis (as root):',
    `    ${installHint}`,
    '    bash scripts/local-services.sh',
    '  Or set REDIS_URL to a Redis you have, e.g. REDIS_URL=rediss://HOST:6380 npm start',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

/** true, or why not (ECONNREFUSED, a timeout …). */
function tcpReachable({ host, port }: Endpoint): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const done = (result: true | string) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findCommand(name: string): string | undefined {
  const directories = (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin', '/usr/local/bin']);
  return directories.map((directory) => join(directory, name)).find(isExecutable);
}
