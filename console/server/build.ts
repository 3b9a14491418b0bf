// `npm start` and the end-to-end test build the console when its build is missing or older than
// its sources, so a clean clone needs nothing but `npm ci`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { consoleRoot } from './paths';

export const distDirectory = join(consoleRoot, 'dist');
const sources = ['src', 'index.html', 'vite.config.mts', 'package.json', 'tsconfig.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stat.mtimeMs);
}

export function consoleBuildIsCurrent(): boolean {
  const built = join(distDirectory, 'index.html');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  return sources.every((source) => newestMtime(join(consoleRoot, source)) <= builtAt);
}

/** Runs `vite build` in a child process (Vite is ESM-only; this module is loaded from CommonJS too). */
export async function ensureConsoleBuilt(say: (line: string) => void = () => undefined): Promise<'current' | 'built'> {
  if (consoleBuildIsCurrent()) return 'current';
  say('Building the web console (its build is missing or older than its sources) …');
  const vite = join(require.resolve('vite/package.json'), '..', 'bin', 'vite.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build'], { cwd: consoleRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}:\n${output.slice(-4000)}`))));
  });
  return 'built';
}
