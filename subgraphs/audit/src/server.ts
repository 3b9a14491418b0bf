import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import { auditResolvers } from './resolvers/audit-event.resolver';
import { auditRules } from './rules';

export { auditEntities } from './data/audit-event.entity';

export function auditSubgraph(): SubgraphDefinition {
  return { name: 'audit', typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')), resolvers: auditResolvers, rules: auditRules };
}
