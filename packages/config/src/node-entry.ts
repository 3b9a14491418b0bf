/**
 * How to start a Node entry point in a child process, whether this process runs from TypeScript
 * source (tsx: `npm start`, the tests) or from the compiled build (plain node: the image). A `.ts`
 * entry is loaded through tsx; a `.js` entry runs with plain node and inherits this process's
 * `--conditions` flags, so it resolves the workspace packages to the same (compiled) files.
 */
export function nodeEntryArgs(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [...conditionFlags(process.execArgv), entry];
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
