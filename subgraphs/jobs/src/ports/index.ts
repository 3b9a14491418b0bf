/**
 * The jobs service's published port: the only part of @tessera/jobs other services import
 * (`@tessera/jobs/ports`). Types and the HTTP client; the implementation stays in the service.
 */
import { createPortClient, type PortClientOptions } from '@tessera/service-kit';
import { jobsPortMethods, type JobsPort } from './jobs-port';

export * from './jobs-port';
export type { JobInput, TrainJobInput, BatchInferenceJobInput, ProfileJobInput } from '../domain/job-input';
export { maxBatchPredictionValues, predictionColumnNames } from '../domain/job-input';

export function jobsPortClient(options: Omit<PortClientOptions, 'port'>): JobsPort {
  return createPortClient<JobsPort>(jobsPortMethods, { ...options, port: 'jobs' });
}
