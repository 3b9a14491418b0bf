import { Worker } from 'node:worker_threads';

/**
 * Makes this process kill itself once its parent is gone. The IPC 'disconnect' event is not enough:
 * while `session.run` blocks the main thread (an endless model), no JS event runs, and the process
 * would spin forever as an orphan. A tiny thread keeps watching the parent pid (a dead parent means
 * re-parenting) and SIGKILLs the whole process, which stops the blocked native run too.
 */
export function startOrphanWatchdog(intervalMs = 500): void {
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, ${Math.max(50, Math.round(intervalMs))});`,
    { eval: true, workerData: process.ppid },
  );
  // Never keeps the process alive by itself.
  watcher.unref();
}
