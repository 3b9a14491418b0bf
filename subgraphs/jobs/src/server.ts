import { join } from 'node:path';
import { defaultRetryPolicy, JobQueues } from '@tessera/job-queue';
import type { JobGrantKeys } from '@tessera/auth';
import { loadSchemaFile, SealedColumnBackfill, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import { jobResultColumn } from './data/job-result-seal';
import type { JobCatalog } from './domain/job-input-resolver';
import { defaultJobRunReconcilerOptions, JobRunReconciler, type JobRunReconcilerOptions } from './domain/job-run-reconciler';
import { createJobsPort, publishedJobsPort } from './ports/jobs-port.impl';
import { jobSubscriptionResolvers } from './resolvers/job-subscription.resolver';
import { jobResolvers } from './resolvers/job.resolver';
import { jobRules } from './rules';
import { placeTenantQueue } from './domain/tenant-queue-placement';
import { jobsAccessStanding } from './domain/jobs-access';
import type { RoleSource } from './domain/principal-standing';

export { jobEntities } from './data/job.entity';

/**
 * The jobs subgraph. `catalog` is how submits reach datasets and models: their ports, in-process
 * or over HTTP, as the composition root decides. With a runtime that has tenant scopes it also
 * publishes the jobs port (workers, metrics, tenants, datasets), and ends the rows no run holds any more (JobRunReconciler).
 */
export function jobsSubgraph(
  runtime: Pick<ServiceRuntime, 'events' | 'config' | 'logger' | 'budgets' | 'usage'> & Partial<Pick<ServiceRuntime, 'scopes' | 'tenants' | 'db'>>,
  catalog: JobCatalog,
  jobGrantKeys: JobGrantKeys = {},
  reconcilerOptions: JobRunReconcilerOptions = defaultJobRunReconcilerOptions,
  roleSource: RoleSource = 'claims',
  retry: { backoffMs: number } = defaultRetryPolicy,
): SubgraphDefinition {
  // One producer connection for every tenant queue of this process, opened on the first submit.
  // Each entry carries the retry policy: the workers' waits between attempts are read from it.
  const queues = new JobQueues(runtime.config.redis, { ...defaultRetryPolicy, backoffMs: retry.backoffMs });
  // Results stored before sealing are sealed once the service runs (the migrator holds no key).
  const backfill = runtime.scopes && runtime.tenants ? new SealedColumnBackfill({ scopes: runtime.scopes, tenants: runtime.tenants, logger: runtime.logger, specs: [jobResultColumn] }) : undefined;
  const reconciler =
    runtime.scopes && runtime.tenants && runtime.db
      ? new JobRunReconciler({ db: runtime.db, scopes: runtime.scopes, tenants: runtime.tenants, queues, events: runtime.events, logger: runtime.logger, options: reconcilerOptions })
      : undefined;
  const resolvers = { ...jobResolvers({ queues, events: runtime.events, logger: runtime.logger, budgets: runtime.budgets, catalog, tenants: runtime.tenants }), ...jobSubscriptionResolvers(runtime.events) };
  return {
    name: 'jobs',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers,
    rules: jobRules,
    ports:
      runtime.scopes && runtime.db
        ? [publishedJobsPort(createJobsPort({ scopes: runtime.scopes, events: runtime.events, jobGrantSigningKey: jobGrantKeys.signingKey, access: jobsAccessStanding({ db: runtime.db, config: runtime.config }, roleSource), datasets: catalog.datasets, usage: runtime.usage }))]
        : [],
    // A tenant moved to another tier: its queued jobs go to the new pool's ring at once.
    ...(runtime.tenants ? { onTenantChanged: (tenantId: string) => placeTenantQueue({ tenants: runtime.tenants!, queues, logger: runtime.logger }, tenantId) } : {}),
    start: () => {
      backfill?.start();
      reconciler?.start();
    },
    close: async () => {
      await backfill?.stop();
      await reconciler?.stop();
      await queues.close();
    },
  };
}
