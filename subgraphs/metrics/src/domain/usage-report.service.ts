import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { isMeterName, meterNames, type MeterName } from '@tessera/metering';
import type { TenantScope } from '@tessera/tenancy';
import { parseRange } from './metric-range';
import type { RangeReads } from './range-reads';

export type UsageGranularity = 'HOUR' | 'DAY' | 'MONTH';

export type UsageAmounts = Record<MeterName, number>;

export interface UsagePoint extends UsageAmounts {
  start: Date;
  end: Date;
}

export interface UsageReport {
  from: Date;
  to: Date;
  granularity: UsageGranularity;
  points: UsagePoint[];
  total: UsageAmounts;
}

const dayMs = 86_400_000;

/** Longest range per granularity: at most about 750 points in one answer. */
const maxRange: Record<UsageGranularity, { ms: number; label: string }> = {
  HOUR: { ms: 31 * dayMs, label: '31 days at HOUR granularity' },
  DAY: { ms: 366 * dayMs, label: '366 days at DAY granularity' },
  MONTH: { ms: 1096 * dayMs, label: '36 months at MONTH granularity' },
};

/** How MariaDB names a period of a stored (UTC) hour; parsed back below. */
const periodFormat: Record<UsageGranularity, string> = { HOUR: '%Y-%m-%dT%H:00:00Z', DAY: '%Y-%m-%dT00:00:00Z', MONTH: '%Y-%m-01T00:00:00Z' };

export function parseUsageGranularity(value: unknown): UsageGranularity {
  if (value === undefined || value === null) return 'DAY';
  if (value !== 'HOUR' && value !== 'DAY' && value !== 'MONTH') throw errors.badInput('granularity must be HOUR, DAY or MONTH.', { field: 'granularity' });
  return value;
}

export function emptyAmounts(): UsageAmounts {
  return Object.fromEntries(meterNames.map((meter) => [meter, 0])) as UsageAmounts;
}

/** Start of the period holding `at`, and the start of the next one (UTC). */
export function periodOf(at: Date, granularity: UsageGranularity): { start: Date; end: Date } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  switch (granularity) {
    case 'HOUR': {
      const start = new Date(Date.UTC(y, m, d, at.getUTCHours()));
      return { start, end: new Date(start.getTime() + 3_600_000) };
    }
    case 'DAY':
      return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
    case 'MONTH':
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  }
}

/**
 * The caller's tenant's metered usage (tenant admins only: usage is what the tenant is billed
 * for, an administrator's view). One query on the tenant's own `usage_meters`, summed per period
 * by the database; empty periods are filled with zeros here.
 */
export class UsageReportService {
  constructor(
    private readonly scope: TenantScope,
    private readonly reads: RangeReads,
  ) {}

  async report(args: { from: unknown; to: unknown; granularity?: unknown }): Promise<UsageReport> {
    assertPermission(this.scope.principal, 'administer');
    const granularity = parseUsageGranularity(args.granularity);
    const { from, to } = parseRange(args, maxRange[granularity].ms, maxRange[granularity].label);
    const first = periodOf(from, granularity).start;
    const rows = (await this.reads.read(this.scope, (manager) =>
      manager.query(
        `SELECT DATE_FORMAT(hour, ?) AS period, meter, SUM(amount) AS amount
           FROM usage_meters WHERE hour >= ? AND hour <= ? GROUP BY period, meter`,
        [periodFormat[granularity], first, to],
      ),
    )) as Array<{ period: string; meter: string; amount: number | string }>;
    const byPeriod = new Map<number, UsageAmounts>();
    for (const row of rows) {
      if (!isMeterName(row.meter)) continue;
      const key = new Date(row.period).getTime();
      let amounts = byPeriod.get(key);
      if (!amounts) byPeriod.set(key, (amounts = emptyAmounts()));
      amounts[row.meter] += Number(row.amount);
    }
    const points: UsagePoint[] = [];
    const total = emptyAmounts();
    for (let period = periodOf(from, granularity); period.start.getTime() <= to.getTime(); period = periodOf(period.end, granularity)) {
      const amounts = byPeriod.get(period.start.getTime()) ?? emptyAmounts();
      for (const meter of meterNames) total[meter] += amounts[meter];
      points.push({ ...period, ...amounts });
    }
    return { from, to, granularity, points, total };
  }
}
