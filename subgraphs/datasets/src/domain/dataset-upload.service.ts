import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants, recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors, isTesseraError, TesseraError } from '@tessera/errors';
import { assertClaimable, assertDeclaredLength, claimStagedUpload, isDuplicateKey, markStagedUploadFailed, parseDeclaredUploadBytes } from '@tessera/service-kit';
import { TenantQuotas } from '@tessera/quotas';
import { objectKey, storedSizeOf } from '@tessera/storage';
import { CsvPrefixCheck, type CsvParseThread, type CsvProfile } from '@tessera/tabular';
import type { TenantScope } from '@tessera/tenancy';
import { datasetKeys } from '../data/dataset-keys';
import { openUploadProfile, sealUploadProfile, sealVersionColumns } from '../data/dataset-profile-seal';
import { DatasetEntity, DatasetUploadEntity, DatasetVersionEntity, type DatasetUpload, type DatasetVersion } from '../data/dataset.entity';
import { parseContentType, parseFilename, parseId } from './dataset-input';
import type { DatasetsServiceConfig } from './datasets-config';
import { fanOut } from './fan-out';
import type { SpooledBody } from './upload-spool';

/** A pending upload's storage reservation outlives the upload URL by this much, so a PUT begun just before expiry can finish. */
const receiveGraceSeconds = 15 * 60;

/** An upload refused from the first part of its body: the rest was not read and is not wanted. */
export class UploadRefusedEarly extends Error {
  constructor(readonly answer: unknown) {
    super('upload refused from the first part of its body');
  }
}

export interface ReceivedUpload {
  uploadId: string;
  byteSize: number;
  sha256: string;
  rowCount: number;
  columns: CsvProfile['columns'];
}

/**
 * Staged uploads (the Shopify `stagedUploadsCreate` pattern, with the bytes flowing through us):
 * 1. `create` reserves an upload for an exact size, within the tenant's limits, and reserves its
 *    encrypted size in the storage quota (keyed by the upload id);
 * 2. `receive` takes the bytes onto the upload spool (encrypted under a key of their own) until
 *    they have all arrived, then reads them once: validated as CSV and encrypted with the tenant's
 *    data key in the same pass, so nothing unencrypted or invalid ever reaches the bucket;
 *    Once stored, the object's bytes count as used storage (it is in the bucket, completed or not);
 * 3. `complete` makes the stored object an immutable new version of the dataset (a dataset version
 *    in the quota).
 * An upload id is single-use and lives in the tenant's own schema, so another tenant's id is
 * simply not found, and a replay is a CONFLICT.
 */
export class DatasetUploadService {
  private readonly quotas: TenantQuotas;

  constructor(
    private readonly scope: TenantScope,
    private readonly config: DatasetsServiceConfig,
  ) {
    this.quotas = new TenantQuotas(scope);
  }

