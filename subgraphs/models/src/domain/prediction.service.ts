import { assertPermission } from '@tessera/auth';
import { errors, isTesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import { ModelAliasEntity } from '../data/model-alias.entity';
import type { ModelVersion } from '../data/model-version.entity';
import type { ModelServing } from '../serving/model-serving';
import { parseAlias, parseId, parseModelName, parseVersionNumber } from './model-input';
import { modelNotFound } from './model-not-found';
import { activeVersionQuery } from './model.service';
import type { ModelsConfig } from './models-config';
import { prepareInputs, presentOutputs, type PredictionOutput, type PredictTensorInput } from './predict-input';
import { sha256Hex } from './model-registry.service';
import { inferenceLimitsOf } from '../serving/inference-limits';
import { modelKeys } from '../data/model-keys';

export interface PredictInput {
  modelId?: string | null;
  modelName?: string | null;
  version?: number | null;
  alias?: string | null;
  inputs: PredictTensorInput[];
}

export interface Prediction {
  outputs: PredictionOutput[];
  modelVersion: ModelVersion;
  batchSize: number;
  latencyMs: number;
}

interface ServingTarget {
  version: ModelVersion;
  batching: { maxBatchSize: number; maxDelayMs: number } | false;
  timeoutMs: number;
}

/**
 * `predict`: resolve the model version inside the caller's tenant (by version number or alias,
 * read on every call so an alias move takes effect at once), validate the inputs against its
 * signature, and run it in the tenant's own inference pool — within the tenant's prediction quotas
 * (per minute, in flight, queued: QUOTA_EXCEEDED before anything is queued) and with its pool sized
 * by its limits (processes, threads, memory per process). The pool loads the model through
 * `load()` — decrypted from the tenant's bucket with the tenant's key and checked against the
 * stored sha256 — only when no process of that pool has the session yet.
 * Permission: read. Viewers may call models (serving is what they consume); writing versions,
 * moving aliases and downloading the model file need data_scientist.
 */
export class PredictionService {
  constructor(
    private readonly scope: TenantScope,
    private readonly serving: ModelServing | undefined,
    private readonly config: ModelsConfig,
  ) {}

  async predict(input: PredictInput): Promise<Prediction> {
    assertPermission(this.scope.principal, 'read');
    const target = await this.resolve(input);
    const prepared = prepareInputs(target.version.inputs, input.inputs ?? [], this.config.predict);
    if (!this.serving) throw errors.unavailable('Inference is not enabled in this process.');
    const { version } = target;
    const tenant = this.scope.tenant;
    // Read from the tenant record on every call: a setTenantLimits change applies to the next call.
    const limits = inferenceLimitsOf(tenant, this.serving.pools);
    // Quotas before any work is queued. The local checks (in flight, queue) come first so a call
    // they refuse does not use up one of the tenant's predictions of the minute.
    this.serving.pools.assertAdmissible(tenant.id, tenant.tier, limits);
    // A tenant past its monthly inference budget gets no new predictions (other reads still work).
    await this.serving.budgets.assertWithin(tenant.id, ['inferenceMs']);
    await this.serving.predictionsPerMinute.take(tenant.id, tenant.limits.predictionsPerMinute);
    const started = performance.now();
    const record = (ok: boolean, batchSize: number, errorCode?: string) =>
      this.serving!.stats.record({
        principal: this.scope.principal,
        tenantId: tenant.id,
        modelId: version.modelId,
        versionId: version.id,
        rows: prepared.rows,
        batchSize,
        latencyMs: performance.now() - started,
        ok,
        errorCode,
      });
    try {
      const result = await this.serving.pools.predict({
        tenantId: tenant.id,
        tier: tenant.tier,
        modelKey: `${version.id}:${version.sha256}`,
        load: () => this.loadBytes(version),
        inputs: prepared.tensors,
        batching: target.batching,
        timeoutMs: target.timeoutMs,
        limits,
      });
      record(true, result.batchSize);
      return { outputs: presentOutputs(version.outputs, result.outputs), modelVersion: version, batchSize: result.batchSize, latencyMs: result.latencyMs };
    } catch (error) {
      record(false, 0, isTesseraError(error) ? error.code : 'INTERNAL_SERVER_ERROR');
      throw error;
    }
  }

  /** One query: the version (by number or through the alias) of an ACTIVE model, with the model's serving config. */
  private async resolve(input: PredictInput): Promise<ServingTarget> {
    const byId = input.modelId !== undefined && input.modelId !== null;
    const byName = input.modelName !== undefined && input.modelName !== null;
    if (byId === byName) throw errors.badInput('Give exactly one of modelId and modelName.', { field: 'modelId' });
    const byNumber = input.version !== undefined && input.version !== null;
    const byAlias = input.alias !== undefined && input.alias !== null;
    if (byNumber === byAlias) throw errors.badInput('Give exactly one of version and alias.', { field: 'version' });
    const modelHandle = byId ? parseId(input.modelId!, 'modelId') : parseModelName(input.modelName!, 'modelName');
    const versionHandle = byNumber ? parseVersionNumber(input.version!) : parseAlias(input.alias!);

    const { entities, raw } = await this.scope.db((manager) => {
      const query = activeVersionQuery(manager)
        .addSelect(['m.id', 'm.servingBatching', 'm.servingMaxBatchSize', 'm.servingMaxDelayMs', 'm.servingTimeoutMs'])
        .where(byId ? 'm.id = :model' : 'm.name = :model', { model: modelHandle });
      if (byNumber) query.andWhere('v.number = :number', { number: versionHandle });
      else query.innerJoin(ModelAliasEntity.options.name, 'a', 'a.versionId = v.id AND a.modelId = m.id AND a.alias = :alias', { alias: versionHandle });
      return query.getRawAndEntities();
    });
    const version = entities[0];
    const row = raw[0] as Record<string, unknown> | undefined;
    if (!version || !row) {
      throw await modelNotFound(this.scope, byNumber ? 'ModelVersion' : 'ModelAlias', `${modelHandle}${byNumber ? `@${versionHandle}` : `:${versionHandle}`}`);
    }
    const batchingOn = Boolean(Number(row['m_serving_batching']));
    const maxBatchSize = Number(row['m_serving_max_batch_size']);
    return {
      version,
      batching: batchingOn && maxBatchSize > 1 ? { maxBatchSize, maxDelayMs: Number(row['m_serving_max_delay_ms']) } : false,
      timeoutMs: Number(row['m_serving_timeout_ms']),
    };
  }

  private async loadBytes(version: ModelVersion): Promise<Uint8Array> {
    const bytes = await this.scope.bucket.getDecryptedBuffer(version.objectKey, modelKeys(this.scope).resolver(version.modelId));
    // Decryption already authenticates every chunk; the checksum also proves it is *this* version's file.
    if (sha256Hex(bytes) !== version.sha256) throw new Error(`model object ${version.objectKey} does not match the version's sha256`);
    return bytes;
  }
}

