import type { TenantLimitName } from '@tessera/tenancy';

/** Every quota a tenant has: bytes in its bucket, and counts of the things it keeps. */
export const quotaNames = ['datasetVersions', 'datasets', 'modelVersions', 'models', 'storageBytes'] as const;

export type QuotaName = (typeof quotaNames)[number];

/** Amounts per quota (bytes for `storageBytes`, a count for the others). */
export type QuotaAmounts = Partial<Record<QuotaName, number>>;

/** The tenant limit that caps each quota (one schema holds every limit: `tenantLimitsSchema`). */
export const quotaLimitNames: Readonly<Record<QuotaName, TenantLimitName>> = {
  datasetVersions: 'maxDatasetVersions',
  datasets: 'maxDatasets',
  modelVersions: 'maxModelVersions',
  models: 'maxModels',
  storageBytes: 'maxStorageBytes',
};

export function isQuotaName(value: unknown): value is QuotaName {
  return typeof value === 'string' && (quotaNames as readonly string[]).includes(value);
}
