/** What Linux's /proc says about another process (CPU time, resident memory): benches read the gateway and worker processes this way. */
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime of a process from /proc/<pid>/stat (Linux), in µs. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    return cpuMicrosOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** utime + stime of a `stat` file's text, in µs. */
function cpuMicrosOfStat(stat: string): number | undefined {
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1_000_000) / clockTicksPerSecond : undefined;
}

/** CPU time per thread name of a process (/proc/<pid>/task/*), in µs: which threads of a process are busy. */
export function threadCpuMicros(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const task of tasks) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      const micros = cpuMicrosOfStat(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8'));
      if (micros !== undefined) byName.set(name, (byName.get(name) ?? 0) + micros);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** The pid of a running process by its command name (e.g. the local `mariadbd`), if this machine runs one. */
export function findProcessId(commands: readonly string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (commands.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
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
