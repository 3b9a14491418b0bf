import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { SubgraphModule } from '@tessera/service-kit';
import { jobEntities, jobsSubgraph } from './server';
import { jobsData } from './tables';
import { jobsPortClient, jobsPortMethods, type JobsPort } from './ports';
import { createJobsPort } from './ports/jobs-port.impl';
import type { JobRunReconcilerOptions } from './domain/job-run-reconciler';
import { jobsAccessStanding } from './domain/jobs-access';
import type { RoleSource } from './domain/principal-standing';

export interface JobsModuleOptions {
  /** The owners' ports job inputs are resolved through (in-process or HTTP clients). */
  ports: { datasets: DatasetsPort; models: ModelsPort };
  /** The jobs service signs the grant of each claimed job with `signingKey` (its SERVICE_KEY). */
  jobGrantKeys?: JobGrantKeys;
  /** How often, and after how long unchanged, unfinished rows are checked against their queue entries (defaults when omitted). */
  jobReconciler?: JobRunReconcilerOptions;
  /** JOB_RETRY_BACKOFF_MS: the first wait before a job whose dependency was unreachable runs again (default 1 s). */
  jobRetry?: { backoffMs: number };
  /** ROLE_SOURCE (default claims): whether a member's job is checked against Tessera's membership. */
  members?: { roleSource: RoleSource };
}

export const jobsModule = {
  name: 'jobs',
  entities: jobEntities as EntitySchema[],
  data: jobsData,
  // No objects (job inputs and outputs are reached through the owners' ports), but it seals job
  // results with the tenant's data key, so it reaches the key provider. ROLE_SOURCE (`members`):
  // a member's job runs only while the membership allows it, as the gateway decides requests.
  environment: ['keys', 'jobReconciler', 'jobRetry', 'members'],
  // It signs each claimed job's grant with its own key.
  ports: {
    publishes: {
      methods: jobsPortMethods,
      client: jobsPortClient,
      local: (runtime, options) =>
        createJobsPort({
          scopes: runtime.scopes,
          events: runtime.events,
          jobGrantSigningKey: options.jobGrantKeys?.signingKey,
          access: jobsAccessStanding(runtime, options.members?.roleSource),
          // Read at the call: in one process the ports are handed out together, the datasets port possibly after this one.
          datasets: { findVersionForJob: (actor, input) => options.ports.datasets.findVersionForJob(actor, input) },
          usage: runtime.usage,
        }),
    },
    calls: ['datasets', 'models'],
  },
  build: (runtime, options) => jobsSubgraph(runtime, { datasets: options.ports.datasets, models: options.ports.models }, options.jobGrantKeys, options.jobReconciler, options.members?.roleSource, options.jobRetry),
} satisfies SubgraphModule<JobsModuleOptions, 'jobs', JobsPort>;
