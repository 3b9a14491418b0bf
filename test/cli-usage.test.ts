/**
 * `tessera --help` (what the README and a newcomer try first) lists every command and exits 0; no
 * command or an unknown one prints the same list on stderr and exits 2 (bad usage, as `tessera
 * selftest` does), never a stack trace. Before, every one of them threw `Error: usage: …` with the
 * stack of main.ts and exited 1.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { nodeEntryArgs } from '@tessera/config';
import { subgraphNames } from '../platform/src/subgraph-catalog';

const root = join(__dirname, '..');

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeEntryArgs(join(root, 'platform/src/main.ts')), ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const commands = ['migrate', 'keys', 'keys import-master-key', 'gateway', 'worker', 'selftest', ...subgraphNames];

test.concurrent.each([['--help'], ['-h'], ['help']])('tessera %s lists every command on stdout and exits 0', async (flag) => {
  const { code, stdout, stderr } = await runCli([flag]);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^usage: tessera <command>/);
  for (const command of commands) expect(stdout).toContain(`  ${command}`);
}, 60_000);

// A service command asked for help must not start the service: `tessera migrate --help` ran the
// migrations wherever DATABASE_ADMIN_URL was set (here, with none set, it failed on the environment).
test.concurrent.each([['migrate', '--help'], ['gateway', '-h'], ['worker', '--help'], ['keys', '--help']])('tessera %s %s prints the list and starts nothing', async (command, flag) => {
  const { code, stdout, stderr } = await runCli([command, flag], { DATABASE_ADMIN_URL: '', DATABASE_URL: '' });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^usage: tessera <command>/);
}, 60_000);

test.concurrent.each([[[]], [['bogus']]])('tessera %j is bad usage: the list on stderr, exit 2, no stack trace', async (args) => {
  const { code, stdout, stderr } = await runCli(args);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/usage: tessera <command>/);
  expect(stderr).not.toMatch(/\n\s+at /);
  if (args.length > 0) expect(stderr).toContain('unknown command "bogus"');
}, 60_000);
