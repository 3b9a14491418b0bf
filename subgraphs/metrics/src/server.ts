import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import { inferenceStatsResolvers } from './resolvers/inference-stats.resolver';
import { metricsResolvers } from './resolvers/usage.resolver';
import { metricsRules } from './rules';

export const metricsEntities = [];

const mergedResolvers = {
  ...metricsResolvers,
  ...inferenceStatsResolvers,
  Query: { ...(metricsResolvers['Query'] as object), ...(inferenceStatsResolvers['Query'] as object) },
};

export function metricsSubgraph(): SubgraphDefinition {
  return { name: 'metrics', typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')), resolvers: mergedResolvers, rules: metricsRules };
}
