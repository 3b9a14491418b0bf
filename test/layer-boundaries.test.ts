/**
 * The tree's layers, read from the code itself: libraries under packages/ never reach up into a
 * service (gateway, subgraphs, workers) or a composition root (platform, testing). A library that
 * imported a service would make that service's internals — and its credentials — part of every
 * process that uses the library.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importedModules, sourceFiles } from './source-imports';

const root = join(__dirname, '..');

const serviceFolders = ['gateway', 'workers', 'platform', 'testing', 'key-service', ...readdirSync(join(root, 'subgraphs')).map((name) => `subgraphs/${name}`)];

function packageNameOf(folder: string): string {
  return (JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { name: string }).name;
}

const servicePackages = new Map(serviceFolders.map((folder) => [packageNameOf(folder), folder]));
const libraryFolders = readdirSync(join(root, 'packages')).filter((name) => statSync(join(root, 'packages', name, 'package.json'), { throwIfNoEntry: false }));

describe('layer boundaries', () => {
  it('reads import statements (the check itself can fail)', () => {
    expect(importedModules("import { a } from '@tessera/jobs';\nconst b = await import('@tessera/models/src/x');\nexport * from \"./y\";")).toEqual([
      '@tessera/jobs',
      '@tessera/models/src/x',
      './y',
    ]);
  });

  it('finds every service package', () => {
    expect([...servicePackages.keys()]).toEqual(expect.arrayContaining(['@tessera/gateway', '@tessera/workers', '@tessera/platform', '@tessera/testing', '@tessera/jobs', '@tessera/models']));
  });

  it.each(libraryFolders)('packages/%s neither depends on nor imports a service or a composition root', (library) => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', library, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    // What ships: a library's tests may run on the harness (a devDependency), its code may not.
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
    expect(declared.filter((name) => servicePackages.has(name))).toEqual([]);

    const offending: string[] = [];
    for (const file of sourceFiles(join(root, 'packages', library, 'src'))) {
      for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
        const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier;
        const escapesToService = specifier.startsWith('.') && serviceFolders.some((folder) => join(file, '..', specifier).startsWith(join(root, folder) + '/'));
        if (servicePackages.has(packageName) || escapesToService) offending.push(`${relative(root, file)} -> ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
