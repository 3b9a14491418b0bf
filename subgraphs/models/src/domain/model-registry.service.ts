import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { TenantQuotas, type Reservation } from '@tessera/quotas';
import { isDuplicateKey } from '@tessera/service-kit';
import { objectKey, storedSizeOf } from '@tessera/storage';
import type { TenantScope } from '@tessera/tenancy';
import { ModelVersionEntity, type ModelVersion } from '../data/model-version.entity';
import { ModelEntity, type Model } from '../data/model.entity';
import type { StoredModelInfo } from '../data/tensor-signature';
import { parseId, parseIdempotencyKey, parseModelName } from './model-input';
import { modelNotFound } from './model-not-found';
import { newModelRow } from './model-rows';
import { validateOnnx } from './onnx-validation';
import { modelKeys } from '../data/model-keys';

export interface ModelLineage {
  datasetVersionId?: string | null;
  jobId?: string | null;
}

export interface RegisterVersionInput {
  /** The model to add a version to; created (ACTIVE, default serving config) when missing. */
  modelName: string;
  onnx: Uint8Array;
  lineage?: ModelLineage;
  /** Same key twice for the same model → the version made the first time (a retried job after a crash). */
  idempotencyKey?: string | null;
}

export interface RegisteredVersion {
  model: Model;
  version: ModelVersion;
  /** False when the idempotency key matched an existing version and nothing was written. */
  created: boolean;
}

/** What a stored, validated ONNX object contributes to a version row. */
export interface StoredOnnx {
  objectKey: string;
  byteSize: number;
  storedSize: number;
  sha256: string;
  keyVersion: number;
  info: StoredModelInfo;
}

/**
 * The registry's write path for new versions, shared by the upload flow (a user's own file)
 * and the training worker (a model it trained). A version is numbered and inserted in the same
 * transaction that locks its model row, so numbers are unique and never reused, and its audit
 * event commits with it. Bytes are validated and the quotas reserved before anything is stored:
 * a version over quota is QUOTA_EXCEEDED with no model, no row and no object written.
 */
export class ModelRegistry {
  constructor(private readonly scope: TenantScope) {}

  async registerVersion(input: RegisterVersionInput): Promise<RegisteredVersion> {
    assertPermission(this.scope.principal, 'write');
    const modelName = parseModelName(input.modelName, 'modelName');
    const idempotencyKey = parseIdempotencyKey(input.idempotencyKey);
    const lineage = parseLineage(input.lineage);
    const bytes = Buffer.from(input.onnx.buffer, input.onnx.byteOffset, input.onnx.byteLength);
    const limit = this.scope.tenant.limits.maxUploadBytes;
    if (bytes.length > limit) {
      throw errors.tooLarge(`The model is ${bytes.length} bytes; your tenant's upload limit is ${limit} bytes.`, { field: 'onnx', maxBytes: limit });
    }
    const info = validateOnnx(bytes, 'onnx');

    const existingModel = await this.findModel(modelName);
    if (existingModel && idempotencyKey) {
      const existing = await this.scope.db((manager) => manager.getRepository(ModelVersionEntity).findOneBy({ modelId: existingModel.id, idempotencyKey }));
      if (existing) return { model: existingModel, version: existing, created: false };
    }

    // Everything the version will count is reserved before anything is written, so a refusal
    // leaves no model, no row and no object.
    const quotas = new TenantQuotas(this.scope);
    const held: Reservation[] = [];
    const hold = async (reservation: Promise<Reservation>) => {
      const taken = await reservation;
      held.push(taken);
      return taken;
    };
    let key: string | undefined;
    try {
      const versionSlot = await hold(quotas.reserve('modelVersions', 1));
      const modelSlot = existingModel ? undefined : await hold(quotas.reserve('models', 1));
      const storage = await hold(quotas.reserve('storageBytes', storedSizeOf(bytes.length)));
      const model = existingModel ?? (await this.createModel(modelName, modelSlot!));
      const versionId = randomUUID();
      const versionKey = objectKey('models', model.id, `${versionId}.onnx`);
      key = versionKey;
      const keys = modelKeys(this.scope);
      const stored = await this.scope.bucket.putEncryptedBuffer(versionKey, bytes, await keys.forWriting(model.id));
      // A rotation of the model's key may have destroyed the version this write began under.
      await keys.assertStillHeld(model.id, stored.keyVersion);
      const version = await this.scope.transaction((manager) =>
        insertNextVersion(manager, this.scope, model.id, {
          id: versionId,
          stored: { objectKey: versionKey, byteSize: bytes.length, storedSize: stored.storedSize, sha256: sha256Hex(bytes), keyVersion: stored.keyVersion, info },
          lineage,
          idempotencyKey,
          reserved: { versionSlot, storage },
        }),
      );
      return { model, version, created: true };
    } catch (error) {
      if (key) await this.scope.bucket.remove(key).catch(() => undefined);
      // Committed reservations are gone already; releasing them again changes nothing.
      for (const reservation of held) await reservation.release().catch(() => undefined);
      // Two workers retrying the same job at once: the loser returns the winner's version.
      if (idempotencyKey && isDuplicateKey(error)) {
        const model = await this.findModel(modelName);
        const existing = model ? await this.scope.db((manager) => manager.getRepository(ModelVersionEntity).findOneBy({ modelId: model.id, idempotencyKey })) : null;
        if (model && existing) return { model, version: existing, created: false };
      }
      throw error;
    }
  }

