/**
 * Each service owns its data, read from the code itself: a service reaches another only through
 * that service's published port (`@tessera/<service>/ports`), never its internals, and the jobs
 * service, the metrics service and the workers hold no SQL over another service's tables.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importedModules, sourceFiles } from './source-imports';

const root = join(__dirname, '..');
const subgraphNames = readdirSync(join(root, 'subgraphs')).filter((name) => statSync(join(root, 'subgraphs', name, 'package.json'), { throwIfNoEntry: false }));
const subgraphPackages = new Map(subgraphNames.map((name) => [`@tessera/${name}`, name]));

/** `from`'s imports of another subgraph that are not that subgraph's port entry. */
function foreignInternals(folder: string, own: string | undefined): string[] {
  const offending: string[] = [];
  for (const file of sourceFiles(join(root, folder))) {
    for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
      const packageName = specifier.split('/').slice(0, 2).join('/');
      const target = subgraphPackages.get(packageName);
      if (target && target !== own && specifier !== `${packageName}/ports`) offending.push(`${relative(root, file)} -> ${specifier}`);
      if (specifier.startsWith('.')) {
        const resolved = join(file, '..', specifier);
        const reached = subgraphNames.find((name) => name !== own && resolved.startsWith(join(root, 'subgraphs', name) + '/'));
        if (reached) offending.push(`${relative(root, file)} -> ${specifier}`);
      }
    }
  }
  return offending;
}

/** Tables by owning service: each subgraph's entities, plus tables it writes by SQL alone. */
function tableOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  for (const name of subgraphNames) {
    const data = join(root, 'subgraphs', name, 'src', 'data');
    if (!statSync(data, { throwIfNoEntry: false })) continue;
    for (const file of sourceFiles(data)) for (const match of readFileSync(file, 'utf8').matchAll(/tableName:\s*'(\w+)'/g)) owners.set(match[1]!, name);
  }
  owners.set('job_submit_guard', 'jobs');
  owners.set('audit_outbox', 'audit');
  owners.set('inference_stats', 'models');
  return owners;
}

/** `table` named after FROM / JOIN / INTO / UPDATE in a file's text (SQL in template strings). */
function sqlTables(source: string, tables: Iterable<string>): string[] {
  const found: string[] = [];
  for (const table of tables) if (new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE)\\s+\`?${table}\`?\\b`, 'i').test(source)) found.push(table);
  return found;
}

describe('service boundaries', () => {
  it('finds the subgraphs and their tables (the check itself can fail)', () => {
    expect(subgraphNames).toEqual(expect.arrayContaining(['datasets', 'models', 'jobs', 'metrics']));
    const owners = tableOwners();
    expect(owners.get('dataset_versions')).toBe('datasets');
    expect(owners.get('model_versions')).toBe('models');
    expect(owners.get('jobs')).toBe('jobs');
    expect(sqlTables('SELECT 1 FROM `model_versions` v JOIN models m', owners.keys()).sort()).toEqual(['model_versions', 'models']);
  });

  it('workers import from a subgraph only its published port entry', () => {
    expect(foreignInternals('workers/src', undefined)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(root, 'workers', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // Depending on a subgraph package is allowed only for its ports; the imports above prove which.
    expect(Object.keys(manifest.dependencies).filter((name) => subgraphPackages.has(name)).sort()).toEqual(['@tessera/datasets', '@tessera/jobs', '@tessera/models']);
  });

  it.each(subgraphNames)('subgraphs/%s imports another subgraph only through its port entry', (name) => {
    expect(foreignInternals(`subgraphs/${name}/src`, name)).toEqual([]);
  });

  it.each(['datasets', 'models', 'jobs', 'audit'])('@tessera/%s publishes ./ports, and its port entry exports types and the client, not the implementation', (name) => {
    const manifest = JSON.parse(readFileSync(join(root, 'subgraphs', name, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
    // Source for tsx/jest/tsc, compiled JavaScript under the image's `tessera-compiled` condition: the same two entries either way.
    expect(manifest.exports).toEqual({
      '.': { 'tessera-compiled': './dist/src/index.js', default: './src/index.ts' },
      './ports': { 'tessera-compiled': './dist/src/ports/index.js', default: './src/ports/index.ts' },
    });
    const entry = readFileSync(join(root, 'subgraphs', name, 'src', 'ports', 'index.ts'), 'utf8');
    const reached = importedModules(entry).filter((specifier) => specifier.startsWith('.'));
    expect(reached.filter((specifier) => !/^\.\/[\w-]+-port$|^\.\.\/domain\/job-input$/.test(specifier))).toEqual([]);
  });

  it("the workers, the jobs subgraph and the metrics subgraph hold no SQL over another service's tables", () => {
    const owners = tableOwners();
    const offending: string[] = [];
    for (const [folder, own] of [['workers/src', undefined], ['subgraphs/jobs/src', 'jobs'], ['subgraphs/metrics/src', 'metrics']] as const) {
      for (const file of sourceFiles(join(root, folder))) {
        const foreign = [...owners].filter(([, owner]) => owner !== own).map(([table]) => table);
        for (const table of sqlTables(readFileSync(file, 'utf8'), foreign)) offending.push(`${relative(root, file)}: ${table}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the check sees the reads the metrics service used to make itself (it would fail on them)', () => {
    const owners = tableOwners();
    const foreign = [...owners].filter(([, owner]) => owner !== 'metrics').map(([table]) => table);
    expect(sqlTables('SELECT SUM(calls) FROM inference_stats WHERE minute >= ?', foreign)).toEqual(['inference_stats']);
    expect(sqlTables('(SELECT COUNT(*) FROM audit_events) + (SELECT COUNT(*) FROM audit_outbox)', foreign).sort()).toEqual(['audit_events', 'audit_outbox']);
  });

  it("the workers register no other service's entities on their pool", () => {
    const runtime = readFileSync(join(root, 'workers/src/worker-runtime.ts'), 'utf8');
    // No entities: the second argument is an empty list, whatever options follow it.
    expect(runtime).toMatch(/openServiceDataSource\(\s*config\.database,\s*\[\]\s*[,)]/);
    expect(runtime.match(/openServiceDataSource\(/g)).toHaveLength(1);
    expect(runtime).not.toMatch(/Entities\b/);
  });
});
