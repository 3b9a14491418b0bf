import type { ObjectStoreConfig, RegionsConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { createObjectStoreClient, type ObjectStoreClient } from './object-store';
import { createTenantObjectStores, type TenantObjectStores } from './tenant-object-stores';

/** Where a tenant's bytes live: its id and its region (the control plane's record). */
export interface TenantLocation {
  id: string;
  region: string;
}

/**
 * The object stores of every region a process serves. Code acting for a tenant asks for the
 * tenant's region and gets that region's clients (under `sts`, sessions from that region's STS);
 * a region this process has no store for is refused, never served from another region's store.
 */
export interface RegionalObjectStores {
  /** Whether tenants of `region` may be served here (false: their requests are refused). */
  serves(region: string): boolean;
  /** The tenant clients of one region; SERVICE_UNAVAILABLE (reason REGION_UNAVAILABLE) when this process has none. */
  inRegion(region: string): TenantObjectStores;
  /** Shorthands for the tenant's own region. */
  forTenant(tenant: TenantLocation): ObjectStoreClient;
  forBucketLifecycle(tenant: TenantLocation): ObjectStoreClient;
}

/** The refusal for a tenant whose region this process cannot reach: its bytes must not go anywhere else. */
export function regionUnavailable(region: string): TesseraError {
  return new TesseraError('SERVICE_UNAVAILABLE', `This tenant's data region (${region}) is not served here.`, { reason: 'REGION_UNAVAILABLE', region });
}

function regionalFrom(serves: (region: string) => boolean, storesOf: (region: string) => TenantObjectStores): RegionalObjectStores {
  const inRegion = (region: string): TenantObjectStores => {
    if (!serves(region)) throw regionUnavailable(region);
    return storesOf(region);
  };
  return {
    serves,
    inRegion,
    forTenant: (tenant) => inRegion(tenant.region).forTenant(tenant.id),
    forBucketLifecycle: (tenant) => inRegion(tenant.region).forBucketLifecycle(tenant.id),
  };
}

/**
 * One store for every served region (`regions` undefined: any region): a deployment without
 * REGION_OBJECT_STORES, and the services that keep no objects (their store refuses any use).
 */
export function singleStoreRegions(stores: TenantObjectStores, regions: Pick<RegionsConfig, 'served'> | undefined): RegionalObjectStores {
  return regionalFrom((region) => regions === undefined || regions.served.includes(region), () => stores);
}

/**
 * The stores a process's configuration names: the S3_* store for the home region, and each
 * region of `config.regions` its own (clients built on first use). Without `config.regions`,
 * the one store serves every region, as before.
 */
export function createRegionalObjectStores(
  config: ObjectStoreConfig,
  homeStores: TenantObjectStores,
  regions: RegionsConfig | undefined,
  bucketName: (tenantId: string) => string,
): RegionalObjectStores {
  const regionStores = config.regions;
  if (regionStores === undefined) return singleStoreRegions(homeStores, regions);
  if (regions === undefined) throw new Error('per-region object stores need the served regions and the home region');
  const built = new Map<string, TenantObjectStores>([[regions.home, homeStores]]);
  const serves = (region: string) => regions.served.includes(region) && (region === regions.home || Object.prototype.hasOwnProperty.call(regionStores, region));
  return regionalFrom(serves, (region) => {
    let stores = built.get(region);
    if (!stores) {
      const store = regionStores[region]!;
      const settings = { ...store, defaultRegion: store.signingRegion };
      stores = createTenantObjectStores(settings, createObjectStoreClient(settings), bucketName);
      built.set(region, stores);
    }
    return stores;
  });
}
