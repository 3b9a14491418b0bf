import type { ObjectStoreClient } from './object-store';
import { removeKeys } from './remove-keys';

/** Bucket lifecycle, used by tenant provisioning and erasure. */
export async function ensureBucket(client: ObjectStoreClient, bucketName: string, region: string): Promise<{ created: boolean }> {
  if (await client.bucketExists(bucketName)) return { created: false };
  await client.makeBucket(bucketName, region);
  return { created: true };
}

/** Removes every object (and unfinished upload), then the bucket. Idempotent. */
export async function destroyBucket(client: ObjectStoreClient, bucketName: string): Promise<void> {
  if (!(await client.bucketExists(bucketName))) return;
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucketName, '', true)) if (item.name) keys.push(item.name);
  await removeKeys(client, bucketName, keys);
  await client.removeBucket(bucketName);
}
