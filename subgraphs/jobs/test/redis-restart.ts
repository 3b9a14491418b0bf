import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '@tessera/local-infra';
import { redisAccountFromEnvironment } from '@tessera/redis-acl';

const run = promisify(execFile);

/** A Redis reached with redis-cli as an account (its admin when the ACL is on). */
interface RedisTarget {
  host: string;
  port: string;
  user: string;
  password: string;
  tls: string[];
  acl: boolean;
}

function targetOf(account: { url: string; acl: boolean; tlsCaFile?: string | undefined }): RedisTarget {
  const url = new URL(account.url);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port || '6379',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    // The local Redis speaks TLS only (scripts/local-redis.sh): redis-cli too, checking the server against the CA.
    tls: url.protocol === 'rediss:' ? ['--tls', ...(account.tlsCaFile ? ['--cacert', account.tlsCaFile] : [])] : [],
    acl: account.acl,
  };
}

/** The Redis the test stacks of this file use: the shared one, unless usePrivateRedis() started one of its own. */
let target = targetOf(redisAccountFromEnvironment());

function cli(args: string[], asAccount = true, on: RedisTarget = target): Promise<{ stdout: string }> {
  const auth = asAccount && on.user ? ['--user', on.user, '--no-auth-warning'] : [];
  // The password travels in the environment, not on the command line (ps would show it).
  const env = asAccount && on.password ? { ...process.env, REDISCLI_AUTH: on.password } : process.env;
  return run('redis-cli', ['-h', on.host, '-p', on.port, ...on.tls, ...auth, ...args], { env });
}

/**
 * Starts a Redis of this test file's own, set up as the shared one (TLS with the same certificate
 * and CA, the same users), and points this process's Redis environment at it, so the stacks started
 * afterwards use it and restartRedis() restarts it alone: restarting the shared server (an outage
 * of a second or two) failed whatever other test file ran beside this one and touched Redis then.
 */
