import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parsePortTimeRange, parseUuid, reencryptTableObjects, FamilyKeyOperations, modelKeyFamily, type PortMethods, type PublishedPort } from '@tessera/service-kit';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import { readFirstPredictionMinute, readModelMinutes, readPredictionMinutes } from '../data/inference-stats.repository';
import { maxInferenceMinuteRows, maxInferenceReadSeconds, modelsPortCallers, type InferenceMinuteStats, type ModelsPort, type ModelTensorForJob, type ModelVersionForJob } from './models-port';

const day = 24 * 3600 * 1000;

/**
 * The models port over this service's own tables, entered through the actor's TenantScope.
 * `inferenceReadSeconds`: the database time one inferenceMinutes read may take (default
 * `maxInferenceReadSeconds`; tests that wait for the limit shorten it).
 */
export function createModelsPort(scopes: TenantScopeFactory, options: { inferenceReadSeconds?: number | undefined } = {}): ModelsPort {
  const readSeconds = options.inferenceReadSeconds ?? maxInferenceReadSeconds;
  const familyKeys = new FamilyKeyOperations(scopes, modelKeyFamily);
  return {
    async findVersionForJob(actor, input) {
      assertPermission(actor, 'read');
      const id = parseUuid(input.modelVersionId, 'modelVersionId');
      const scope = await scopes.forPrincipal(actor);
      const version = await versionWhere(scope, 'v.id = ?', [id]);
      if (!version) throw errors.notFound('ModelVersion', id);
      return version;
    },

    async findAliasForJob(actor, input) {
      assertPermission(actor, 'read');
      const modelId = parseUuid(input.modelId, 'modelId');
      const alias = String(input.alias);
      const scope = await scopes.forPrincipal(actor);
      const models = (await scope.db((manager) => manager.query(`SELECT id FROM models WHERE id = ? AND status = 'ACTIVE'`, [modelId]))) as unknown[];
      if (models.length === 0) throw errors.notFound('Model', modelId);
      const version = await versionWhere(scope, 'v.id = (SELECT a.version_id FROM model_aliases a WHERE a.model_id = ? AND a.alias = ?)', [modelId, alias]);
      if (!version) throw errors.notFound('ModelAlias', `${modelId}@${alias}`);
      return version;
    },

    async inferenceMinutes(actor, input) {
      assertPermission(actor, 'read');
      const modelId = parseUuid(input.modelId, 'modelId');
      const granularity = input.granularity ?? 'MINUTE';
      if (granularity !== 'MINUTE' && granularity !== 'HOUR') throw errors.badInput('granularity must be MINUTE or HOUR.', { field: 'granularity' });
      // The metrics service asks from the start of the minute (hour) its `from` falls in, so 31
      // days from a `from` inside one reach up to a minute (an hour) further back.
      const { from, to } = parsePortTimeRange(input, 31 * day + (granularity === 'HOUR' ? 3600_000 : 60_000));
      const scope = await scopes.forPrincipal(actor);
      return scope.db(async (manager) => {
        const models = (await manager.query(`SELECT id FROM models WHERE id = ? AND status = 'ACTIVE'`, [modelId])) as unknown[];
        if (models.length === 0) throw errors.notFound('Model', modelId);
        const rows = await readModelMinutes(manager, modelId, from, to, maxInferenceMinuteRows + 1, granularity, readSeconds);
        // Every row becomes an object here, in the metrics service and at the gateway: a month of
        // one version called every minute (44 640 rows) took 24 s to answer on the test platform
        // and held another tenant's request for 20 s of it. A range holding more rows than one
        // answer may carry is refused rather than cut short, so every answer's totals are whole.
        if (rows.length > maxInferenceMinuteRows) {
          const unit = granularity === 'HOUR' ? 'hour' : 'minute';
          throw errors.badInput(`This range holds more than ${maxInferenceMinuteRows} ${unit}s of this model's numbers (one per version and ${unit} it was called); ask for a shorter range${granularity === 'HOUR' ? '' : ' or per HOUR'}.`, { field: 'from' });
        }
        const versions = (await manager.query('SELECT id, number FROM model_versions WHERE model_id = ?', [modelId])) as Array<{ id: string; number: number | string }>;
        const numbers = new Map(versions.map((v) => [String(v.id), Number(v.number)]));
        const minutes = rows.map((row): InferenceMinuteStats => ({ ...row, versionNumber: numbers.get(row.modelVersionId) ?? null }));
        // Within a minute, versions by number; a deleted version (kept numbers, no number) first.
        return minutes.sort((x, y) => Date.parse(x.minute) - Date.parse(y.minute) || (x.versionNumber ?? -1) - (y.versionNumber ?? -1));
      });
    },

    // The anomaly detector reads these as the tenant's system actor, which holds no role: the
    // answer is the tenant's own aggregate (no ids, no rows), and only the metrics service may ask.
    async predictionSeries(actor, input) {
      const { from, to } = parsePortTimeRange(input, 92 * day);
      const scope = await scopes.forPrincipal(actor);
      return scope.db((manager) => readPredictionMinutes(manager, from, to));
    },

    async predictionSeriesStart(actor) {
      const scope = await scopes.forPrincipal(actor);
      return scope.db((manager) => readFirstPredictionMinute(manager));
    },

    reencryptObjects: (actor, input) => reencryptTableObjects(scopes, actor, 'model_versions', input),
    familyKeyStatus: (actor, input) => familyKeys.status(actor, input),
    rotateFamilyKey: (actor, input) => familyKeys.rotate(actor, input),
    reencryptFamilyObjects: (actor, input) => familyKeys.reencrypt(actor, input),
    destroyFamilyKeyVersion: (actor, input) => familyKeys.destroy(actor, input),

    async usageCounts(actor) {
      assertPermission(actor, 'read');
      const scope = await scopes.forPrincipal(actor);
      const rows = (await scope.db((manager) => manager.query('SELECT COUNT(*) AS n FROM models'))) as Array<{ n: number | string }>;
      return { models: Number(rows[0]?.n ?? 0) };
    },
  };
}

/** The models port as this service publishes it to other processes. */
export function publishedModelsPort(port: ModelsPort): PublishedPort<ModelsPort> {
  return { name: 'models', implementation: port as PortMethods<ModelsPort>, callers: modelsPortCallers };
}

async function versionWhere(scope: TenantScope, condition: string, params: unknown[]): Promise<ModelVersionForJob | undefined> {
  const rows = (await scope.db((manager) =>
    manager.query(
      `SELECT v.id, v.model_id, m.name AS model_name, v.number, v.object_key, v.sha256, v.inputs_json, v.outputs_json, v.job_id
         FROM model_versions v JOIN models m ON m.id = v.model_id AND m.status = 'ACTIVE'
        WHERE ${condition}`,
      params,
    ),
  )) as Array<Record<string, unknown>>;
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: String(row['id']),
    modelId: String(row['model_id']),
    modelName: String(row['model_name']),
    number: Number(row['number']),
    objectKey: String(row['object_key']),
    sha256: String(row['sha256']),
    inputs: tensors(row['inputs_json']),
    outputs: tensors(row['outputs_json']),
    jobId: row['job_id'] ? String(row['job_id']) : null,
  };
}

function tensors(value: unknown): ModelTensorForJob[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as ModelTensorForJob[] | null;
  return (list ?? []).map((t) => ({ name: t.name, elementType: t.elementType, shape: t.shape }));
}
