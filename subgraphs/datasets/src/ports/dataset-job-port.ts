import type { JobGrantToken } from '@tessera/auth';
import type { ObjectReadAccess, ObjectWriteAccess } from '@tessera/storage';
import type { DatasetVersionForJob, JobOutputContent, JobOutputReservation, JobOutputVersion } from './datasets-port';

/**
 * What a running job (a worker) may do with datasets: each call carries the job's grant from the
 * jobs service, never an actor. The owner verifies it and derives the tenant, the principal and
 * the objects the job may touch from it: the input version(s) it names, and the output dataset it
 * names. Anything else is FORBIDDEN before it is looked up. Bytes never pass through this port:
 * it hands out presigned URLs and the key of one object at a time (see README, workers).
 */
export interface DatasetJobPort {
  /** A granted version (NOT_FOUND if it was deleted since the submit) and one short-lived way to read its object. */
  openVersionContent(grant: JobGrantToken, input: { datasetVersionId: string }): Promise<{ version: DatasetVersionForJob; content: ObjectReadAccess }>;
  /** Reserves `storedBytes` of storage (QUOTA_EXCEEDED before anything is written), then ensures the granted output dataset. */
  reserveJobOutput(grant: JobGrantToken, input: { storedBytes: number }): Promise<JobOutputReservation>;
  /**
   * Where attempt `attempt` of the job writes its output object, and the seal to encrypt it with.
   * Objects earlier attempts of this job left behind are removed first, unless one already is the job's version.
   */
  openJobOutputUpload(grant: JobGrantToken, input: { datasetId: string; attempt: number }): Promise<{ objectKey: string; upload: ObjectWriteAccess }>;
  /**
   * Makes the uploaded object a version of the output dataset, at most one per job: a second call
   * returns the first one's version, releases its own reservation and removes its object.
   */
  registerJobOutput(grant: JobGrantToken, input: { datasetId: string; reservationId: string; content: JobOutputContent }): Promise<JobOutputVersion>;
  /** Undoes an output that will not be registered: its object (if any) and its reservation. */
  discardJobOutput(grant: JobGrantToken, input: { reservationId: string; objectKey: string | null }): Promise<void>;
}

export const datasetJobPortMethods = ['openVersionContent', 'reserveJobOutput', 'openJobOutputUpload', 'registerJobOutput', 'discardJobOutput'] as const satisfies ReadonlyArray<keyof DatasetJobPort>;

/** Only the workers run jobs. */
export const datasetJobPortCallers = {
  openVersionContent: ['workers'],
  reserveJobOutput: ['workers'],
  openJobOutputUpload: ['workers'],
  registerJobOutput: ['workers'],
  discardJobOutput: ['workers'],
} as const satisfies Record<keyof DatasetJobPort, readonly string[]>;

/** The port's name on the wire (`/internal/ports/datasets-job/<method>`). */
export const datasetJobPortName = 'datasets-job';
