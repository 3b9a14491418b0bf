export { createObjectStoreClient, type ObjectStoreClient } from './object-store';
export { objectKey } from './object-keys';
export { TenantBucket, exactLength, storedSizeOf, type DataKeyRef, type StoredObject } from './tenant-bucket';
export { ensureBucket, destroyBucket } from './buckets';
export { unavailableObjectStore } from './unavailable-object-store';
