import { isCryptoError } from '@tessera/crypto';
import { isTesseraError } from '@tessera/errors';
import { isKeyProviderError } from '@tessera/key-provider';
import type { RunningPlatform } from '@tessera/platform';
import { TenantBucket } from '@tessera/storage';
import { LegacyWrappedKeyError, tenantBucketName } from '@tessera/tenancy';

/**
 * Two checkouts on one machine share MariaDB and so the local control plane (`tessera_control`),
 * but not their key service (`.tessera/keys`) or object store (`.tessera/s3`). A demo tenant
 * seeded by the other checkout has data keys wrapped by the other key service's KEK (or, from a
 * checkout from before the key provider, by its master key) and objects in
 * the other store: nothing of it is readable here. Each checkout therefore leaves an encrypted
 * marker object in the demo tenant's bucket when it seeds the tenant; reading it back proves, in
 * one request, that the bucket is in this store and that this checkout's keys decrypt what that
 * bucket holds now (not what an earlier provisioning of the same id left behind).
 */
export const demoOwnerMarkerKey = 'launcher/demo-owner';

type Launcher = Pick<RunningPlatform, 'runtime'>;

function markerBucket(platform: Launcher, tenantId: string): TenantBucket {
  const objectStore = platform.runtime.config.objectStore;
  if (!objectStore) throw new Error('the tenants service runs without object-store settings');
  return new TenantBucket(platform.runtime.tenantObjectStores.forBucketLifecycle(tenantId), tenantId, tenantBucketName(objectStore.bucketPrefix, tenantId));
}

/** Leaves this installation's marker in a demo tenant's bucket (after provisioning it). */
export async function markDemoTenantOwned(platform: Launcher, tenantId: string): Promise<void> {
  const dataKey = await platform.runtime.keyring.currentKey(tenantId);
  const body = Buffer.from(JSON.stringify({ seededBy: 'npm start', at: new Date().toISOString() }));
  await markerBucket(platform, tenantId).putEncryptedBuffer(demoOwnerMarkerKey, body, dataKey);
}

/**
 * Why this installation cannot use an already provisioned demo tenant, or undefined when it can.
 * Only a definite "not ours" gives a reason (the key does not unwrap, the bucket or the marker is
 * missing, the marker does not decrypt); anything else (the database or the store unreachable) is
 * thrown, so a passing fault never leads to erasing a tenant.
 */
export async function foreignTenantReason(platform: Launcher, tenantId: string): Promise<string | undefined> {
  try {
    await platform.runtime.keyring.currentKey(tenantId);
  } catch (error) {
    if (isKeyProviderError(error, 'KEY_UNWRAP_FAILED') || isKeyProviderError(error, 'KEY_VERSION_RETIRED')) return 'its data keys are wrapped by another key service';
    if (error instanceof LegacyWrappedKeyError) return 'its data keys are wrapped by another checkout\'s master key';
    throw error;
  }
  const bucket = markerBucket(platform, tenantId);
  if (!(await platform.runtime.tenantObjectStores.forBucketLifecycle(tenantId).bucketExists(bucket.bucketName))) return `its bucket ${bucket.bucketName} is not in this object store`;
  try {
    await bucket.getDecryptedBuffer(demoOwnerMarkerKey, (version) => platform.runtime.keyring.keyFor(tenantId, version));
    return undefined;
  } catch (error) {
    if (isTesseraError(error) && error.extensions['code'] === 'NOT_FOUND') return 'its bucket holds no marker of this installation';
    // A marker that does not authenticate under this installation's key: read as DATA_CORRUPTED (or, for a header the key cannot open, a CryptoError).
    if (isCryptoError(error) || (isTesseraError(error) && error.extensions['code'] === 'DATA_CORRUPTED')) return 'its bucket holds objects written under other data keys';
    throw error;
  }
}
