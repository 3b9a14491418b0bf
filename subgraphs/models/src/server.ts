import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import { modelResolvers } from './resolvers/model.resolver';
import { modelRules } from './rules';

export { modelEntities } from './data/model.entity';

export function modelsSubgraph(): SubgraphDefinition {
  return { name: 'models', typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')), resolvers: modelResolvers, rules: modelRules };
}
