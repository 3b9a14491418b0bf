import type { ErasureAuthorityPort } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { ObjectReencryptionInput, ObjectReencryptionProgress } from '@tessera/service-kit';

/**
 * What other services may read of the audit trail: numbers, never events. Everything is scoped
 * by the actor's tenant and counts both the hash chain and the outbox the relay has not moved
 * yet, so an event counts from the moment its writer committed it. Writing stays what it was:
 * every service inserts into the outbox (`@tessera/audit-client`).
 */
export interface DataReadSlot {
  /** ISO-8601, the slot's start (UTC). */
  start: string;
  reads: number;
}

export interface AuditPort extends ErasureAuthorityPort {
  /** Every event the tenant's trail holds (tenantUsage). */
  eventCount(actor: Principal, input: Record<string, never>): Promise<number>;
  /**
   * Data reads (dataset content reads, model downloads, exports) per slot of `bucketSeconds`
   * (1–3600) in [from, to) (ISO-8601, at most 92 days); slots without reads are left out.
   */
  dataReadSeries(actor: Principal, input: { from: string; to: string; bucketSeconds: number }): Promise<DataReadSlot[]>;
  /** When the tenant's first recorded data read happened (ISO-8601), or null: where the series starts. */
  dataReadSeriesStart(actor: Principal, input: Record<string, never>): Promise<string | null>;
  /**
   * Moves up to `batchSize` of what the audit service keeps under a data-key version below
   * `belowVersion` (the webhook secret, exports, access reviews) to the current one (0: only
   * counts); the tenants service drives a tenant's re-encryption with it. The actor is the tenant's admin.
   */
  reencryptObjects(actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress>;
}

export const auditPortMethods = ['eventCount', 'dataReadSeries', 'dataReadSeriesStart', 'reencryptObjects', 'pseudonymiseSecurityLog', 'signErasureReceipt'] as const satisfies ReadonlyArray<keyof AuditPort>;

/**
 * The metrics service reads the numbers (usage and anomaly detection); the tenants service drives
 * re-encryption, and carries out erasures: the audit key signs their receipts and pseudonymises
 * the security log for them, for the tenants service only.
 */
export const auditPortCallers = {
  eventCount: ['metrics'],
  dataReadSeries: ['metrics'],
  dataReadSeriesStart: ['metrics'],
  reencryptObjects: ['tenants'],
  pseudonymiseSecurityLog: ['tenants'],
  signErasureReceipt: ['tenants'],
} as const satisfies Record<keyof AuditPort, readonly string[]>;
