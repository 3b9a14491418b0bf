export { quotaNames, quotaLimitNames, isQuotaName, type QuotaName, type QuotaAmounts } from './quota-names';
export { TenantQuotas, Reservation, defaultReservationSeconds, type QuotaScope, type QuotaUsage, type ReserveOptions } from './tenant-quotas';
