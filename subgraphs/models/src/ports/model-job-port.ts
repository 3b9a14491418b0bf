import type { JobGrantToken } from '@tessera/auth';
import type { ObjectReadAccess } from '@tessera/storage';
import type { ModelVersionForJob, TrainedModelVersion } from './models-port';

/**
 * What a running job (a worker) may do with models: each call carries the job's grant from the
 * jobs service, never an actor. The model version a batch-inference job runs, and the model a
 * training job registers its version under, come from the grant; anything else is FORBIDDEN.
 */
export interface ModelJobPort {
  /** A granted model version (NOT_FOUND if it was deleted since the submit) and one short-lived way to read its ONNX object. */
  openVersionContent(grant: JobGrantToken, input: { modelVersionId: string }): Promise<{ version: ModelVersionForJob; content: ObjectReadAccess }>;
  /**
   * Validates and stores the ONNX bytes (base64) as the next version of the granted model (created
   * when missing), with the granted input as lineage; the job id is the idempotency key, so a
   * re-run gets the first version. Bytes go through the port: a trained model is small (linear or
   * a small MLP), and the owner parses every byte to validate it anyway.
   */
  registerTrainedVersion(grant: JobGrantToken, input: { onnxBase64: string; datasetVersionId: string }): Promise<TrainedModelVersion>;
}

export const modelJobPortMethods = ['openVersionContent', 'registerTrainedVersion'] as const satisfies ReadonlyArray<keyof ModelJobPort>;

export const modelJobPortCallers = {
  openVersionContent: ['workers'],
  registerTrainedVersion: ['workers'],
} as const satisfies Record<keyof ModelJobPort, readonly string[]>;

/** The port's name on the wire (`/internal/ports/models-job/<method>`). */
export const modelJobPortName = 'models-job';
