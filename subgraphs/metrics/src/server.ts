import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import { metricsResolvers } from './resolvers/usage.resolver';
import { metricsRules } from './rules';

export const metricsEntities = [];

export function metricsSubgraph(): SubgraphDefinition {
  return { name: 'metrics', typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')), resolvers: metricsResolvers, rules: metricsRules };
}
