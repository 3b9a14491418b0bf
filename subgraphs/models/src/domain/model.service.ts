import type { EntityManager } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas } from '@tessera/quotas';
import { isDuplicateKey, pageOf, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { ModelAliasEntity, type ModelAlias } from '../data/model-alias.entity';
import { ModelVersionEntity, type ModelVersion } from '../data/model-version.entity';
import { ModelEntity, servingConfigOf, type Model, type ServingConfig } from '../data/model.entity';
import { parseAlias, parseDescription, parseId, parseModelName, parseVersionNumber } from './model-input';
import { modelNotFound } from './model-not-found';
import { newModelRow } from './model-rows';

export interface ServingConfigInput {
  batching?: boolean | null;
  maxBatchSize?: number | null;
  maxDelayMs?: number | null;
  timeoutMs?: number | null;
}

export const servingLimits = { maxBatchSize: 1024, maxDelayMs: 100, minTimeoutMs: 10, maxTimeoutMs: 120_000 } as const;

/**
 * Models, their versions and aliases, always inside the caller's TenantScope. Each public method
 * begins with the permission it needs. Anything not in this tenant's schema — another tenant's id,
 * name, alias or version number, or a handle that never existed — is the same NOT_FOUND.
 */
export class ModelService {
  /**
   * `servingChanged`: called after a committed change that alters what predict resolves (aliases,
   * version and model deletes, serving settings), before the mutation answers, so every replica's
   * resolution cache sees it on its next call (see serving/serving-generations.ts).
   */
  constructor(
    private readonly scope: TenantScope,
    private readonly servingChanged?: (tenantId: string) => Promise<void>,
  ) {}

  private async announce(): Promise<void> {
    await this.servingChanged?.(this.scope.tenant.id);
  }

  async list(args: PageArgs): Promise<Connection<Model>> {
    assertPermission(this.scope.principal, 'inspect');
    return this.scope.db((manager) => pageOf(manager.getRepository(ModelEntity).createQueryBuilder('m').where("m.status = 'ACTIVE'"), 'm', args));
  }

  async get(id: string): Promise<Model> {
    assertPermission(this.scope.principal, 'inspect');
    const modelId = parseId(id, 'id');
    const model = await this.scope.db((manager) => manager.getRepository(ModelEntity).findOneBy({ id: modelId, status: 'ACTIVE' }));
    if (!model) throw await modelNotFound(this.scope, 'Model', modelId);
    return model;
  }

  async getByName(value: string): Promise<Model> {
    assertPermission(this.scope.principal, 'inspect');
    const name = parseModelName(value);
    const model = await this.scope.db((manager) => manager.getRepository(ModelEntity).findOneBy({ name, status: 'ACTIVE' }));
    if (!model) throw await modelNotFound(this.scope, 'Model', name);
    return model;
  }

  async create(input: { name: string; description?: string | null }): Promise<Model> {
    assertPermission(this.scope.principal, 'write');
    const model = newModelRow(this.scope.principal.subject, parseModelName(input.name), parseDescription(input.description));
    try {
      await this.scope.transaction(async (manager) => {
        await manager.getRepository(ModelEntity).insert(model);
        await recordResourceOwner(manager, this.scope.tenant.id, 'Model', model.id);
        await new TenantQuotas(this.scope).charge(manager, { models: 1 });
        await recordAuditEvent(manager, this.scope.principal, { action: 'model.create', targetType: 'Model', targetId: model.id, details: { name: model.name } });
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict(`A model named ${JSON.stringify(model.name)} already exists.`, { field: 'name' });
      throw error;
    }
    return model;
  }

  /**
   * Refused (CONFLICT) while any alias points at one of its versions: a model that is serving
   * `production` is not deleted by accident; remove the aliases first. Hides the model
   * (DELETING), removes its objects, then its rows; calling again finishes a half-done delete.
   */
  async delete(id: string): Promise<{ id: string; deletedVersions: number; deletedObjects: number }> {
    assertPermission(this.scope.principal, 'administer');
    const modelId = parseId(id, 'id');
    const versionCount = await this.scope.transaction(async (manager) => {
      const model = await this.lockModel(manager, modelId, { allowDeleting: true });
      const aliases = await manager.getRepository(ModelAliasEntity).findBy({ modelId });
      if (aliases.length > 0) {
        throw errors.conflict(`The model still has aliases (${aliases.map((a) => a.alias).sort().join(', ')}); remove them before deleting it.`, {
          modelId,
          aliases: aliases.map((a) => a.alias).sort(),
        });
      }
      if (model.status === 'ACTIVE') await manager.getRepository(ModelEntity).update({ id: modelId }, { status: 'DELETING', updatedAt: new Date() });
      return manager.getRepository(ModelVersionEntity).countBy({ modelId });
    });
    // DELETING hides the model from predict from now on, on every replica, before its files go.
    await this.announce();
    const deletedObjects = await this.scope.bucket.removePrefix(`models/${modelId}/`);
    await this.scope.transaction(async (manager) => {
      // Deletes sent at once all find the row DELETING and go on; the first to get here deletes it.
      // The others are NOT_FOUND, as a delete sent afterwards is: no second event, no second answer
      // claiming the versions.
      const [still] = (await manager.query('SELECT id FROM models WHERE id = ? FOR UPDATE', [modelId])) as unknown[];
      if (!still) throw errors.notFound('Model', modelId);
      await giveBackModelQuota(manager, new TenantQuotas(this.scope), modelId);
      await manager.getRepository(ModelEntity).delete({ id: modelId });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.delete',
        targetType: 'Model',
        targetId: modelId,
        details: { versions: versionCount, objects: deletedObjects },
      });
    });
    return { id: modelId, deletedVersions: versionCount, deletedObjects };
  }

  async updateServing(id: string, input: ServingConfigInput): Promise<Model> {
    assertPermission(this.scope.principal, 'write');
    const modelId = parseId(id, 'modelId');
    const patch = parseServingPatch(input);
    const updated = await this.scope.transaction(async (manager) => {
      const model = await this.lockModel(manager, modelId);
      const before = servingConfigOf(model);
      const updated: Model = { ...model, ...patch, updatedAt: new Date() };
      await manager.getRepository(ModelEntity).update({ id: modelId }, { ...patch, updatedAt: updated.updatedAt });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.serving.update',
        targetType: 'Model',
        targetId: modelId,
        details: { ...prefixed('from', before), ...prefixed('to', servingConfigOf(updated)) },
      });
      return updated;
    });
    await this.announce();
    return updated;
  }

  async listVersions(modelId: string, args: PageArgs): Promise<Connection<ModelVersion>> {
    assertPermission(this.scope.principal, 'inspect');
    return this.scope.db((manager) => pageOf(manager.getRepository(ModelVersionEntity).createQueryBuilder('v').where('v.modelId = :modelId', { modelId }), 'v', args));
  }

  async versionCount(modelId: string): Promise<number> {
    return this.scope.db((manager) => manager.getRepository(ModelVersionEntity).countBy({ modelId }));
  }

  async latestVersion(modelId: string): Promise<ModelVersion | null> {
    return this.scope.db((manager) => manager.getRepository(ModelVersionEntity).findOne({ where: { modelId }, order: { number: 'DESC' } }));
  }

  async getVersion(id: string): Promise<ModelVersion> {
    assertPermission(this.scope.principal, 'inspect');
    const versionId = parseId(id, 'id');
    const version = await this.scope.db((manager) => activeVersionQuery(manager).where('v.id = :id', { id: versionId }).getOne());
    if (!version) throw await modelNotFound(this.scope, 'ModelVersion', versionId);
    return version;
  }

  async getVersionByNumber(modelId: string, value: number): Promise<ModelVersion> {
    assertPermission(this.scope.principal, 'inspect');
    const number = parseVersionNumber(value, 'number');
    const version = await this.scope.db((manager) => manager.getRepository(ModelVersionEntity).findOneBy({ modelId, number }));
    if (!version) throw await modelNotFound(this.scope, 'ModelVersion', `${modelId}@${number}`);
    return version;
  }

  async aliasesOfModel(modelId: string): Promise<ModelAlias[]> {
    assertPermission(this.scope.principal, 'inspect');
    return this.scope.db((manager) => manager.getRepository(ModelAliasEntity).find({ where: { modelId }, order: { alias: 'ASC' } }));
  }

  async aliasesOfVersion(versionId: string): Promise<string[]> {
    assertPermission(this.scope.principal, 'inspect');
    const rows = await this.scope.db((manager) => manager.getRepository(ModelAliasEntity).find({ where: { versionId }, order: { alias: 'ASC' } }));
    return rows.map((row) => row.alias);
  }

  /**
   * Points `alias` at version `number` in one statement (insert or move), audited in the same
   * transaction. Announced before answering, so the very next predict by alias, on any replica,
   * uses the new version; calls already running finish on the one they resolved.
   */
  async setAlias(input: { modelId: string; alias: string; version: number }): Promise<ModelAlias> {
    assertPermission(this.scope.principal, 'write');
    const modelId = parseId(input.modelId, 'modelId');
    const alias = parseAlias(input.alias);
    const number = parseVersionNumber(input.version);
    const set = await this.scope.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      // Shared lock on the version: a concurrent deleteModelVersion waits, then sees this alias.
      const version = await manager
        .getRepository(ModelVersionEntity)
        .createQueryBuilder('v')
        .setLock('pessimistic_write')
        .where('v.modelId = :modelId AND v.number = :number', { modelId, number })
        .getOne();
      if (!version) throw await modelNotFound(this.scope, 'ModelVersion', `${modelId}@${number}`);
      const previous = await manager.getRepository(ModelAliasEntity).createQueryBuilder('a').setLock('pessimistic_write').where('a.modelId = :modelId AND a.alias = :alias', { modelId, alias }).getOne();
      const row: ModelAlias = { modelId, alias, versionId: version.id, updatedBy: this.scope.principal.subject, updatedAt: new Date() };
      await manager.query(
        `INSERT INTO model_aliases (model_id, alias, version_id, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE version_id = VALUES(version_id), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`,
        [row.modelId, row.alias, row.versionId, row.updatedBy, row.updatedAt],
      );
      let fromNumber: number | null = null;
      if (previous) fromNumber = (await manager.getRepository(ModelVersionEntity).findOneBy({ id: previous.versionId }))?.number ?? null;
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.alias.set',
        targetType: 'Model',
        targetId: modelId,
        details: { alias, fromVersion: fromNumber, toVersion: number, versionId: version.id },
      });
      return row;
    });
    await this.announce();
    return set;
  }

  async removeAlias(input: { modelId: string; alias: string }): Promise<{ modelId: string; alias: string; versionNumber: number }> {
    assertPermission(this.scope.principal, 'write');
    const modelId = parseId(input.modelId, 'modelId');
    const alias = parseAlias(input.alias);
    const removed = await this.scope.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      const row = await manager.getRepository(ModelAliasEntity).createQueryBuilder('a').setLock('pessimistic_write').where('a.modelId = :modelId AND a.alias = :alias', { modelId, alias }).getOne();
      if (!row) throw await modelNotFound(this.scope, 'ModelAlias', `${modelId}:${alias}`);
      const version = await manager.getRepository(ModelVersionEntity).findOneBy({ id: row.versionId });
      await manager.getRepository(ModelAliasEntity).delete({ modelId, alias });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.alias.remove',
        targetType: 'Model',
        targetId: modelId,
        details: { alias, fromVersion: version?.number ?? null },
      });
      return { modelId, alias, versionNumber: version?.number ?? 0 };
    });
    await this.announce();
    return removed;
  }

  /** CONFLICT while an alias points at the version (move or remove the alias first). */
  async deleteVersion(id: string): Promise<{ id: string; modelId: string; number: number }> {
    assertPermission(this.scope.principal, 'administer');
    const versionId = parseId(id, 'id');
    // Its model's row is locked before the version's, the order setAlias, removeAlias and new
    // versions take them in: the other order deadlocked against a setAlias on the same version.
    // The model id is read outside the transaction (it never changes), so the alias check below
    // reads after the locks are held and sees an alias set just before.
    const owner = await this.scope.db((manager) => manager.getRepository(ModelVersionEntity).findOne({ select: { id: true, modelId: true }, where: { id: versionId } }));
    if (!owner) throw await modelNotFound(this.scope, 'ModelVersion', versionId);
    const version = await this.scope.transaction(async (manager) => {
      const model = await manager.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: owner.modelId }).getOne();
      const found = model?.status === 'ACTIVE' ? await manager.getRepository(ModelVersionEntity).createQueryBuilder('v').setLock('pessimistic_write').where('v.id = :id', { id: versionId }).getOne() : null;
      if (!found) throw await modelNotFound(this.scope, 'ModelVersion', versionId);
      const aliases = await manager.getRepository(ModelAliasEntity).findBy({ versionId });
      if (aliases.length > 0) {
        const names = aliases.map((a) => a.alias).sort();
        throw errors.conflict(`Version ${found.number} is aliased as ${names.join(', ')}; move or remove the alias first.`, { versionId, aliases: names });
      }
      await manager.getRepository(ModelVersionEntity).delete({ id: versionId });
      await new TenantQuotas(this.scope).refund(manager, { modelVersions: 1, storageBytes: found.storedSize });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.version.delete',
        targetType: 'ModelVersion',
        targetId: versionId,
        details: { modelId: found.modelId, number: found.number, objectKey: found.objectKey },
      });
      return found;
    });
    await this.announce();
    // After the commit: a failed removal leaves an unreferenced object, never a version without its file.
    await this.scope.bucket.remove(version.objectKey);
    return { id: versionId, modelId: version.modelId, number: version.number };
  }

  private async lockModel(manager: EntityManager, modelId: string, options: { allowDeleting?: boolean } = {}): Promise<Model> {
    const model = await manager
      .getRepository(ModelEntity)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.id = :id', { id: modelId })
      .getOne();
    if (!model || (model.status !== 'ACTIVE' && !options.allowDeleting)) throw await modelNotFound(this.scope, 'Model', modelId);
    return model;
  }
}

