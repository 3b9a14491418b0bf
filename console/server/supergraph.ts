// The console's operations are typed against the API schema the gateway serves. The gateway
// composes it at run time (IntrospectAndCompose) from the subgraphs' SDL files; composing the same
// files here gives the same schema without starting anything.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { lexicographicSortSchema, parse, printSchema } from 'graphql';
import { repositoryRoot } from './paths';

export { repositoryRoot };
export const subgraphNames = ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const;

/** The public API schema (no federation directives), printed in a stable order. */
export function composeApiSchema(root = repositoryRoot): string {
  const services = subgraphNames.map((name) => ({
    name,
    url: `https://${name}.internal/graphql`,
    typeDefs: parse(readFileSync(join(root, 'subgraphs', name, 'src', 'schema.graphql'), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) throw new Error(`supergraph composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  return `${printSchema(lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema()))}\n`;
}
