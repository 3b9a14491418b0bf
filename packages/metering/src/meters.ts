import { errors } from '@tessera/errors';

/**
 * What the platform meters per tenant and hour:
 * - `costUnits`: gateway cost units of admitted operations and routes (the rate limit's units);
 * - `inferenceMs`: milliseconds inside onnxruntime's `session.run` for the tenant's predictions;
 * - `jobWorkerMs`: milliseconds a job worker spent running the tenant's job processors;
 * - `storedByteHours`: stored bytes integrated over time (bytes × hours);
 * - `downloadBytes`: bytes streamed to the tenant's clients by downloads.
 */
export const meterNames = ['costUnits', 'inferenceMs', 'jobWorkerMs', 'storedByteHours', 'downloadBytes'] as const;
export type MeterName = (typeof meterNames)[number];

export function isMeterName(value: unknown): value is MeterName {
  return typeof value === 'string' && (meterNames as readonly string[]).includes(value);
}

/** A meter named by a client: one of `meterNames`, or BAD_USER_INPUT naming the field. */
export function parseMeterName(value: unknown, field = 'meter'): MeterName {
  if (!isMeterName(value)) throw errors.badInput(`${field} must be one of ${meterNames.join(', ')}.`, { field });
  return value;
}

/** The quota name a budget's refusals carry in `extensions.quota`. */
export function budgetQuotaName(meter: MeterName): string {
  return `budget.${meter}`;
}

const hourMs = 3_600_000;

/** Start of the UTC hour holding `at` (ms since epoch): the row an amount is added to. */
export function hourStart(at: number): number {
  return Math.floor(at / hourMs) * hourMs;
}

/** Start of the UTC calendar month holding `at`: budgets are monthly, month-to-date from here. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
