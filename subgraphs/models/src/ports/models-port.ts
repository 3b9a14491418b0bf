import type { Principal } from '@tessera/auth';

/**
 * What other services may do with models: look up the version a batch-inference job runs (by id
 * or through an alias). Scoped by the actor's
 * tenant; another tenant's id is NOT_FOUND, like one that never existed.
 */
export interface ModelTensorForJob {
  name: string;
  elementType: string;
  shape: Array<number | string | null>;
}

/** A model version as a job needs it: where its ONNX object is, its hash and signature. */
export interface ModelVersionForJob {
  id: string;
  modelId: string;
  modelName: string;
  number: number;
  objectKey: string;
  sha256: string;
  inputs: ModelTensorForJob[];
  outputs: ModelTensorForJob[];
  /** The training job that produced it, when a job did. */
  jobId: string | null;
}

export interface TrainedModelVersion {
  modelId: string;
  modelVersionId: string;
  modelVersionNumber: number;
}

export interface ModelsPort {
  /** A version of an ACTIVE model, or NOT_FOUND (kind ModelVersion). */
  findVersionForJob(actor: Principal, input: { modelVersionId: string }): Promise<ModelVersionForJob>;
  /** The version an alias points at: NOT_FOUND of kind Model (no such model) or ModelAlias (no such alias). */
  findAliasForJob(actor: Principal, input: { modelId: string; alias: string }): Promise<ModelVersionForJob>;
  /** Every version's number of an ACTIVE model (inference stats label minutes with them), or NOT_FOUND (kind Model). */
  versionNumbers(actor: Principal, input: { modelId: string }): Promise<Array<{ id: string; number: number }>>;
  /** What tenantUsage shows of models. */
  usageCounts(actor: Principal, input: Record<string, never>): Promise<{ models: number }>;
}

export const modelsPortMethods = ['findVersionForJob', 'findAliasForJob', 'versionNumbers', 'usageCounts'] as const satisfies ReadonlyArray<keyof ModelsPort>;

/**
 * The jobs service resolves submits; metrics labels and counts. The workers load models and
 * register trained ones only through their job's grant, on the models-job port (model-job-port.ts).
 */
export const modelsPortCallers = {
  findVersionForJob: ['jobs'],
  findAliasForJob: ['jobs'],
  versionNumbers: ['metrics'],
  usageCounts: ['metrics'],
} as const satisfies Record<keyof ModelsPort, readonly string[]>;
