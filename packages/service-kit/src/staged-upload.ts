import type { EntityManager, EntitySchema, ObjectLiteral } from 'typeorm';
import { errors, isTesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';

/**
 * The lifecycle every staged upload shares (datasets, models): PENDING → RECEIVING (once) →
 * UPLOADED → COMPLETED, or FAILED. The kind of content and what "complete" creates differ; these
 * steps do not, so both verticals refuse replays, expiry and size mismatches the same way.
 */
export interface StagedUploadRow extends ObjectLiteral {
  id: string;
  status: string;
  declaredSize: number;
  expiresAt: Date;
}

/**
 * Claims the upload for receiving, exactly once, under a row lock: a replay, an expired upload or
 * an id this tenant does not have gets nothing. `checkParent` runs in the same transaction (the
 * dataset or model the upload belongs to must still be there).
 */
export function claimStagedUpload<T extends StagedUploadRow>(
  scope: TenantScope,
  entity: EntitySchema<T>,
  id: string,
  handlers: { notFound(id: string): Promise<Error>; checkParent(manager: EntityManager, upload: T): Promise<void> },
  /** When the request that claims it began (default now): a body that took a while to arrive was sent before expiry. */
  asOf = Date.now(),
): Promise<T> {
  return scope.transaction(async (manager) => {
    const repository = manager.getRepository(entity);
    const upload = await repository.createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id', { id }).getOne();
    if (!upload) throw await handlers.notFound(id);
    assertClaimable(upload, asOf);
    await handlers.checkParent(manager, upload);
    // (The generic T cannot prove `id`/`status` are columns to TypeORM's types; every upload entity has them.)
    await repository.update({ id } as never, { status: 'RECEIVING', updatedAt: new Date() } as never);
    return { ...upload, status: 'RECEIVING' };
  });
}

/** The checks of a claim, for a look before it (without a lock): only a PENDING upload not expired at `asOf` can be claimed. */
export function assertClaimable(upload: StagedUploadRow, asOf = Date.now()): void {
  if (upload.status !== 'PENDING') throw errors.conflict('This upload URL has already been used; create a new upload.', { uploadId: upload.id });
  if (upload.expiresAt.getTime() <= asOf) throw errors.conflict('This upload has expired; create a new upload.', { uploadId: upload.id });
}

/** The byte size a client declares when it reserves an upload: a positive integer within the tenant's upload limit. */
export function parseDeclaredUploadBytes(byteSize: number, maxUploadBytes: number): number {
  if (!Number.isSafeInteger(byteSize) || byteSize < 1) throw errors.badInput('byteSize must be a positive number of bytes.', { field: 'byteSize' });
  if (byteSize > maxUploadBytes) {
    throw errors.tooLarge(`byteSize ${byteSize} is over your tenant's upload limit of ${maxUploadBytes} bytes.`, { field: 'byteSize', maxBytes: maxUploadBytes });
  }
  return byteSize;
}

/** The client must send exactly the bytes it reserved. */
export function assertDeclaredLength(upload: StagedUploadRow, contentLength: number | undefined): void {
  if (contentLength !== undefined && contentLength !== upload.declaredSize) {
    throw errors.badInput(`Content-Length is ${contentLength} but the upload was created for ${upload.declaredSize} bytes.`, { declaredBytes: upload.declaredSize });
  }
}

/** Marks a claimed upload FAILED with the error's public code (the upload cannot be retried). */
export async function markStagedUploadFailed<T extends StagedUploadRow>(scope: TenantScope, entity: EntitySchema<T>, id: string, error: unknown): Promise<void> {
  const failureCode = isTesseraError(error) ? error.code : 'INTERNAL_SERVER_ERROR';
  await scope.db((manager) => manager.getRepository(entity).update({ id } as never, { status: 'FAILED', failureCode, updatedAt: new Date() } as never));
}