  async create(input: { datasetId: string; filename: string; byteSize: number; contentType?: string | null }): Promise<DatasetUpload> {
    assertPermission(this.scope.principal, 'write');
    const datasetId = parseId(input.datasetId, 'datasetId');
    const filename = parseFilename(input.filename);
    const contentType = parseContentType(input.contentType);
    const declaredSize = parseDeclaredUploadBytes(input.byteSize, this.scope.tenant.limits.maxUploadBytes);
    // A body larger than a tenant's share of the upload spool could never be received.
    this.config.uploadSpool.assertHoldable(declaredSize);
    const id = randomUUID();
    const now = new Date();
    const upload: DatasetUpload = {
      id,
      datasetId,
      filename,
      contentType,
      declaredSize,
      status: 'PENDING',
      objectKey: objectKey('datasets', datasetId, `${id}.csv`),
      storedSize: null,
      sha256: null,
      keyVersion: null,
      profile: null,
      profileKeyVersion: null,
      failureCode: null,
      versionId: null,
      createdBy: this.scope.principal.subject,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.uploadTtlSeconds * 1000),
      updatedAt: now,
    };
    await this.scope.transaction(async (manager) => {
      const dataset = await manager.getRepository(DatasetEntity).findOneBy({ id: datasetId, status: 'ACTIVE' });
      if (!dataset) throw await notFoundAcrossTenants(this.scope, 'Dataset', datasetId);
      await manager.getRepository(DatasetUploadEntity).insert(upload);
      await recordResourceOwner(manager, this.scope.tenant.id, 'DatasetUpload', id);
      await this.quotas.reserveWithin(manager, 'storageBytes', storedSizeOf(declaredSize), {
        id,
        ttlSeconds: this.config.uploadTtlSeconds + receiveGraceSeconds,
      });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'dataset.upload.create',
        targetType: 'DatasetUpload',
        targetId: id,
        details: { datasetId, declaredBytes: input.byteSize },
      });
    });
    return upload;
  }

  async get(uploadId: string): Promise<DatasetUpload> {
    const id = parseId(uploadId, 'uploadId');
    const upload = await this.scope.db((manager) => manager.getRepository(DatasetUploadEntity).findOneBy({ id }));
    if (!upload) throw await notFoundAcrossTenants(this.scope, 'DatasetUpload', id);
    return upload;
  }

  async receive(uploadId: string, body: Readable, contentLength: number | undefined): Promise<ReceivedUpload> {
    assertPermission(this.scope.principal, 'write');
    const id = parseId(uploadId, 'uploadId');
    const startedAt = Date.now();
    // A look before the body is read: a replayed, expired or unknown upload is answered at once.
    const pending = await this.get(id);
    assertClaimable(pending, startedAt);
    // The whole body first, onto the spool (a bounded share per tenant, encrypted), so the CSV
    // checking thread is taken only when it can work through the file without waiting on the
    // client: a slow client holds spool bytes, never a thread. A refusal (spool full, no thread in
    // time) comes before the claim, so the upload stays PENDING and the client sends it again.
    // The body's first part is checked as it arrives (on this event loop: about 16 KiB of a file of
    // usual lines, see CsvPrefixCheck), so a file that is certainly not valid CSV is refused without
    // the rest of it — its transfer slot, spool bytes and bandwidth.
    const early = new CsvPrefixCheck({ ...this.config.csv, maxBytes: pending.declaredSize });
    let spooled: SpooledBody;
    try {
      spooled = await this.config.uploadSpool.receive(this.scope.tenant.id, body, pending.declaredSize + 1, (chunk) => early.check(chunk));
    } catch (error) {
      if (error === early.refusal) throw new UploadRefusedEarly(await this.refuseEarly(id, error, contentLength, startedAt));
      if (!isTesseraError(error)) await this.failInterrupted(id, error, startedAt);
      throw asUploadError(error);
    } finally {
      early.dispose();
    }
    let thread: CsvParseThread;
    let upload: DatasetUpload;
    try {
      thread = await this.config.parsing.acquire(this.scope.tenant.id);
    } catch (error) {
      await spooled.discard();
      throw error;
    }
    try {
      upload = await this.claim(id, startedAt);
    } catch (error) {
      thread.release();
      await spooled.discard();
      throw error;
    }
    let content: Readable | undefined;
    try {
      assertDeclaredLength(upload, contentLength);
      content = spooled.read();
      const result = await this.storeValidated(upload, content, thread);
      await this.scope.transaction(async (manager) => {
        // The dataset may have been deleted (with this row) while the bytes were arriving, or be in
        // the middle of it. A delete marks the dataset DELETING before it lists the dataset's
        // objects, and this read comes after the object was stored: if it still sees the dataset
        // ACTIVE, the mark (so the listing) comes later and finds the object; if not, the object is
        // removed below. A plain read: no lock to order against complete() or the delete.
        const dataset = await manager.getRepository(DatasetEntity).findOne({ select: { id: true, status: true }, where: { id: upload.datasetId } });
        if (!dataset || dataset.status !== 'ACTIVE') throw errors.notFound('Dataset', upload.datasetId);
        const current = await manager.getRepository(DatasetUploadEntity).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id: upload.id }).getOne();
        if (!current) throw errors.notFound('DatasetUpload', upload.id);
        const sealedProfile = await sealUploadProfile(this.scope, manager, upload.id, result.profile);
        await manager.getRepository(DatasetUploadEntity).update(
          { id: upload.id },
          { status: 'UPLOADED', sha256: result.sha256, storedSize: result.storedSize, keyVersion: result.keyVersion, ...sealedProfile, updatedAt: new Date() },
        );
        await this.quotas.reservation(upload.id, 'storageBytes').commitWithin(manager, result.storedSize);
      });
      return { uploadId: upload.id, byteSize: upload.declaredSize, sha256: result.sha256, rowCount: result.profile.rowCount, columns: result.profile.columns };
    } catch (error) {
      thread.release();
      body.resume(); // drain what the client still sends, so it reads our error instead of a reset
      await this.scope.bucket.remove(upload.objectKey).catch(() => undefined);
      await markStagedUploadFailed(this.scope, DatasetUploadEntity, upload.id, error);
      await this.quotas.reservation(upload.id, 'storageBytes').release().catch(() => undefined);
      throw error;
    } finally {
      content?.destroy();
      await spooled.discard();
    }
  }

  /**
   * A body that broke off (the client went away, or the gateway cut it idle) ends its upload as it
   * did when the body was read after the claim: FAILED, its storage reservation released. An upload
   * that can no longer be claimed is left as it is.
   */
  private async failInterrupted(id: string, error: unknown, asOf: number): Promise<void> {
    const claimed = await this.claim(id, asOf).catch(() => undefined);
    if (!claimed) return;
    await markStagedUploadFailed(this.scope, DatasetUploadEntity, id, asUploadError(error));
    await this.quotas.reservation(id, 'storageBytes').release().catch(() => undefined);
  }

  /**
   * The body's first part shows the file is not valid CSV: the upload ends as the check of the whole
   * body would have ended it — claimed, FAILED with the same error (or with a Content-Length that
   * does not match, which that path would have named first), its storage reservation released —
   * without the rest of the body, a parsing thread or anything stored. An upload that can no longer
   * be claimed gets the claim's answer, as it would have. Returns the error to answer with.
   */
  private async refuseEarly(id: string, refusal: unknown, contentLength: number | undefined, asOf: number): Promise<unknown> {
    let upload: DatasetUpload;
    try {
      upload = await this.claim(id, asOf);
    } catch (error) {
      return error;
    }
    let answer: unknown = refusal;
    try {
      assertDeclaredLength(upload, contentLength);
    } catch (mismatch) {
      answer = mismatch;
    }
    await markStagedUploadFailed(this.scope, DatasetUploadEntity, id, answer);
    await this.quotas.reservation(id, 'storageBytes').release().catch(() => undefined);
    return answer;
  }

  async complete(uploadId: string): Promise<DatasetVersion> {
    assertPermission(this.scope.principal, 'write');
    const id = parseId(uploadId, 'uploadId');
    // The dataset's row is locked before the upload's, the order a dataset delete takes them in
    // (dataset, then its uploads): the other order deadlocked against a delete, and one of the two
    // was answered with MariaDB's error. The dataset id is read outside the transaction (an upload
    // never changes dataset), so the transaction's reads all come after its locks.
    const owner = await this.scope.db((manager) => manager.getRepository(DatasetUploadEntity).findOne({ select: { id: true, datasetId: true }, where: { id } }));
    if (!owner) throw await notFoundAcrossTenants(this.scope, 'DatasetUpload', id);
    try {
      return await this.scope.transaction(async (manager) => {
        const dataset = await manager.getRepository(DatasetEntity).createQueryBuilder('d').setLock('pessimistic_write').where('d.id = :id', { id: owner.datasetId }).getOne();
        const upload = await manager.getRepository(DatasetUploadEntity).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id }).getOne();
        if (!upload) throw await notFoundAcrossTenants(this.scope, 'DatasetUpload', id);
        // A client retrying after a lost answer learns which version its first call made.
        if (upload.status === 'COMPLETED') throw errors.conflict(`This upload was already completed: it made version ${upload.versionId}.`, { uploadId: id, reason: 'ALREADY_COMPLETED', versionId: upload.versionId });
        if (upload.status === 'FAILED') throw errors.conflict(`This upload failed (${upload.failureCode ?? 'unknown'}); create a new one.`, { uploadId: id });
        if (upload.status !== 'UPLOADED' || !upload.profile || !upload.sha256 || upload.storedSize === null || upload.keyVersion === null) {
          throw errors.badInput('The content of this upload has not been received yet.', { uploadId: id });
        }
        if (!dataset || dataset.status !== 'ACTIVE') throw errors.notFound('Dataset', upload.datasetId);
        const latest = await manager.getRepository(DatasetVersionEntity).maximum('number', { datasetId: dataset.id });
        const profile = await openUploadProfile(this.scope, upload.id, upload.profile);
        const versionId = randomUUID();
        const version: DatasetVersion = {
          id: versionId,
          datasetId: dataset.id,
          number: (latest ?? 0) + 1,
          objectKey: upload.objectKey,
          byteSize: upload.declaredSize,
          storedSize: upload.storedSize,
          sha256: upload.sha256,
          keyVersion: upload.keyVersion,
          rowCount: profile.rowCount,
          ...(await sealVersionColumns(this.scope, manager, versionId, profile.columns)),
          createdBy: this.scope.principal.subject,
          createdAt: new Date(),
        };
        await manager.getRepository(DatasetVersionEntity).insert(version);
        await recordResourceOwner(manager, this.scope.tenant.id, 'DatasetVersion', version.id);
        await manager.getRepository(DatasetUploadEntity).update({ id }, { status: 'COMPLETED', versionId: version.id, updatedAt: new Date() });
        // The bytes were counted when they were stored; the version is counted now.
        await this.quotas.charge(manager, { datasetVersions: 1 });
        await recordAuditEvent(manager, this.scope.principal, {
          action: 'dataset.version.create',
          targetType: 'DatasetVersion',
          targetId: version.id,
          details: { datasetId: dataset.id, number: version.number, bytes: version.byteSize, rows: version.rowCount },
        });
        return version;
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw errors.conflict('Another version was created at the same moment; retry.', { uploadId: id });
      throw error;
    }
  }

  /** PENDING → RECEIVING exactly once; a replay, an expired or another tenant's upload gets nothing. */
  private claim(uploadId: string, asOf: number): Promise<DatasetUpload> {
    return claimStagedUpload(
      this.scope,
      DatasetUploadEntity,
      parseId(uploadId, 'uploadId'),
      {
        notFound: (id) => notFoundAcrossTenants(this.scope, 'DatasetUpload', id),
        checkParent: async (manager, upload) => {
          const dataset = await manager.getRepository(DatasetEntity).findOneBy({ id: upload.datasetId, status: 'ACTIVE' });
          if (!dataset) throw errors.notFound('Dataset', upload.datasetId);
        },
      },
      asOf,
    );
  }

  /**
   * The dataset's key steps of an upload, answered as the dataset's NOT_FOUND when they failed
   * because the dataset is gone or going (its delete removes every version of its key).
   */
  private async unlessDatasetGone<T>(datasetId: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      const dataset = await this.scope.db((manager) => manager.getRepository(DatasetEntity).findOne({ select: { id: true, status: true }, where: { id: datasetId } }));
      if (dataset?.status === 'ACTIVE') throw error;
      throw errors.notFound('Dataset', datasetId);
    }
  }

  private async storeValidated(upload: DatasetUpload, body: Readable, thread: CsvParseThread) {
    // Under the dataset's own key: deleting the dataset shreds it. (A dataset deleted since the
    // claim has no key rows, and a first one cannot be made for it: NOT_FOUND, not the foreign key's 500.)
    const key = await this.unlessDatasetGone(upload.datasetId, datasetKeys(this.scope).forWriting(upload.datasetId));
    // Parsed and validated on a pool thread, never on this event loop, which serves every tenant.
    const stream = thread.profiler({ ...this.config.csv, maxBytes: upload.declaredSize });
    const profiler = { stream, result: () => stream.result() };
    const hash = createHash('sha256');
    // The hashing stream is both a fan-out sink and the storage upload's source, so when the CSV
    // check fails, destroying it also aborts the upload.
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    const storing = this.scope.bucket.putEncrypted(upload.objectKey, hashing, upload.declaredSize, key);
    storing.catch(() => undefined);
    try {
      await fanOut(body, [profiler.stream, hashing]);
      const [profile, stored] = await Promise.all([profiler.result(), storing]);
      // A rotation of the dataset's key may have destroyed the version this upload began under —
      // or the dataset's delete every version of it: then the dataset is what went (NOT_FOUND, as
      // when the delete comes a moment later), not a key to write again under.
      await this.unlessDatasetGone(upload.datasetId, datasetKeys(this.scope).assertStillHeld(upload.datasetId, stored.keyVersion));
      return { profile, sha256: hash.digest('hex'), storedSize: stored.storedSize, keyVersion: stored.keyVersion };
    } catch (error) {
      if (!hashing.destroyed) hashing.destroy(error instanceof Error ? error : undefined);
      // An aborted upload normally settles at once; never let a stuck store hold the request.
      await Promise.race([storing.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await this.scope.bucket.remove(upload.objectKey).catch(() => undefined);
      // When the content is invalid, that is the answer, whichever branch noticed first.
      const contentError = await Promise.race([
        profiler.result().then(
          () => undefined,
          (reason: unknown) => reason,
        ),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1_000).unref()),
      ]);
      throw asUploadError(isTesseraError(contentError) ? contentError : error);
    }
  }
}

function asUploadError(error: unknown): TesseraError | unknown {
  if (isTesseraError(error)) return error;
  if ((error as { code?: string } | null)?.code === 'ECONNRESET' || (error as Error | null)?.message === 'aborted') {
    return errors.badInput('The upload was interrupted before all bytes arrived.');
  }
  return error;
}
