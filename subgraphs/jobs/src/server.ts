import { join } from 'node:path';
import { JobQueues } from '@tessera/job-queue';
import { loadSchemaFile, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import { jobSubscriptionResolvers } from './resolvers/job-subscription.resolver';
import { jobResolvers } from './resolvers/job.resolver';
import { jobRules } from './rules';

export { jobEntities } from './data/job.entity';

export function jobsSubgraph(runtime: Pick<ServiceRuntime, 'events' | 'config' | 'logger' | 'budgets'>): SubgraphDefinition {
  // One producer connection for every tenant queue of this process, opened on the first submit.
  const queues = new JobQueues(runtime.config.redis);
  const resolvers = { ...jobResolvers({ queues, events: runtime.events, logger: runtime.logger, budgets: runtime.budgets }), ...jobSubscriptionResolvers(runtime.events) };
  return {
    name: 'jobs',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers,
    rules: jobRules,
    close: () => queues.close(),
  };
}
