import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Runs the fixture process with `failure` and returns how it ended and what it wrote. */
function run(failure: 'reject' | 'throw' | 'none'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'unhandled-error.main.ts'), failure], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The structured lines of a process's stderr (anything else, like Node's own trace, is left out). */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('exitOnUnhandledErrors: an error nothing handled ends the process with one structured line', () => {
  it('an unhandled rejection: exit code 1, one error line with the message, code and stack, nothing after it', async () => {
    const { code, stdout, stderr } = await run('reject');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = jsonLines(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', message: 'process ending: unhandled promise rejection', service: 'fixture', kind: 'unhandledRejection', error: 'connection pool closed', errorCode: 'ER_POOL_CLOSED' });
    expect(String(lines[0]!['stack'])).toContain('unhandled-error.main.ts');
  });

  it('an exception thrown from a timer: exit code 1 and its line', async () => {
    const { code, stdout, stderr } = await run('throw');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(jsonLines(stderr)).toEqual([expect.objectContaining({ level: 'error', message: 'process ending: uncaught exception', kind: 'uncaughtException', error: 'thrown from a timer' })]);
  });

  it('a process with no such error runs on and ends normally', async () => {
    expect(await run('none')).toEqual({ code: 0, stdout: 'still running\n', stderr: '' });
  });
});
