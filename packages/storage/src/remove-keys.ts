import type { ObjectStoreClient } from './object-store';

/**
 * Deletes objects one DELETE each. Multi-object delete (POST ?delete) is not implemented the same
 * way by every S3-compatible store; single deletes are, and are idempotent. One at a time by
 * default: filesystem-backed stores (the local S3 server) race when pruning a shared folder.
 */
export async function removeKeys(client: ObjectStoreClient, bucketName: string, keys: string[], concurrency = 1): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await client.removeObject(bucketName, key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
}
