import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { assertDeclaredLength, claimStagedUpload, isDuplicateKey, markStagedUploadFailed, parseDeclaredUploadBytes } from '@tessera/service-kit';
import { TenantQuotas } from '@tessera/quotas';
import { objectKey, storedSizeOf } from '@tessera/storage';
import type { TenantScope } from '@tessera/tenancy';
import { ModelUploadEntity, type ModelUpload } from '../data/model-upload.entity';
import type { ModelVersion } from '../data/model-version.entity';
import { ModelEntity } from '../data/model.entity';
import type { StoredModelInfo } from '../data/tensor-signature';
import { parseFilename, parseId, parseIdempotencyKey } from './model-input';
import { modelNotFound } from './model-not-found';
import { insertNextVersion } from './model-registry.service';
import type { ModelsConfig } from './models-config';
import { readExactly } from './read-exactly';
import { holdUploadMemory, isUploadHoldCut } from './upload-hold';
import type { OnnxValidator } from './onnx-validator';
import type { UploadMemoryBudget } from './upload-memory-budget';
import { modelKeys } from '../data/model-keys';

/** A pending upload's storage reservation outlives the upload URL by this much, so a PUT begun just before expiry can finish. */
const receiveGraceSeconds = 15 * 60;

export interface ReceivedModelUpload {
  uploadId: string;
  byteSize: number;
  sha256: string;
  info: StoredModelInfo;
}

/**
 * Staged uploads of a user's own ONNX file, the same design as datasets:
 * 1. `create` reserves an upload for an exact size within the tenant's upload limit, and its
 *    encrypted size in the storage quota (keyed by the upload id);
 * 2. `receive` takes the bytes once (PUT through the gateway), validates them as an ONNX model
 *    onnxruntime can run, and only then encrypts them into the tenant's bucket — a refused file
 *    never reaches storage; once stored, its bytes count as used storage;
 * 3. `complete` turns the stored object into the model's next immutable version (a model version in the quota).
 * The whole file is held in memory between 2's validation and storage: ONNX is one protobuf
 * message whose graph can only be checked once all of it is there (bounded by maxUploadBytes). In
 * the process that serves every tenant's predictions, that memory comes from `capacity.budget`,
 * reserved for the declared size before the first byte is read and held for at most
 * `uploads.memoryHoldMs` until the body is in (a body still arriving then is cut, the upload left
 * PENDING); a large file is validated on a thread of `capacity.validator`, not on the event loop.
 */
/** What the models process holds once for every upload it receives. */
export interface ModelUploadCapacity {
  budget: UploadMemoryBudget;
  validator: OnnxValidator;
}

export class ModelUploadService {
  private readonly quotas: TenantQuotas;

  constructor(
    private readonly scope: TenantScope,
    private readonly config: ModelsConfig,
    private readonly capacity: ModelUploadCapacity,
  ) {
    this.quotas = new TenantQuotas(scope);
  }

