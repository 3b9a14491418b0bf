/**
 * The second half of `npm run build` (the first is `tsc -b`, which emits each workspace's JavaScript
 * into its dist/): copies the files code reads beside itself at run time (the subgraphs'
 * schema.graphql, read from `__dirname`) from each workspace's src/ into dist/src/, so the
 * compiled tree runs on its own. Everything under src/ that tsc does not compile is such a file.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Files tsc compiles or only type-checks: never needed beside the compiled code. */
const compiledByTsc = /\.(ts|tsx|mts|cts)$/;

export function workspaceFolders(root: string): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  return workspaces
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => join(pattern.slice(0, -2), name)) : [pattern]))
    .filter((folder) => existsSync(join(root, folder, 'package.json')));
}

/** Every run-time asset under `folder`, as paths relative to it. */
export function assetsUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) continue;
      if (stat.isDirectory()) walk(path);
      else if (!compiledByTsc.test(entry)) out.push(relative(folder, path));
    }
  };
  walk(folder);
  return out;
}

/** Copies every workspace's src/ assets into its dist/src/; returns the copied paths (relative to root). */
export function copyBuildAssets(root: string): string[] {
  const copied: string[] = [];
  for (const folder of workspaceFolders(root)) {
    for (const asset of assetsUnder(join(root, folder, 'src'))) {
      const target = join(root, folder, 'dist', 'src', asset);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(root, folder, 'src', asset), target);
      copied.push(relative(root, target));
    }
  }
  return copied;
}

if (require.main === module) {
  const copied = copyBuildAssets(join(__dirname, '..', '..'));
  process.stdout.write(`build: ${copied.length} asset(s) copied into dist/\n`);
}
