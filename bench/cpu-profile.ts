/**
 * V8 CPU profiles of a bench's processes without requests: this process through `node:inspector`,
 * another one (started with `--inspect=127.0.0.1:0`) through its inspector WebSocket, and a
 * summary of where the time went (self and inclusive time per function, self time per file).
 */
import { Session, type Profiler } from 'node:inspector';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

export type CpuProfile = Profiler.Profile;

/** Sampling interval, µs: fine enough for short sweeps, coarse enough not to cost much itself. */
const samplingIntervalUs = 500;

/** Profiles this process for `ms` (the inspector's own thread samples it). */
export async function profileThisProcess(ms: number): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await post('Profiler.start');
    await sleep(ms);
    return (await post<{ profile: CpuProfile }>('Profiler.stop')).profile;
  } finally {
    session.disconnect();
  }
}

/** Profiles another process for `ms` through its inspector (`ws://…` from its "Debugger listening on" line). */
export async function profileOverInspector(url: string, ms: number): Promise<CpuProfile> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const entry = message.id === undefined ? undefined : waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id!);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  });
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: (result) => resolve(result as T), reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await post('Profiler.start');
    await sleep(ms);
    return (await post<{ profile: CpuProfile }>('Profiler.stop')).profile;
  } finally {
    socket.close();
  }
}

export interface ProfileSummary {
  /** Sampled wall time, ms. */
  wallMs: number;
  /** ms of samples not `(idle)`: CPU on the JavaScript thread (GC included). */
  busyMs: number;
  /** Self time per function (`name file:line`), ms. */
  self: Map<string, number>;
  /** Time of samples with the function anywhere on the stack, ms (counted once per sample). */
  inclusive: Map<string, number>;
  /** Self time per source file (a package for node_modules), ms. */
  files: Map<string, number>;
}

/** Where a frame's code lives, shortened: a package name, a repository path, or a Node module. */
function fileOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const local = /\/work\/[^/]+\/(.*)$/.exec(url);
  return local ? local[1]! : url;
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    if (!frame.url) return frame.functionName || '(anonymous)';
    return `${frame.functionName || '(anonymous)'} ${fileOf(frame.url, frame.functionName)}:${frame.lineNumber + 1}`;
  };
  const stackCache = new Map<number, Set<string>>();
  const stackOf = (id: number): Set<string> => {
    const hit = stackCache.get(id);
    if (hit) return hit;
    const up = parent.get(id);
    const stack = new Set(up === undefined ? [] : stackOf(up));
    stack.add(nameOf(id));
    stackCache.set(id, stack);
    return stack;
  };
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const summary: ProfileSummary = { wallMs: 0, busyMs: 0, self: new Map(), inclusive: new Map(), files: new Map() };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    // A sample stands for the time until the next one.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const id = samples[i]!;
    const frame = byId.get(id)!.callFrame;
    summary.wallMs += ms;
    if (frame.functionName === '(idle)') continue;
    summary.busyMs += ms;
    add(summary.self, nameOf(id), ms);
    add(summary.files, fileOf(frame.url, frame.functionName), ms);
    for (const name of stackOf(id)) if (name !== '(root)') add(summary.inclusive, name, ms);
  }
  return summary;
}

/** The `limit` largest entries as lines of "% of a core  name". */
export function topLines(map: Map<string, number>, wallMs: number, limit: number): string[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => `${((100 * ms) / wallMs).toFixed(2).padStart(7)} %  ${name}`);
}
