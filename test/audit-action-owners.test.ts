/**
 * The kinds of audit event only one service records (`actionOwners`, packages/audit-client), read
 * from the code itself: an action of an owned kind is named, as a string, in its owner's sources
 * only (and in the audit service's readers of the trail, which never write it). Otherwise the
 * MISATTRIBUTED_EVENT rule would flag the platform's own events, or miss a kind a second service
 * started to write.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { actionOwner, actionOwners } from '@tessera/audit-client';
import { sourceFiles } from './source-imports';

const root = join(__dirname, '..');
/** Every process's sources, by the service whose database account it writes with. */
const writers: Array<{ service: string; folders: string[] }> = [
  ...readdirSync(join(root, 'subgraphs'))
    .filter((name) => statSync(join(root, 'subgraphs', name, 'src'), { throwIfNoEntry: false }))
    .map((name) => ({ service: name, folders: [join('subgraphs', name, 'src')] })),
  { service: 'gateway', folders: ['gateway/src'] },
  { service: 'workers', folders: ['workers/src'] },
  { service: 'key-service', folders: ['key-service/src'] },
  // Shared code runs inside every service: it may record no owned kind.
  { service: 'packages', folders: readdirSync(join(root, 'packages')).map((name) => join('packages', name, 'src')).filter((folder) => statSync(join(root, folder), { throwIfNoEntry: false })) },
];
/** Files that read the trail's actions (rules, filters): they never write an event. */
const readers = new Set(['subgraphs/audit/src/domain/alert-rules.ts', 'subgraphs/audit/src/domain/audit-event-filter.ts', 'packages/audit-client/src/action-owners.ts']);

function ownedActionsNamedIn(folder: string): Array<{ file: string; action: string }> {
  const found: Array<{ file: string; action: string }> = [];
  const prefixes = actionOwners.map(({ prefix }) => prefix.replace('.', '\\.')).join('|');
  for (const file of sourceFiles(join(root, folder))) {
    const path = relative(root, file);
    if (readers.has(path) || /\/migrations\//.test(path)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(new RegExp(`['\`"]((?:${prefixes})[a-z_.]+)['\`"]`, 'g'))) found.push({ file: path, action: match[1]! });
  }
  return found;
}

describe('who records which kind of audit event', () => {
  it('every owned kind is named only in its owner service’s sources', () => {
    const misplaced: string[] = [];
    const seen = new Set<string>();
    for (const { service, folders } of writers) {
      for (const folder of folders) {
        for (const { file, action } of ownedActionsNamedIn(folder)) {
          seen.add(action);
          if (actionOwner(action) !== service) misplaced.push(`${file}: ${action} (recorded only by ${actionOwner(action)})`);
        }
      }
    }
    expect(misplaced).toEqual([]);
    // The scan does find them (a broken pattern would pass vacuously).
    for (const action of ['dataset.create', 'model.predict', 'job.submit', 'member.invite', 'tenant.provision', 'alert.acknowledge', 'anomaly.detected']) expect(seen).toContain(action);
  });

  it('every action the platform records has the form the alert expects (lower-case words joined by dots)', () => {
    const named: string[] = [];
    for (const { folders } of writers) {
      for (const folder of folders) {
        for (const file of sourceFiles(join(root, folder))) {
          const text = readFileSync(file, 'utf8');
          // `action: '…'` in an event, `…Action = '…'` constants, and action unions (`'kek.rotate' | …`).
          for (const match of text.matchAll(/\baction: ['`]([^'`$]+)['`]|\w+Action = ['`]([^'`$]+)['`]|type \w*Action = ((?:'[^']+'(?: \| )?)+)/g)) {
            const found = match[1] ?? match[2] ?? match[3]!.split(' | ').map((part) => part.replace(/'/g, '')).join(' ');
            named.push(...found.split(' ').map((action) => `${relative(root, file)}: ${action}`));
          }
        }
      }
    }
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter((entry) => !/^[a-z_]+(\.[a-z_]+)*$/.test(entry.split(': ')[1]!))).toEqual([]);
  });

  it('every owner is a service with its own database account, and no prefix hides another', () => {
    for (const { prefix, service } of actionOwners) {
      expect(prefix).toMatch(/^[a-z_]+\.$/);
      expect(['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants']).toContain(service);
      expect(actionOwners.filter((other) => other.prefix !== prefix && (other.prefix.startsWith(prefix) || prefix.startsWith(other.prefix)))).toEqual([]);
    }
  });
});
