import type { TenantLimitOverrides, TenantLimits } from './tenant-limits';

export const tenantTiers = ['shared', 'dedicated'] as const;
export type TenantTier = (typeof tenantTiers)[number];

export const tenantStatuses = ['PROVISIONING', 'ACTIVE', 'SUSPENDED'] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

export interface TenantRecord {
  id: string;
  displayName: string;
  region: string;
  tier: TenantTier;
  status: TenantStatus;
  /** The effective limits: the platform defaults with this tenant's overrides applied. */
  limits: TenantLimits;
  /** The limits set for this tenant alone (the rest follow the platform defaults). */
  limitOverrides: TenantLimitOverrides;
  createdAt: Date;
  updatedAt: Date;
}

