import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isAlive, waitFor } from './helpers';

const repoRoot = join(__dirname, '..', '..', '..');

/** CPU seconds a process has used (Linux /proc; clock ticks are 100 per second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('no orphan inference processes', () => {
  it('a child stuck in an endless model dies when its parent is SIGKILLed (no close(), no exit handlers)', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'hung-parent.main.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let childPid: number | undefined;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: parent.stdout! }).once('line', resolve);
        parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
      });
      childPid = (JSON.parse(line) as { childPid: number }).childPid;
      expect(isAlive(childPid)).toBe(true);
      // Be sure the child is inside the blocking session.run (spinning), not just about to receive it:
      // starting the runtime costs well under a second of CPU, the endless loop keeps adding to it.
      await waitFor(() => cpuSeconds(childPid!) >= 1.5, 'the child to spin in the endless model', 30_000);
      const parentGone = new Promise((resolve) => parent.once('exit', resolve));
      parent.kill('SIGKILL');
      await parentGone;
      await waitFor(() => !isAlive(childPid!), 'the orphaned child to kill itself');
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      if (childPid !== undefined && isAlive(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});
