/**
 * Every workspace declares what its code imports, so its package.json tells the truth about what it
 * needs: the image installs production dependencies only (`npm ci --omit=dev`), and a package the
 * shipped code imports but only the root declared would be missing there. Shipped code (a
 * workspace's src/) imports a run-time package only from `dependencies`; types-only imports and
 * tests, scripts and fixtures may use `devDependencies` too. No code reaches into another package's
 * build output or sources (`pkg/dist/…`, `@tessera/x/src/…`): only what the package exports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleImports, packageOf, subpathOf, workspaceImports, workspaces, codeFiles, type FileImport } from './workspace-imports';

const root = join(__dirname, '..');
const all = workspaces(root);
const workspaceNames = new Set(all.map((workspace) => workspace.name));

/**
 * Deep imports of third-party internals that cannot be avoided, each with the reason. Nothing else
 * may import `dist/`, `lib/`, `src/` or `build/` paths of another package.
 */
const allowedDeepImports: Record<string, string> = {
  // minio's public entry does not export the credential-provider base class the per-tenant STS
  // credentials extend; its package.json "exports" publishes dist/main/* for exactly such imports.
  'minio/dist/main/CredentialProvider.js': 'packages/storage, tests',
  'minio/dist/main/Credentials.js': 'packages/storage, tests',
  // The local S3 server (development and tests only, never in the image) has no API to replace its
  // built-in default account with the stack's own keys but this class.
  's3rver/lib/models/account': 'packages/local-infra',
};

const internalsPath = /^(dist|lib|src|build)(\/|$)/;

/** Root-level code (tests, scripts, benches, deploy tooling) is checked against the root manifest. */
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
function rootImports(): FileImport[] {
  return ['test', 'scripts', 'bench', 'deploy'].flatMap((folder) =>
    codeFiles(join(root, folder)).flatMap((file) =>
      moduleImports(file, readFileSync(file, 'utf8')).map((found) => ({ ...found, file: file.slice(root.length + 1), shipped: false })),
    ),
  );
}

describe('workspace dependencies', () => {
  it('reads imports with the compiler: every form, types-only marked, strings in code ignored', () => {
    const source = [
      "import { a } from 'pkg-a';",
      "import type { B } from '@scope/pkg-b/sub';",
      "import { type C } from 'pkg-c';",
      "export { d } from './local';",
      "const e = require('pkg-e');",
      "const f = await import('node:fs');",
      "type G = import('pkg-g').G;",
      "declare module 'pkg-h' { export const h: number }",
      "const text = input.from + 'not-a-package';",
    ].join('\n');
    expect(moduleImports('x.ts', source)).toEqual([
      { specifier: 'pkg-a', typeOnly: false },
      { specifier: '@scope/pkg-b/sub', typeOnly: true },
      { specifier: 'pkg-c', typeOnly: true },
      { specifier: './local', typeOnly: false },
      { specifier: 'pkg-e', typeOnly: false },
      { specifier: 'node:fs', typeOnly: false },
      { specifier: 'pkg-g', typeOnly: true },
    ]);
    expect([packageOf('@scope/pkg-b/sub'), packageOf('fs'), packageOf('./x'), packageOf('typeorm/query-builder/X')]).toEqual(['@scope/pkg-b', undefined, undefined, 'typeorm']);
    expect(subpathOf('@apollo/subgraph/dist/schema-helper')).toBe('dist/schema-helper');
  });

  it('finds every workspace, and code in each', () => {
    expect(all.map((workspace) => workspace.folder)).toEqual(expect.arrayContaining(['gateway', 'platform', 'workers', 'packages/inference', 'subgraphs/jobs', 'testing']));
    for (const workspace of all) expect(workspaceImports(root, workspace).some((found) => found.shipped)).toBe(true);
  });

  it.each(all.map((workspace) => [workspace.folder, workspace] as const))('%s declares every package it imports', (_folder, workspace) => {
    const missing = new Set<string>();
    for (const found of workspaceImports(root, workspace)) {
      const name = packageOf(found.specifier);
      if (name === undefined || name === workspace.name) continue;
      const runtime = found.shipped && !found.typeOnly;
      const declared = name in workspace.dependencies || (!runtime && name in workspace.devDependencies);
      if (!declared) missing.add(`${name} (${runtime ? 'dependencies' : 'dependencies or devDependencies'}; ${found.file})`);
    }
    expect([...missing]).toEqual([]);
  });

  it('root-level code (tests, scripts, benches) imports only workspaces and what the root declares', () => {
    const declared = { ...rootManifest.dependencies, ...rootManifest.devDependencies };
    const missing = new Set<string>();
    for (const found of rootImports()) {
      const name = packageOf(found.specifier);
      if (name !== undefined && !workspaceNames.has(name) && !(name in declared)) missing.add(`${name} (${found.file})`);
    }
    expect([...missing]).toEqual([]);
  });

  it('the root declares no run-time dependencies: each workspace carries its own', () => {
    expect(Object.keys(rootManifest.dependencies ?? {})).toEqual([]);
  });

  it('no code imports another package\'s dist/, src/ or lib/ internals (bar the allow-list)', () => {
    const everything = [...all.flatMap((workspace) => workspaceImports(root, workspace)), ...rootImports()];
    const deep = everything
      .filter((found) => packageOf(found.specifier) !== undefined && internalsPath.test(subpathOf(found.specifier)))
      .filter((found) => !(found.specifier in allowedDeepImports))
      .map((found) => `${found.file} -> ${found.specifier}`);
    expect(deep).toEqual([]);
    // The check can fail: the pattern catches the shapes it is meant to.
    expect(['@tessera/gateway/src/x', '@apollo/gateway/dist/datasources/types', 'pkg/lib/y'].every((specifier) => internalsPath.test(subpathOf(specifier)))).toBe(true);
    expect(['@tessera/jobs/ports', 'graphql-ws/use/ws', 'mysql2/promise'].some((specifier) => internalsPath.test(subpathOf(specifier)))).toBe(false);
  });

  it('every workspace package exposes its compiled entry beside its source one', () => {
    // The console ships as static files (its Vite build), not as a Node package the services import.
    for (const workspace of all.filter((candidate) => candidate.folder !== 'console')) {
      const manifest = JSON.parse(readFileSync(join(root, workspace.folder, 'package.json'), 'utf8')) as { exports?: Record<string, { 'tessera-compiled'?: string; default?: string }> };
      expect(Object.keys(manifest.exports ?? {})).toContain('.');
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        expect({ subpath, compiled: target['tessera-compiled'] }).toEqual({ subpath, compiled: target.default?.replace(/^\.\/src\//, './dist/src/').replace(/\.ts$/, '.js') });
      }
    }
  });
});
