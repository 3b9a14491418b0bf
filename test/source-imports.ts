import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Module specifiers of import/export-from/require/dynamic import statements. */
export function importedModules(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every source file under `folder` (no node_modules, no build output). */
export function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry)) out.push(path);
    }
  };
  walk(folder);
  return out;
}