export async function usePrivateRedis(): Promise<{ stop(): Promise<void> }> {
  const shared = target;
  const get = async (name: string) => (await cli(['CONFIG', 'GET', name], true, shared)).stdout.split('\n')[1]?.trim() ?? '';
  const tlsCert = await get('tls-cert-file');
  const tlsKey = await get('tls-key-file');
  const tlsCa = await get('tls-ca-cert-file');
  const tlsAuthClients = await get('tls-auth-clients');
  const acl = shared.acl ? (await cli(['ACL', 'LIST'], true, shared)).stdout.split('\n').filter((line) => line.startsWith('user ')) : [];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-private-redis-'));
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, '--pidfile', join(dir, 'redis.pid')];
  if (tlsCert) args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', tlsCert, '--tls-key-file', tlsKey, '--tls-ca-cert-file', tlsCa, '--tls-auth-clients', tlsAuthClients || 'no');
  else args.push('--port', String(port));
  await run('redis-server', args);
  target = { ...shared, port: String(port) };
  for (let i = 0; i < 100 && !(await listening()); i++) await sleep(100);
  if (acl.length > 0) {
    lastAcl = acl;
    await restoreAcl();
  }
  for (let i = 0; i < 100 && !(await answers()); i++) await sleep(100);
  if (!(await answers())) throw new Error('the private Redis did not take the account');
  const previous = { admin: process.env['REDIS_ADMIN_URL'], plain: process.env['REDIS_URL'], ca: process.env['REDIS_TLS_CA_FILE'] };
  const account = redisAccountFromEnvironment();
  const url = new URL(account.url);
  url.port = String(port);
  if (account.acl) process.env['REDIS_ADMIN_URL'] = url.toString();
  else process.env['REDIS_URL'] = url.toString();
  if (account.tlsCaFile) process.env['REDIS_TLS_CA_FILE'] = account.tlsCaFile;
  return {
    stop: async () => {
      await cli(['SHUTDOWN', 'NOSAVE']).catch(() => undefined);
      for (let i = 0; i < 50 && (await listening()); i++) await sleep(100);
      target = shared;
      for (const [name, value] of [['REDIS_ADMIN_URL', previous.admin], ['REDIS_URL', previous.plain], ['REDIS_TLS_CA_FILE', previous.ca]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function config(name: string): Promise<string> {
  const { stdout } = await cli(['CONFIG', 'GET', name]);
  return stdout.split('\n')[1]?.trim() ?? '';
}

/**
 * Up, and logged in as the account. (redis-cli goes on as the default user when AUTH fails, so a
 * PING would answer on a fresh server that does not know the account yet.)
 */
async function answers(): Promise<boolean> {
  try {
    return (await cli(['ACL', 'WHOAMI'])).stdout.trim() === (target.user || 'default');
  } catch {
    return false;
  }
}

/** Anything listening: a fresh server whose users are not back yet still answers, if only NOAUTH. */
async function listening(): Promise<boolean> {
  try {
    await cli(['PING'], false);
    return true;
  } catch {
    return false;
  }
}

/**
 * Restarts the local Redis the way scripts/local-services.sh starts it (same persistence settings,
 * read from the running server), so what it persisted (AOF) is what comes back. Other test files
 * share this Redis: the outage lasts about a second, and `ensureRunning` puts it back whatever happens.
 * Its ACL comes back too: every user of the ACL LIST taken before the restart is defined again
 * (an ACL file brings back only the users written in it, not the ones a test stack created).
 */
export async function restartRedis(): Promise<void> {
  const settings = {
    bind: await config('bind'),
    port: await config('port'),
    dir: await config('dir'),
    appendonly: await config('appendonly'),
    appenddirname: await config('appenddirname'),
    appendfilename: await config('appendfilename'),
    dbfilename: await config('dbfilename'),
    aclfile: await config('aclfile'),
    'tls-port': await config('tls-port'),
    'tls-cert-file': await config('tls-cert-file'),
    'tls-key-file': await config('tls-key-file'),
    'tls-ca-cert-file': await config('tls-ca-cert-file'),
    'tls-auth-clients': await config('tls-auth-clients'),
  };
  if (settings.appendonly !== 'yes') throw new Error('the local Redis does not persist (appendonly is not yes); this test needs scripts/local-services.sh settings');
  lastSettings = settings;
  lastAcl = target.acl ? (await cli(['ACL', 'LIST'])).stdout.split('\n').filter((line) => line.startsWith('user ')) : [];
  restorePending = lastAcl.length > 0;
  // SHUTDOWN writes and fsyncs the AOF before exiting.
  await cli(['SHUTDOWN']).catch(() => undefined);
  for (let i = 0; i < 50 && (await listening()); i++) await sleep(100);
  await ensureRunning();
}

let lastSettings: Record<string, string> | undefined;
let lastAcl: string[] = [];
let restorePending = false;

export async function ensureRunning(): Promise<void> {
  if (!restorePending && (await answers())) return;
  if (!(await listening())) {
    const s = lastSettings ?? { bind: '127.0.0.1', port: target.port, dir: '/tmp', appendonly: 'yes' };
    const args = ['--daemonize', 'yes', '--bind', s['bind'] || '127.0.0.1', '--port', s['port'] || target.port, '--save', '', '--appendonly', 'yes', '--dir', s['dir'] || '/tmp'];
    if (s['appenddirname']) args.push('--appenddirname', s['appenddirname']);
    if (s['appendfilename']) args.push('--appendfilename', s['appendfilename']);
    if (s['dbfilename']) args.push('--dbfilename', s['dbfilename']);
    if (s['aclfile']) args.push('--aclfile', s['aclfile']);
    // A TLS Redis comes back with the same certificate and ports (its plaintext port is 0, from `port`).
    if (s['tls-port'] && s['tls-port'] !== '0') {
      for (const name of ['tls-port', 'tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'tls-auth-clients']) if (s[name]) args.push(`--${name}`, s[name]);
    }
    await run('redis-server', args);
    for (let i = 0; i < 100 && !(await listening()); i++) await sleep(100);
  }
  if (restorePending) {
    // A server still loading its AOF refuses ACL SETUSER too: wait until it would take commands.
    for (let i = 0; i < 100 && /LOADING/.test(await cli(['PING'], false).then((r) => r.stdout, () => 'LOADING')); i++) await sleep(100);
    await restoreAcl();
    restorePending = false;
  }
  for (let i = 0; i < 100 && !(await answers()); i++) await sleep(100);
  if (!(await answers())) throw new Error('Redis did not come back');
}

/**
 * Defines every user again: the admin first (as the fresh server's password-less default user,
 * unless an ACL file brought the admin back), then the others as the admin, the default user last.
 */
async function restoreAcl(): Promise<void> {
  const setUser = async (line: string, asAccount: boolean) => {
    const [, name, ...rules] = line.split(' ');
    const { stdout } = await cli(['ACL', 'SETUSER', name!, 'reset', ...rules], asAccount);
    if (stdout.trim() !== 'OK') throw new Error(`restoring the Redis user ${name}: ${stdout.trim()}`);
  };
  const adminLine = lastAcl.find((line) => line.startsWith(`user ${target.user} `));
  const defaultLine = lastAcl.find((line) => line.startsWith('user default '));
  if (adminLine && !(await answers())) await setUser(adminLine, false);
  for (const line of lastAcl) if (line !== adminLine && line !== defaultLine) await setUser(line, true);
  if (defaultLine) await setUser(defaultLine, true);
}
