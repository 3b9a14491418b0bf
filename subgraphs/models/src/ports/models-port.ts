import type { Principal } from '@tessera/auth';
import type { FamilyKeyInput, FamilyKeyReport, FamilyKeyVersionInput, FamilyReencryptionInput, FamilyReencryptionProgress, ObjectReencryptionInput, ObjectReencryptionProgress } from '@tessera/service-kit';

/**
 * What other services may do with models: look up the version a batch-inference job runs (by id
 * or through an alias) and read the serving numbers (sums per minute, never rows). Scoped by the
 * actor's tenant; another tenant's id is NOT_FOUND, like one that never existed, and its numbers
 * are never part of an answer.
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

/** One model version's serving numbers in one minute: sums and maxima, as the serving process adds them up. */
export interface InferenceMinuteStats {
  /** ISO-8601, the minute's start (UTC); per HOUR, the hour's start. */
  minute: string;
  modelVersionId: string;
  /** Null when the version has been deleted since (its numbers are kept). */
  versionNumber: number | null;
  calls: number;
  rows: number;
  errors: number;
  batchSizeSum: number;
  batchSizeMax: number;
  latencyMsSum: number;
  latencyMsMax: number;
  latencyLe5ms: number;
  latencyLe25ms: number;
  latencyLe100ms: number;
  latencyLe500ms: number;
}

/** All of a tenant's predictions in one minute (every model): the anomaly detector's inference series. */
export interface PredictionMinute {
  /** ISO-8601, the minute's start (UTC). */
  minute: string;
  calls: number;
  errors: number;
  latencyMsSum: number;
}

export interface ModelsPort {
  /** A version of an ACTIVE model, or NOT_FOUND (kind ModelVersion). */
  findVersionForJob(actor: Principal, input: { modelVersionId: string }): Promise<ModelVersionForJob>;
  /** The version an alias points at: NOT_FOUND of kind Model (no such model) or ModelAlias (no such alias). */
  findAliasForJob(actor: Principal, input: { modelId: string; alias: string }): Promise<ModelVersionForJob>;
  /**
   * An ACTIVE model's serving numbers per minute and version for the minutes starting in
   * [from, to] (ISO-8601, at most 31 days and a minute), ordered by minute then version number
   * (deleted versions first); NOT_FOUND (kind Model) for a model the actor's tenant does not have;
   * BAD_USER_INPUT (field `from`) when the range holds more than `maxInferenceMinuteRows` rows;
   * QUERY_TOO_COMPLEX (limit `maxInferenceReadSeconds`) when the database needed longer than that.
   */
  inferenceMinutes(actor: Principal, input: { modelId: string; from: string; to: string; granularity?: InferenceGranularity }): Promise<InferenceMinuteStats[]>;
  /** The tenant's predictions per minute in [from, to), minutes without calls left out (at most 92 days). */
  predictionSeries(actor: Principal, input: { from: string; to: string }): Promise<PredictionMinute[]>;
  /** The tenant's first minute with serving numbers (ISO-8601), or null: where its inference series starts. */
  predictionSeriesStart(actor: Principal, input: Record<string, never>): Promise<string | null>;
  /** What tenantUsage shows of models. */
  usageCounts(actor: Principal, input: Record<string, never>): Promise<{ models: number }>;
  /**
   * Re-encrypts up to `batchSize` of the tenant's model versions objects still under a data-key
   * version below `belowVersion` with the current one (0: only counts them); the tenants service
   * drives a tenant's re-encryption with it. The actor is the tenant's admin.
   */
  reencryptObjects(actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress>;
  /** One model's own key versions and how many of its objects each encrypts (the tenants service shows them to the tenant's admin). */
  familyKeyStatus(actor: Principal, input: FamilyKeyInput): Promise<FamilyKeyReport>;
  /** Adds the next version of one model's key; its new objects use it at once. */
  rotateFamilyKey(actor: Principal, input: FamilyKeyInput): Promise<{ familyId: string; version: number }>;
  /** Moves a batch of one model's objects to its latest key version (0: only counts what is left). */
  reencryptFamilyObjects(actor: Principal, input: FamilyReencryptionInput): Promise<FamilyReencryptionProgress>;
  /** Destroys an older key version of one model; KEY_VERSION_IN_USE while any of its objects is under it. */
  destroyFamilyKeyVersion(actor: Principal, input: FamilyKeyVersionInput): Promise<{ familyId: string; version: number }>;
}

/** What one inferenceMinutes row covers: a version's minute (the default), or its minutes of one hour added up. */
export type InferenceGranularity = 'MINUTE' | 'HOUR';

/** The most rows (a version's minute each) one inferenceMinutes answer carries: a day of two versions. */
export const maxInferenceMinuteRows = 3000;

/**
 * The database time one inferenceMinutes read may take, then the server stops it (QUERY_TOO_COMPLEX,
 * limit `maxInferenceReadSeconds`): the cap above refuses a range only after the database added up
 * all of it, on a connection of the pool every tenant's model reads and predictions use.
 */
export const maxInferenceReadSeconds = 10;

export const modelsPortMethods = ['findVersionForJob', 'findAliasForJob', 'inferenceMinutes', 'predictionSeries', 'predictionSeriesStart', 'usageCounts', 'reencryptObjects', 'familyKeyStatus', 'rotateFamilyKey', 'reencryptFamilyObjects', 'destroyFamilyKeyVersion'] as const satisfies ReadonlyArray<keyof ModelsPort>;

/**
 * The jobs service resolves submits; metrics reads the numbers. The workers load models and
 * register trained ones only through their job's grant, on the models-job port (model-job-port.ts).
 */
export const modelsPortCallers = {
  findVersionForJob: ['jobs'],
  findAliasForJob: ['jobs'],
  inferenceMinutes: ['metrics'],
  predictionSeries: ['metrics'],
  predictionSeriesStart: ['metrics'],
  usageCounts: ['metrics'],
  reencryptObjects: ['tenants'],
  familyKeyStatus: ['tenants'],
  rotateFamilyKey: ['tenants'],
  reencryptFamilyObjects: ['tenants'],
  destroyFamilyKeyVersion: ['tenants'],
} as const satisfies Record<keyof ModelsPort, readonly string[]>;
