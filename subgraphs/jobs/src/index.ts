export { jobsSubgraph, jobEntities } from './server';
export type { JobCatalog } from './domain/job-input-resolver';
/** For composition roots that run a caller in this process; other services import `@tessera/jobs/ports`. */
export { createJobsPort } from './ports/jobs-port.impl';
export { jobsModule, type JobsModuleOptions } from './module';
export { jobsData } from './tables';
export { defaultJobRunReconcilerOptions, JobRunReconciler, type JobRunReconcilerOptions } from './domain/job-run-reconciler';
