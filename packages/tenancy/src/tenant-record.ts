export const tenantTiers = ['shared', 'dedicated'] as const;
export type TenantTier = (typeof tenantTiers)[number];

export const tenantStatuses = ['PROVISIONING', 'ACTIVE', 'SUSPENDED'] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

export interface TenantLimits {
  /** Largest single upload (dataset CSV, model file). */
  maxUploadBytes: number;
  /** Everything the tenant keeps in its bucket. */
  maxStorageBytes: number;
  /** Gateway requests per minute for the whole tenant. */
  requestsPerMinute: number;
  /** Jobs of the tenant running at the same time, across all workers. */
  maxConcurrentJobs: number;
  /** Unfinished (queued + running) jobs; one more submit is QUOTA_EXCEEDED. */
  maxQueuedJobs: number;
}

export interface TenantRecord {
  id: string;
  displayName: string;
  region: string;
  tier: TenantTier;
  status: TenantStatus;
  limits: TenantLimits;
  createdAt: Date;
  updatedAt: Date;
}

export const defaultTenantLimits: TenantLimits = {
  maxUploadBytes: 100 * 1024 * 1024,
  maxStorageBytes: 10 * 1024 * 1024 * 1024,
  requestsPerMinute: 6000,
  maxConcurrentJobs: 4,
  maxQueuedJobs: 1000,
};