/**
 * Refunds what a model's rows counted, just before they are deleted (same transaction): the model,
 * its versions, and the bytes of its versions and of uploads received but never completed (their
 * objects share the model's prefix); pending uploads release their reservations. Nothing when a
 * concurrent delete already removed the row.
 */
async function giveBackModelQuota(manager: EntityManager, quotas: TenantQuotas, modelId: string): Promise<void> {
  const [model] = (await manager.query('SELECT id FROM models WHERE id = ? FOR UPDATE', [modelId])) as Array<{ id: string }>;
  if (!model) return;
  // Upload rows before quota rows, the order a finishing upload takes them in (row, then quota).
  const pending = (await manager.query(`SELECT id FROM model_uploads WHERE model_id = ? AND status IN ('PENDING', 'RECEIVING') FOR UPDATE`, [modelId])) as Array<{ id: string }>;
  const [counted] = (await manager.query(
    `SELECT (SELECT COUNT(*) FROM model_versions WHERE model_id = ?) AS versions,
            (SELECT COALESCE(SUM(stored_size), 0) FROM model_versions WHERE model_id = ?)
          + (SELECT COALESCE(SUM(stored_size), 0) FROM model_uploads WHERE model_id = ? AND status = 'UPLOADED') AS bytes`,
    [modelId, modelId, modelId],
  )) as Array<{ versions: string | number; bytes: string | number }>;
  await quotas.refund(manager, { models: 1, modelVersions: Number(counted?.versions ?? 0), storageBytes: Number(counted?.bytes ?? 0) });
  for (const upload of pending) await quotas.reservation(upload.id, 'storageBytes').release(manager);
}