  async create(input: { modelId: string; filename: string; byteSize: number }): Promise<ModelUpload> {
    assertPermission(this.scope.principal, 'write');
    const modelId = parseId(input.modelId, 'modelId');
    const filename = parseFilename(input.filename);
    const declaredSize = parseDeclaredUploadBytes(input.byteSize, this.scope.tenant.limits.maxUploadBytes);
    // A file larger than one tenant's share of the upload memory could never be received.
    this.capacity.budget.assertHoldable(declaredSize);
    const id = randomUUID();
    const now = new Date();
    const upload: ModelUpload = {
      id,
      modelId,
      filename,
      declaredSize,
      status: 'PENDING',
      objectKey: objectKey('models', modelId, `${id}.onnx`),
      storedSize: null,
      sha256: null,
      keyVersion: null,
      info: null,
      failureCode: null,
      versionId: null,
      createdBy: this.scope.principal.subject,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.uploadTtlSeconds * 1000),
      updatedAt: now,
    };
    await this.scope.transaction(async (manager) => {
      const model = await manager.getRepository(ModelEntity).findOneBy({ id: modelId, status: 'ACTIVE' });
      if (!model) throw await modelNotFound(this.scope, 'Model', modelId);
      await manager.getRepository(ModelUploadEntity).insert(upload);
      await recordResourceOwner(manager, this.scope.tenant.id, 'ModelUpload', id);
      await this.quotas.reserveWithin(manager, 'storageBytes', storedSizeOf(declaredSize), { id, ttlSeconds: this.config.uploadTtlSeconds + receiveGraceSeconds });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'model.upload.create',
        targetType: 'ModelUpload',
        targetId: id,
        details: { modelId, declaredBytes: input.byteSize },
      });
    });
    return upload;
  }

  async receive(uploadId: string, body: Readable, contentLength: number | undefined): Promise<ReceivedModelUpload> {
    assertPermission(this.scope.principal, 'write');
    const { upload, release } = await this.claim(uploadId);
    const hold = holdUploadMemory(this.config.uploads.memoryHoldMs);
    try {
      assertDeclaredLength(upload, contentLength);
      const received = await readExactly(body, upload.declaredSize, hold);
      hold.stop();
      const { bytes, info, sha256 } = await this.capacity.validator.validate(received, this.scope.tenant.id);
      const keys = modelKeys(this.scope);
      // A model deleted since the claim has no key rows, and a first one cannot be made for it:
      // NOT_FOUND, not the plain error of a key that vanished as it was created.
      const stored = await this.scope.bucket.putEncryptedBuffer(upload.objectKey, bytes, await this.unlessModelGone(upload.modelId, keys.forWriting(upload.modelId)));
      release(); // the bytes are in storage and no longer held here
      // A rotation of the model's key may have destroyed the version this write began under — or
      // the model's delete every version of it: then the model is what went (NOT_FOUND, as when
      // the delete comes a moment later), not a key to write again under.
      await this.unlessModelGone(upload.modelId, keys.assertStillHeld(upload.modelId, stored.keyVersion));
      await this.scope.transaction(async (manager) => {
        // The model may have been deleted (with this row) while the bytes were arriving, or be in
        // the middle of it. A delete marks the model DELETING before it lists the model's objects,
        // and this read comes after the object was stored: if it still sees the model ACTIVE, the
        // mark (so the listing) comes later and finds the object; if not, the object is removed
        // below. A plain read: no lock to order against complete() or the delete.
        const model = await manager.getRepository(ModelEntity).findOne({ select: { id: true, status: true }, where: { id: upload.modelId } });
        if (!model || model.status !== 'ACTIVE') throw await modelNotFound(this.scope, 'Model', upload.modelId);
        const current = await manager.getRepository(ModelUploadEntity).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id: upload.id }).getOne();
        if (!current) throw errors.notFound('ModelUpload', upload.id);
        await manager
          .getRepository(ModelUploadEntity)
          .update({ id: upload.id }, { status: 'UPLOADED', sha256, storedSize: stored.storedSize, keyVersion: stored.keyVersion, info, updatedAt: new Date() });
        await this.quotas.reservation(upload.id, 'storageBytes').commitWithin(manager, stored.storedSize);
      });
      return { uploadId: upload.id, byteSize: upload.declaredSize, sha256, info };
    } catch (error) {
      release(); // the bytes are dropped: another upload may take their memory while this failure is recorded
      if (isUploadHoldCut(error)) {
        // Nothing was stored and the client may well send it again on a faster link: the upload
        // goes back to PENDING (its storage reservation kept), and the rest of its body is not
        // read (the route closes the connection).
        await this.unclaim(upload.id);
        throw error;
      }
      body.resume(); // drain what the client still sends, so it reads our error instead of a reset
      await this.scope.bucket.remove(upload.objectKey).catch(() => undefined);
      await markStagedUploadFailed(this.scope, ModelUploadEntity, upload.id, error);
      await this.quotas.reservation(upload.id, 'storageBytes').release().catch(() => undefined);
      throw error;
    } finally {
      hold.stop();
      release();
    }
  }

  /**
   * The model's key steps of an upload, answered as the model's NOT_FOUND when they failed
   * because the model is gone or going (its delete removes every version of its key).
   */
  private async unlessModelGone<T>(modelId: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      const model = await this.scope.db((manager) => manager.getRepository(ModelEntity).findOne({ select: { id: true, status: true }, where: { id: modelId } }));
      if (model?.status === 'ACTIVE') throw error;
      throw errors.notFound('Model', modelId);
    }
  }

  async complete(uploadId: string, idempotencyKey?: string | null): Promise<ModelVersion> {
    assertPermission(this.scope.principal, 'write');
    const id = parseId(uploadId, 'uploadId');
    const key = parseIdempotencyKey(idempotencyKey);
    // The model's row is locked before the upload's, the order a model delete takes them in (model,
    // then its uploads): the other order deadlocked against a delete, and one of the two was
    // answered with MariaDB's error. The model id is read outside the transaction (an upload never
    // changes model), so the transaction's reads all come after its locks.
    const owner = await this.scope.db((manager) => manager.getRepository(ModelUploadEntity).findOne({ select: { id: true, modelId: true }, where: { id } }));
    if (!owner) throw await modelNotFound(this.scope, 'ModelUpload', id);
    try {
      return await this.scope.transaction(async (manager) => {
        await manager.getRepository(ModelEntity).createQueryBuilder('m').setLock('pessimistic_write').where('m.id = :id', { id: owner.modelId }).getOne();
        const upload = await manager.getRepository(ModelUploadEntity).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id }).getOne();
        if (!upload) throw await modelNotFound(this.scope, 'ModelUpload', id);
        // A client retrying after a lost answer learns which version its first call made.
        if (upload.status === 'COMPLETED') throw errors.conflict(`This upload was already completed: it made version ${upload.versionId}.`, { uploadId: id, reason: 'ALREADY_COMPLETED', versionId: upload.versionId });
        if (upload.status === 'FAILED') throw errors.conflict(`This upload failed (${upload.failureCode ?? 'unknown'}); create a new one.`, { uploadId: id });
        if (upload.status !== 'UPLOADED' || !upload.info || !upload.sha256 || upload.storedSize === null || upload.keyVersion === null) {
          throw errors.badInput('The content of this upload has not been received yet.', { uploadId: id });
        }
        const version = await insertNextVersion(manager, this.scope, upload.modelId, {
          stored: { objectKey: upload.objectKey, byteSize: upload.declaredSize, storedSize: upload.storedSize, sha256: upload.sha256, keyVersion: upload.keyVersion, info: upload.info },
          lineage: {},
          idempotencyKey: key,
          auditDetails: { uploadId: id },
        });
        await manager.getRepository(ModelUploadEntity).update({ id }, { status: 'COMPLETED', versionId: version.id, updatedAt: new Date() });
        return version;
      });
    } catch (error) {
      if (isDuplicateKey(error)) {
        throw key
          ? errors.conflict('This model already has a version with that idempotencyKey.', { field: 'idempotencyKey' })
          : errors.conflict('Another version was created at the same moment; retry.', { uploadId: id });
      }
      throw error;
    }
  }

  /** RECEIVING → PENDING, for an upload given up before anything of it was stored (a model deleted meanwhile took the row along). */
  private async unclaim(id: string): Promise<void> {
    await this.scope.db((manager) => manager.getRepository(ModelUploadEntity).update({ id, status: 'RECEIVING' }, { status: 'PENDING', updatedAt: new Date() }));
  }

  /**
   * PENDING → RECEIVING exactly once; a replay, an expired or another tenant's upload gets nothing.
   * The upload's memory is reserved last, under the row lock: a refusal (RATE_LIMITED,
   * SERVICE_UNAVAILABLE) rolls the claim back, so the upload stays PENDING and can be sent again.
   */
  private async claim(uploadId: string): Promise<{ upload: ModelUpload; release: () => void }> {
    let release: (() => void) | undefined;
    try {
      const upload = await claimStagedUpload(this.scope, ModelUploadEntity, parseId(uploadId, 'uploadId'), {
        notFound: (id) => modelNotFound(this.scope, 'ModelUpload', id),
        checkParent: async (manager, upload) => {
          const model = await manager.getRepository(ModelEntity).findOneBy({ id: upload.modelId, status: 'ACTIVE' });
          if (!model) throw await modelNotFound(this.scope, 'Model', upload.modelId);
          release?.(); // a transaction run again reserves again
          release = this.capacity.budget.reserve(this.scope.tenant.id, upload.declaredSize);
        },
      });
      return { upload, release: release! };
    } catch (error) {
      release?.();
      throw error;
    }
  }
}
