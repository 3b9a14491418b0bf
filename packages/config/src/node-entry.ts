import { statSync } from 'node:fs';
import { sep } from 'node:path';

/**
 * How to start a Node entry point in a child process, whether this process runs from TypeScript
 * source (tsx: `npm start`, the tests) or from the compiled build (plain node: the image). A `.ts`
 * entry is loaded through tsx; a `.js` entry runs with plain node and inherits this process's
 * `--conditions` flags, so it resolves the workspace packages to the same (compiled) files.
 */
export function nodeEntryArgs(entry: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!entry.endsWith('.ts')) return [...conditionFlags(process.execArgv), entry];
  const compiled = env['TESSERA_CHILD_PROCESSES'] === 'compiled' ? compiledEntry(entry) : undefined;
  return compiled ? ['--conditions', 'tessera-compiled', compiled] : ['--import', 'tsx', entry];
}

/**
 * The build's output for a workspace entry (`<package>/src/x.ts` → `<package>/dist/src/x.js`), if
 * the build has one at least as new as the source. `npm test` builds first and sets
 * TESSERA_CHILD_PROCESSES=compiled: the test files' child processes (issuer, key service, job
 * workers, inference workers) then start with plain node, without tsx's loader, which cost each
 * start about 0.3 s of CPU. A test run without the build (jest alone) keeps loading the source.
 */
export function compiledEntry(entry: string): string | undefined {
  const at = entry.lastIndexOf(`${sep}src${sep}`);
  if (at < 0) return undefined;
  const compiled = `${entry.slice(0, at)}${sep}dist${entry.slice(at, -'.ts'.length)}.js`;
  try {
    return statSync(compiled).mtimeMs >= statSync(entry).mtimeMs ? compiled : undefined;
  } catch {
    return undefined;
  }
}

/** The `--conditions` / `-C` flags among a process's Node flags (both `--conditions=x` and `--conditions x`). */
export function conditionFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let index = 0; index < execArgv.length; index++) {
    const flag = execArgv[index]!;
    if (/^(--conditions|-C)=/.test(flag)) flags.push(flag);
    else if ((flag === '--conditions' || flag === '-C') && execArgv[index + 1] !== undefined) flags.push(flag, execArgv[++index]!);
  }
  return flags;
}
