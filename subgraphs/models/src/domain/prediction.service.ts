import { webcrypto } from 'node:crypto';
import { assertPermission } from '@tessera/auth';
import { errors, isTesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import { ModelAliasEntity } from '../data/model-alias.entity';
import type { ModelVersion } from '../data/model-version.entity';
import type { ModelServing } from '../serving/model-serving';
import { parseAlias, parseId, parseModelName, parseVersionNumber } from './model-input';
import { modelHandleNotFound, modelNotFound } from './model-not-found';
import { activeVersionQuery } from './model.service';
import type { ModelsConfig } from './models-config';
import { prepareInputs, presentOutputs, type PredictionOutput, type PredictTensorInput, type PreparedInputs } from './predict-input';
import type { ServingTarget } from './serving-target';
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

/** A parsed predict handle; `key` names it in the tenant's resolution cache. */
interface Handle {
  byId: boolean;
  model: string;
  byNumber: boolean;
  version: string | number;
  key: string;
}

/**
 * `predict`: resolve the model version inside the caller's tenant (by version number or alias),
 * validate the inputs against its signature, and run it in the tenant's own inference pool —
 * within the tenant's prediction quotas (per minute, in flight, queued: QUOTA_EXCEEDED before
 * anything is queued) and with its pool sized by its limits (processes, threads, memory per
 * process). The pool loads the model through `load()` — decrypted from the tenant's bucket with
 * the tenant's key and checked against the stored sha256 — only when no process of that pool has
 * the session yet.
 *
 * No database on a warm call: the resolution is cached per tenant and used only when Redis, in
 * the one script that also counts the prediction, confirms the tenant's serving generation has
 * not moved since it was read (model-resolution-cache.ts) — so an alias moved on any replica is
 * used by the very next call here.
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
    const handle = parseHandle(input);
    if (!this.serving) {
      // A schema-only build: the same answers for bad handles and inputs, then no inference.
      const target = await this.resolve(handle);
      prepareInputs(target.version.inputs, input.inputs ?? [], this.config.predict);
      throw errors.unavailable('Inference is not enabled in this process.');
    }
    const serving = this.serving;
    const tenant = this.scope.tenant;
    // Read from the tenant record on every call: a setTenantLimits change applies to the next call.
    const limits = inferenceLimitsOf(tenant, serving.pools);
    // Quotas before any work is queued. The local checks (in flight, queue) come first so a call
    // they refuse does not use up one of the tenant's predictions of the minute.
    serving.pools.assertAdmissible(tenant.id, tenant.tier, limits);
    // A tenant past its monthly inference budget gets no new predictions (other reads still work).
    await serving.budgets.assertWithin(tenant.id, ['inferenceMs']);
    // No call is answered unless its stats and audit can wait durably in the prediction log: while
    // the database does not take them, the log's backlog is bounded here, before anything runs.
    serving.stats.assertRoom(tenant.id);
    const { target, prepared } = await this.admit(handle, input.inputs ?? [], tenant.limits.predictionsPerMinute);
    const { version } = target;
    const started = performance.now();
    const record = (ok: boolean, batchSize: number, errorCode?: string) =>
      serving.stats.record({
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
      const result = await serving.pools.predict({
        tenantId: tenant.id,
        tier: tenant.tier,
        modelKey: `${version.id}:${version.sha256}`,
        load: () => this.loadBytes(version),
        inputs: prepared.tensors,
        batching: target.batching,
        timeoutMs: target.timeoutMs,
        limits,
        // The typed arrays themselves: `data` / `dataBase64` are made from them only if selected.
        outputData: 'typed',
      });
      record(true, result.batchSize);
      return { outputs: presentOutputs(version.outputs, result.outputs), modelVersion: version, batchSize: result.batchSize, latencyMs: result.latencyMs };
    } catch (error) {
      record(false, 0, isTesseraError(error) ? error.code : 'INTERNAL_SERVER_ERROR');
      throw error;
    }
  }

  /**
   * Resolves the handle, validates the inputs and counts the prediction of the minute, in as few
   * round trips as the cache allows:
   * - warm: one Redis script (generation unchanged → counted), no database;
   * - cold or changed: the generation (read before the database, so a change committed meanwhile
   *   moves it past the tag), the database, then the count.
   * Nothing is counted for a call refused for its handle or inputs.
   */
  private async admit(handle: Handle, given: PredictTensorInput[], perMinute: number): Promise<{ target: ServingTarget; prepared: PreparedInputs }> {
    const serving = this.serving!;
    const tenantId = this.scope.tenant.id;
    const cached = serving.resolutions.get(tenantId, handle.key);
    let generation: string | undefined;
    let counted = false;
    if (cached) {
      let prepared: PreparedInputs | undefined;
      let refusal: unknown;
      try {
        prepared = prepareInputs(cached.target.version.inputs, given, this.config.predict);
      } catch (error) {
        refusal = error;
      }
      // Bad inputs by the cached signature: only asks whether the signature is still current.
      const admission = await serving.predictionsPerMinute.admit(tenantId, perMinute, { expect: cached.generation, count: prepared !== undefined });
      if (admission.generation === cached.generation) {
        if (!prepared) throw refusal;
        return { target: cached.target, prepared };
      }
      generation = admission.generation;
      // Redis unreachable: counted here alone, and the cache cannot be trusted.
      counted = admission.kind === 'counted';
    } else {
      generation = (await serving.predictionsPerMinute.admit(tenantId, perMinute, { count: false })).generation;
    }
    const target = await this.resolve(handle);
    // Unknown generation (Redis unreachable): nothing is cached, every call reads the database.
    if (generation !== undefined) serving.resolutions.set(tenantId, generation, handle.key, target);
    const prepared = prepareInputs(target.version.inputs, given, this.config.predict);
    if (!counted) await serving.predictionsPerMinute.admit(tenantId, perMinute, { count: true });
    return { target, prepared };
  }

  /** One query: the version (by number or through the alias) of an ACTIVE model, with the model's serving config. */
  private async resolve(handle: Handle): Promise<ServingTarget> {
    const { entities, raw } = await this.scope.db((manager) => {
      const query = activeVersionQuery(manager)
        .addSelect(['m.id', 'm.servingBatching', 'm.servingMaxBatchSize', 'm.servingMaxDelayMs', 'm.servingTimeoutMs'])
        .where(handle.byId ? 'm.id = :model' : 'm.name = :model', { model: handle.model });
      if (handle.byNumber) query.andWhere('v.number = :number', { number: handle.version });
      else query.innerJoin(ModelAliasEntity.options.name, 'a', 'a.versionId = v.id AND a.modelId = m.id AND a.alias = :alias', { alias: handle.version });
      return query.getRawAndEntities();
    });
    const version = entities[0];
    const row = raw[0] as Record<string, unknown> | undefined;
    if (!version || !row) {
      const kind = handle.byNumber ? 'ModelVersion' : 'ModelAlias';
      const text = `${handle.model}${handle.byNumber ? `@${handle.version}` : `:${handle.version}`}`;
      throw handle.byId ? await modelHandleNotFound(this.scope, kind, handle.model, text) : await modelNotFound(this.scope, kind, text);
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
    // Typed: an untyped error here was read as storage trouble (SERVICE_UNAVAILABLE, "retry later"),
    // which retrying never mends. The message names no object key.
    // Hashed off the event loop (webcrypto runs the digest on libuv's pool): a file of 100 MiB took
    // ~120 ms of the loop every tenant's predictions share, at every session load.
    if (Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex') !== version.sha256) {
      throw errors.dataCorrupted(`The file of model version ${version.number} does not match the sha256 it was registered with: it was altered in the object store. Nothing was run; upload the version again.`);
    }
    return bytes;
  }
}

function parseHandle(input: PredictInput): Handle {
  const byId = input.modelId !== undefined && input.modelId !== null;
  const byName = input.modelName !== undefined && input.modelName !== null;
  if (byId === byName) throw errors.badInput('Give exactly one of modelId and modelName.', { field: 'modelId' });
  const byNumber = input.version !== undefined && input.version !== null;
  const byAlias = input.alias !== undefined && input.alias !== null;
  if (byNumber === byAlias) throw errors.badInput('Give exactly one of version and alias.', { field: 'version' });
  const model = byId ? parseId(input.modelId!, 'modelId') : parseModelName(input.modelName!, 'modelName');
  const version = byNumber ? parseVersionNumber(input.version!) : parseAlias(input.alias!);
  // Parsed values only (a name is normalised by parseModelName), so two spellings of one handle share an entry.
  return { byId, model, byNumber, version, key: `${byId ? 'id' : 'name'}\u0000${model}\u0000${byNumber ? 'number' : 'alias'}\u0000${version}` };
}
