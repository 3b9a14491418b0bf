// `npm run compose -w gateway`: composes the subgraphs' SDL into gateway/src/supergraph.graphql,
// the supergraph the gateway serves. It is committed, like console/schema.graphql, so the gateway
// never composes at start; supergraph-file.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

const root = join(__dirname, '..', '..');
export const subgraphNames = ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const;
export const supergraphFile = join(root, 'gateway', 'src', 'supergraph.graphql');

/** The supergraph SDL; each subgraph's URL is a placeholder the gateway replaces with its configured one. */
export function composeSupergraph(): string {
  const result = composeServices(
    subgraphNames.map((name) => ({
      name,
      url: `https://${name}.subgraph.invalid/graphql`,
      typeDefs: parse(readFileSync(join(root, 'subgraphs', name, 'src', 'schema.graphql'), 'utf8')),
    })),
  );
  if (result.errors || !result.supergraphSdl) throw new Error(`supergraph composition failed:\n${(result.errors ?? []).map((error) => error.message).join('\n')}`);
  return result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`;
}

if (require.main === module) {
  writeFileSync(supergraphFile, composeSupergraph());
  process.stdout.write(`Wrote ${supergraphFile}\n`);
}
