/** What Linux's /proc says about another process (CPU time, resident memory): benches read the gateway and worker processes this way. */
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime of a process from /proc/<pid>/stat (Linux), in µs. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / clockTicksPerSecond : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS of a process from /proc/<pid>/status (Linux), in bytes. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux build Node supports (`getconf CLK_TCK`). */
const clockTicksPerSecond = 100;

/** The live child processes of `pid` (from /proc/<pid>/task/<tid>/children), e.g. inference processes. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU time the live children of `pid` have used so far, µs (children that already exited are not counted). */
export function childrenCpuMicros(pid: number): number {
  return childPids(pid).reduce((sum, child) => sum + (processCpuMicros(child) ?? 0), 0);
}
