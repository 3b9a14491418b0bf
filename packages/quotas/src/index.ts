export { quotaNames, quotaLimitNames, isQuotaName, type QuotaName, type QuotaAmounts } from './quota-names';
export { TenantQuotas, Reservation, defaultReservationSeconds, type QuotaScope, type QuotaUsage, type ReserveOptions } from './tenant-quotas';
export { LiveQuotaKeys, minuteMs, minuteOf } from './live/live-quota-keys';
export { liveQuotaNames, liveQuotaWindowSeconds, type LiveQuotaName, type LiveQuotaUsage } from './live/live-quota-names';
export { LiveQuotaReader, type LiveQuotaReaderOptions } from './live/live-quota-reader';
export { readCostUnitsInMinute, readOpenSubscriptions, readPredictionsInMinute } from './live/live-counter-reads';
export { defaultInFlightSyncIntervalMs, inFlightStaleMs, predictionsInFlightExchangeScript, readPredictionsInFlight } from './live/predictions-in-flight-reports';
export { countUnfinishedJobs, unfinishedJobStatuses } from './live/unfinished-jobs';
