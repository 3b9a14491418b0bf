import type { ObjectStoreClient } from './object-store';
import { removeKeys } from './remove-keys';

/**
 * Bucket lifecycle, used by tenant provisioning and erasure. Made or found, the bucket gets its
 * lifecycle rule (provisioning is resumable: a bucket made before the rule existed gets it too).
 */
export async function ensureBucket(client: ObjectStoreClient, bucketName: string, region: string): Promise<{ created: boolean; abortsIncompleteUploads: boolean }> {
  const created = !(await client.bucketExists(bucketName));
  if (created) await client.makeBucket(bucketName, region);
  return { created, abortsIncompleteUploads: await abortIncompleteUploads(client, bucketName) };
}

/** The rule's id in the bucket's lifecycle configuration. */
export const incompleteUploadRuleId = 'tessera-abort-incomplete-uploads';

/** Days after which the store aborts a multipart upload begun and never completed. */
export const incompleteUploadDays = 1;

/**
 * A multipart upload that a replica began and never completed or aborted (it died, or the store
 * failed the completion) keeps its parts in the bucket, listed by no object listing and counted in
 * no quota, until someone aborts it: the store does that itself after a day under this rule (no
 * upload takes that long: the platform's uploads are bounded in minutes). Deletes and erasure abort
 * what is under them at once; this is for what is left under things that are kept. Stores without
 * the lifecycle API (the local S3 server answers NotImplemented) get no rule: false.
 */
async function abortIncompleteUploads(client: ObjectStoreClient, bucketName: string): Promise<boolean> {
  try {
    await client.setBucketLifecycle(bucketName, {
      Rule: [{ ID: incompleteUploadRuleId, Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: incompleteUploadDays } }],
    });
    return true;
  } catch (error) {
    if (codeOf(error) === 'NotImplemented' || codeOf(error) === 'MethodNotAllowed') return false;
    throw error;
  }
}

/** One stored version of an object, or a delete marker (versioned buckets). */
export interface ObjectVersion {
  name: string;
  versionId: string | null;
  isDeleteMarker: boolean;
  /** The name's current entry (a current object, or the marker that hides it). */
  isLatest: boolean;
  size: number;
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as { code?: unknown }).code as string | undefined) : undefined;
}

/**
 * Whether the bucket keeps (or ever kept) versions. Stores without the versioning API (the local
 * S3 server answers NotImplemented) keep only current objects. A bucket whose versioning was turned
 * on and later suspended still holds the versions made meanwhile, so "Suspended" counts too.
 */
async function isVersioned(client: ObjectStoreClient, bucketName: string): Promise<boolean> {
  try {
    const config = (await client.getBucketVersioning(bucketName)) as { Status?: string } | undefined;
    return config?.Status === 'Enabled' || config?.Status === 'Suspended';
  } catch (error) {
    if (codeOf(error) === 'NotImplemented' || codeOf(error) === 'MethodNotAllowed') return false;
    throw error;
  }
}

/** Every version and delete marker of a versioned bucket; every current object of another one (versionId null). */
export async function listObjectVersions(client: ObjectStoreClient, bucketName: string): Promise<ObjectVersion[]> {
  const found: ObjectVersion[] = [];
  if (!(await client.bucketExists(bucketName))) return found;
  if (!(await isVersioned(client, bucketName))) {
    for await (const item of client.listObjectsV2(bucketName, '', true)) if (item.name) found.push({ name: item.name, versionId: null, isDeleteMarker: false, isLatest: true, size: item.size ?? 0 });
    return found;
  }
  for await (const item of client.listObjects(bucketName, '', true, { IncludeVersion: true })) {
    const entry = item as { name?: string; versionId?: string | null; isDeleteMarker?: boolean; isLatest?: boolean; size?: number };
    if (!entry.name) continue;
    found.push({ name: entry.name, versionId: entry.versionId ?? 'null', isDeleteMarker: entry.isDeleteMarker === true, isLatest: entry.isLatest === true, size: entry.size ?? 0 });
  }
  return found;
}

export interface BucketInventory {
  /** Current objects (not delete markers). */
  objects: number;
  /** Every stored version, delete markers included. */
  objectVersions: number;
  /** Bytes of every stored version. */
  bytes: number;
  /** Multipart uploads begun and neither completed nor aborted: their parts are bytes no object listing shows. */
  incompleteUploads: number;
  /** Bytes of those uploads' parts sent so far. */
  incompleteUploadBytes: number;
}

/** What a bucket holds: current objects, every stored version (delete markers included), and interrupted uploads. */
export async function bucketInventory(client: ObjectStoreClient, bucketName: string): Promise<BucketInventory> {
  const versions = await listObjectVersions(client, bucketName);
  const uploads = (await client.bucketExists(bucketName)) ? await listIncompleteUploads(client, bucketName) : [];
  return {
    objects: versions.filter((v) => v.isLatest && !v.isDeleteMarker).length,
    objectVersions: versions.length,
    bytes: versions.reduce((sum, v) => sum + v.size, 0),
    incompleteUploads: uploads.length,
    incompleteUploadBytes: uploads.reduce((sum, u) => sum + u.size, 0),
  };
}

/** Multipart uploads begun in the bucket (under `prefix`) and neither completed nor aborted, every key (recursive), with the bytes of the parts sent. */
export async function listIncompleteUploads(client: ObjectStoreClient, bucketName: string, prefix = ''): Promise<Array<{ key: string; uploadId: string; size: number }>> {
  const found: Array<{ key: string; uploadId: string; size: number }> = [];
  for await (const upload of client.listIncompleteUploads(bucketName, prefix, true)) {
    const entry = upload as { key?: string; uploadId?: string; size?: number };
    if (entry.key && entry.uploadId) found.push({ key: entry.key, uploadId: entry.uploadId, size: entry.size ?? 0 });
  }
  return found;
}

/**
 * Aborts every incomplete multipart upload, then removes every object — in a versioned bucket every
 * version and delete marker, each by its version id, so nothing survives as a noncurrent version —
 * then the bucket. Idempotent.
 */
export async function destroyBucket(client: ObjectStoreClient, bucketName: string): Promise<void> {
  if (!(await client.bucketExists(bucketName))) return;
  // The parts of an upload that was interrupted (objects over the client's 64 MiB part size go up in
  // parts) are tenant bytes that no object or version listing shows. Stores differ on a bucket that
  // still has uploads in progress: some refuse to delete it, others drop the bucket and leave the
  // parts for their own clean-up. Each is aborted by its upload id, under this bucket's session.
  for (const upload of await listIncompleteUploads(client, bucketName)) await client.abortMultipartUpload(bucketName, upload.key, upload.uploadId);
  const versions = await listObjectVersions(client, bucketName);
  // Each version by its id (objects from before versioning was turned on carry the id "null"): a
  // plain delete in a versioned bucket would only add a marker over them.
  for (const version of versions) if (version.versionId !== null) await client.removeObject(bucketName, version.name, { versionId: version.versionId });
  await removeKeys(client, bucketName, versions.filter((v) => v.versionId === null).map((v) => v.name));
  await client.removeBucket(bucketName);
}
