export { jobsSubgraph, jobEntities } from './server';
export { JobEntity, type Job, type JobKind, type JobStatus, type JobError, type JobMetrics } from './data/job.entity';
export { claimJob, recordProgress, finishJob, requeueJob, findJob, type ClaimOutcome, type ProgressOutcome, type FinalStatus } from './domain/job-state';
export { toJobEvent } from './domain/job-event';
export { principalOfJob } from './domain/job-principal';
export { findDatasetVersion, findModelVersion, type CatalogDatasetVersion, type CatalogModelVersion, type CatalogColumn } from './domain/catalog-lookup';
export type { JobInput, TrainJobInput, BatchInferenceJobInput, ProfileJobInput } from './domain/job-input';
export { jobsModule } from './module';
export { jobsData } from './tables';