  private async findModel(name: string): Promise<Model | null> {
    const existing = await this.scope.db((manager) => manager.getRepository(ModelEntity).findOneBy({ name }));
    if (existing && existing.status !== 'ACTIVE') throw errors.conflict(`The model ${JSON.stringify(name)} is being deleted.`, { field: 'modelName' });
    return existing;
  }

  /** Creates the model, counted by the reservation made for it; another writer creating it at once wins and is used. */
  private async createModel(name: string, slot: Reservation): Promise<Model> {
    const model = newModelRow(this.scope.principal.subject, name, null);
    try {
      await this.scope.transaction(async (manager) => {
        await manager.getRepository(ModelEntity).insert(model);
        await recordResourceOwner(manager, this.scope.tenant.id, 'Model', model.id);
        await slot.commitWithin(manager);
        await recordAuditEvent(manager, this.scope.principal, { action: 'model.create', targetType: 'Model', targetId: model.id, details: { name } });
      });
      return model;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const winner = await this.findModel(name);
      if (!winner) throw error;
      await slot.release();
      return winner;
    }
  }
}

/**
 * Inserts the next version of a model inside the caller's transaction: locks the model row,
 * takes the next number from its counter, writes the version and its audit event. NOT_FOUND when
 * the model is gone or being deleted.
 */
export async function insertNextVersion(
  manager: EntityManager,
  scope: TenantScope,
  modelId: string,
  input: {
    id?: string;
    stored: StoredOnnx;
    lineage: ModelLineage;
    idempotencyKey: string | null;
    /**
     * What was reserved for this version (a model the registry wrote), committed with it. Without
     * it, the version is charged now and its bytes were counted already (an upload, when received).
     */
    reserved?: { versionSlot: Reservation; storage: Reservation };
    auditDetails?: Record<string, string | number | boolean | null>;
  },
): Promise<ModelVersion> {
  const model = await manager.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: modelId }).getOne();
  if (!model || model.status !== 'ACTIVE') throw await modelNotFound(scope, 'Model', modelId);
  const number = model.lastVersionNumber + 1;
  const { stored } = input;
  const version: ModelVersion = {
    id: input.id ?? randomUUID(),
    modelId,
    number,
    objectKey: stored.objectKey,
    byteSize: stored.byteSize,
    storedSize: stored.storedSize,
    sha256: stored.sha256,
    keyVersion: stored.keyVersion,
    irVersion: stored.info.irVersion,
    opsets: stored.info.opsets,
    producer: stored.info.producer,
    inputs: stored.info.inputs,
    outputs: stored.info.outputs,
    datasetVersionId: input.lineage.datasetVersionId ?? null,
    jobId: input.lineage.jobId ?? null,
    idempotencyKey: input.idempotencyKey,
    createdBy: scope.principal.subject,
    createdAt: new Date(),
  };
  await manager.getRepository(ModelVersionEntity).insert(version);
  await recordResourceOwner(manager, scope.tenant.id, 'ModelVersion', version.id);
  await manager.getRepository(ModelEntity).update({ id: modelId }, { lastVersionNumber: number, updatedAt: new Date() });
  if (input.reserved) {
    await input.reserved.versionSlot.commitWithin(manager);
    await input.reserved.storage.commitWithin(manager, stored.storedSize);
  } else {
    await new TenantQuotas(scope).charge(manager, { modelVersions: 1 });
  }
  await recordAuditEvent(manager, scope.principal, {
    action: 'model.version.create',
    targetType: 'ModelVersion',
    targetId: version.id,
    details: {
      modelId,
      number,
      bytes: version.byteSize,
      sha256: version.sha256,
      datasetVersionId: version.datasetVersionId,
      jobId: version.jobId,
      ...input.auditDetails,
    },
  });
  return version;
}

function parseLineage(lineage: ModelLineage | undefined): ModelLineage {
  return {
    datasetVersionId: lineage?.datasetVersionId ? parseId(lineage.datasetVersionId, 'lineage.datasetVersionId') : null,
    jobId: lineage?.jobId ? parseId(lineage.jobId, 'lineage.jobId') : null,
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
