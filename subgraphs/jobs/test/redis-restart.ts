import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function config(name: string): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'CONFIG', 'GET', name]);
  return stdout.split('\n')[1]?.trim() ?? '';
}

async function answers(): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'PING']);
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Restarts the local Redis the way scripts/local-services.sh starts it (same persistence settings,
 * read from the running server), so what it persisted (AOF) is what comes back. Other test files
 * share this Redis: the outage lasts about a second, and `ensureRunning` puts it back whatever happens.
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
  };
  if (settings.appendonly !== 'yes') throw new Error('the local Redis does not persist (appendonly is not yes); this test needs scripts/local-services.sh settings');
  lastSettings = settings;
  // SHUTDOWN writes and fsyncs the AOF before exiting.
  await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'SHUTDOWN']).catch(() => undefined);
  for (let i = 0; i < 50 && (await answers()); i++) await sleep(100);
  await ensureRunning();
}

let lastSettings: Record<string, string> | undefined;

export async function ensureRunning(): Promise<void> {
  if (await answers()) return;
  const s = lastSettings ?? { bind: '127.0.0.1', port: '6379', dir: '/tmp', appendonly: 'yes' };
  const args = ['--daemonize', 'yes', '--bind', s['bind'] || '127.0.0.1', '--port', s['port'] || '6379', '--save', '', '--appendonly', 'yes', '--dir', s['dir'] || '/tmp'];
  if (s['appenddirname']) args.push('--appenddirname', s['appenddirname']);
  if (s['appendfilename']) args.push('--appendfilename', s['appendfilename']);
  if (s['dbfilename']) args.push('--dbfilename', s['dbfilename']);
  await run('redis-server', args);
  for (let i = 0; i < 100 && !(await answers()); i++) await sleep(100);
  if (!(await answers())) throw new Error('Redis did not come back');
}
