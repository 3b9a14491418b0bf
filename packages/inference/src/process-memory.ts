import { readFile } from 'node:fs/promises';

/**
 * Resident memory (RSS) of a process, in bytes, read by the parent from /proc/<pid>/status.
 * Read from outside because the child cannot answer while `session.run` blocks its event loop —
 * which is exactly when a model allocates its big tensors. Undefined where /proc is missing
 * (not Linux) or the process is gone: the cap is then not enforced.
 */
export async function residentMemoryBytes(pid: number): Promise<number | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}
