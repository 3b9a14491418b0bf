import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import { jobResolvers } from './resolvers/job.resolver';
import { jobRules } from './rules';

export { jobEntities } from './data/job.entity';

export function jobsSubgraph(): SubgraphDefinition {
  return { name: 'jobs', typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')), resolvers: jobResolvers, rules: jobRules };
}