/** Versions whose model is ACTIVE (a model being deleted has no readable versions). */
export function activeVersionQuery(manager: EntityManager) {
  return manager.getRepository(ModelVersionEntity).createQueryBuilder('v').innerJoin(ModelEntity.options.name, 'm', "m.id = v.modelId AND m.status = 'ACTIVE'");
}

function parseServingPatch(input: ServingConfigInput): Partial<Pick<Model, 'servingBatching' | 'servingMaxBatchSize' | 'servingMaxDelayMs' | 'servingTimeoutMs'>> {
  const patch: Partial<Pick<Model, 'servingBatching' | 'servingMaxBatchSize' | 'servingMaxDelayMs' | 'servingTimeoutMs'>> = {};
  const intIn = (value: number, field: string, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw errors.badInput(`${field} must be an integer between ${min} and ${max}.`, { field });
    return value;
  };
  if (input.batching !== undefined && input.batching !== null) patch.servingBatching = input.batching;
  if (input.maxBatchSize !== undefined && input.maxBatchSize !== null) patch.servingMaxBatchSize = intIn(input.maxBatchSize, 'maxBatchSize', 1, servingLimits.maxBatchSize);
  if (input.maxDelayMs !== undefined && input.maxDelayMs !== null) patch.servingMaxDelayMs = intIn(input.maxDelayMs, 'maxDelayMs', 0, servingLimits.maxDelayMs);
  if (input.timeoutMs !== undefined && input.timeoutMs !== null) patch.servingTimeoutMs = intIn(input.timeoutMs, 'timeoutMs', servingLimits.minTimeoutMs, servingLimits.maxTimeoutMs);
  if (Object.keys(patch).length === 0) throw errors.badInput('Give at least one of batching, maxBatchSize, maxDelayMs, timeoutMs.', { field: 'input' });
  return patch;
}

function prefixed(prefix: string, config: ServingConfig): Record<string, number | boolean> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [`${prefix}${key[0]!.toUpperCase()}${key.slice(1)}`, value])) as Record<string, number | boolean>;
}
