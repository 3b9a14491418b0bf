import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { ConfigError, RecurringFailureLog, type Logger } from '@tessera/config';
import { tenantDatabase } from './tenant-databases';
import { quoteIdentifier, tenantSchemaName } from './tenant-id';
import { probeTenantRows, type TenantRowQuestion } from './tenant-row-probe';

const dayMs = 86_400_000;

/**
 * The longest range any read of the metrics API accepts (`trainingMetrics`, `usageReport` per DAY:
 * 366 days; the per-minute series themselves are read over at most 92 days). A retention shorter
 * than this would let a valid question find rows missing that the platform promised to answer.
 */
export const longestReadableRangeDays = 366;

const retentionDays = z.coerce
  .number()
  .int()
  .max(36_500)
  .refine((days) => days >= longestReadableRangeDays, `must be at least ${longestReadableRangeDays} (the longest range a metrics read accepts)`);

/** How each owner of per-minute series sweeps its rows older than the retention. */
export const seriesRetentionConfigSchema = z.object({
  /** Rows whose minute began this many days ago or earlier are deleted. */
  days: retentionDays.default(400),
  /** How often a pass runs (0: never; tests call `sweep` directly). */
  intervalMs: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  /** Rows one DELETE removes: each statement is short, so the writers of new minutes never wait long. */
  batchRows: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** DELETE statements per tenant per pass: a tenant's backlog is worked off over passes, never at the others' expense. */
  batchesPerTenant: z.coerce.number().int().min(1).max(10_000).default(20),
});
export type SeriesRetentionConfig = z.infer<typeof seriesRetentionConfigSchema>;

/** The environment variable (README table), read by every service that owns per-minute series. */
export const retentionVariables = z.object({
  METRICS_RETENTION_DAYS: seriesRetentionConfigSchema.shape.days,
});

export function toRetentionOptions(parsed: z.infer<typeof retentionVariables>): Partial<SeriesRetentionConfig> {
  return { days: parsed.METRICS_RETENTION_DAYS };
}

/** Options (a deployment's or a test's) checked once; a bad value is a ConfigError naming it. */
export function seriesRetentionConfig(options: Partial<SeriesRetentionConfig> = {}): SeriesRetentionConfig {
  const parsed = seriesRetentionConfigSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((issue) => `retention ${issue.path.join('.')}: ${issue.message}`));
}

/**
 * One table of per-minute rows, in the tenant's schema. `timeColumn` is the minute (bucket) a row
 * counts; the table must be ordered by it, either as the first column of its primary key, or
 * after `partitionColumn` in an index `(partitionColumn, timeColumn)` — then the rows are deleted
 * partition by partition, each DELETE a range of that index, never a scan of the table.
 */
export interface RetainedTable {
  table: string;
  timeColumn: string;
  partitionColumn?: string;
}

export interface RetentionPassResult {
  /** Rows deleted per tenant (only tenants that had rows to delete). */
  deleted: Map<string, number>;
  /** Tenants that used their whole budget and may have old rows left for the next pass. */
  unfinished: Set<string>;
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/**
 * Deletes one owner's per-minute rows older than the retention, tenant by tenant, in small
 * batches. Which tenants have old rows is asked many tenants per statement; each such tenant then
 * gets at most `batchesPerTenant` DELETE statements of `batchRows` rows per pass, so a tenant with
 * a year of backlog takes several passes and never holds up the others. Every DELETE runs alone
 * under READ COMMITTED: it locks only the old rows it removes (no gap locks), for one short
 * statement, so the upserts of the current minute never wait behind it. Replicas may sweep at the
 * same time: a DELETE of rows already gone removes nothing, so the work is safe to repeat.
 */
export class SeriesRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionPassResult> | undefined;
  private stopped = false;
  private readonly failures: RecurringFailureLog;

  constructor(
    private readonly deps: {
      db: DataSource;
      /** The tenants whose schemas hold rows (listed at each pass). */
      tenants: () => Promise<string[]>;
      tables: readonly RetainedTable[];
      config: SeriesRetentionConfig;
      logger: Logger;
    },
  ) {
    for (const table of deps.tables) {
      for (const name of [table.table, table.timeColumn, table.partitionColumn ?? 'x']) {
        if (!identifier.test(name)) throw new Error(`not a table or column name: ${name}`);
      }
    }
    this.failures = new RecurringFailureLog(deps.logger, 'retention sweep of a tenant failed', { repeatEveryMs: 60 * 60_000, level: 'warn' });
  }

  start(): void {
    if (this.deps.config.intervalMs <= 0 || this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      void this.sweep().catch((error: unknown) => {
        if (!this.stopped) this.deps.logger.warn('retention pass failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }, this.deps.config.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running pass, which stops after its current statement. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Rows whose minute began before this are deleted by a pass at `now`. */
  cutoff(now: Date): Date {
    return new Date(now.getTime() - this.deps.config.days * dayMs);
  }

  /** One pass over the tenants now (a pass still running is joined, not doubled). */
  sweep(now: Date = new Date()): Promise<RetentionPassResult> {
    this.running ??= this.sweepAll(this.cutoff(now)).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(cutoff: Date): Promise<RetentionPassResult> {
    const result: RetentionPassResult = { deleted: new Map(), unfinished: new Set() };
    if (this.stopped) return result;
    const tenants = await this.deps.tenants();
    this.failures.forgetAllBut(tenants);
    const probe = await probeTenantRows(this.deps.db, tenants, this.deps.tables.map((table) => oldRowsQuestion(table, cutoff)));
    // A tenant that could not be asked is swept anyway: its failure is logged there.
    const withOldRows = tenants.filter((tenantId) => probe.found.has(tenantId) || probe.failed.has(tenantId));
    for (const tenantId of withOldRows) {
      if (this.stopped) break;
      try {
        const { deleted, finished } = await this.sweepTenant(tenantId, cutoff);
        if (deleted > 0) result.deleted.set(tenantId, deleted);
        if (!finished) result.unfinished.add(tenantId);
        this.failures.succeeded(tenantId, { tenantId });
      } catch (error) {
        if (!this.stopped) this.failures.failed(tenantId, error, { tenantId });
      }
    }
    return result;
  }

  /** At most `batchesPerTenant` DELETE statements over all of the owner's tables for this tenant. */
  async sweepTenant(tenantId: string, cutoff: Date): Promise<{ deleted: number; finished: boolean }> {
    const db = await tenantDatabase(this.deps.db, tenantId);
    const schema = quoteIdentifier(tenantSchemaName(tenantId));
    const { batchRows } = this.deps.config;
    let budget = this.deps.config.batchesPerTenant;
    let deleted = 0;
    for (const table of this.deps.tables) {
      // Only what has old rows costs a DELETE of the budget (one read of the index finds out).
      const partitions = await oldPartitions(db, schema, table, cutoff);
      for (const partition of partitions) {
        for (;;) {
          if (budget === 0 || this.stopped) return { deleted, finished: false };
          budget -= 1;
          const removed = await deleteBatch(db, schema, table, cutoff, batchRows, partition);
          deleted += removed;
          if (removed < batchRows) break;
        }
      }
    }
    return { deleted, finished: true };
  }
}

/** "Does this tenant have a row older than the cutoff?", answered from the index the rows are ordered by. */
function oldRowsQuestion(table: RetainedTable, cutoff: Date): TenantRowQuestion {
  if (!table.partitionColumn) return { from: (schema) => `${schema}.${table.table} WHERE ${table.timeColumn} < ?`, params: [cutoff] };
  // The oldest row per partition: a loose scan of the (partition, time) index, a few lookups per partition.
  return {
    from: (schema) => `(SELECT MIN(${table.timeColumn}) AS oldest FROM ${schema}.${table.table} GROUP BY ${table.partitionColumn}) AS oldest_rows WHERE oldest < ?`,
    params: [cutoff],
  };
}

/** The partitions holding rows older than the cutoff; for a table without partitions, `[undefined]` if it holds any. */
async function oldPartitions(db: DataSource, schema: string, table: RetainedTable, cutoff: Date): Promise<unknown[]> {
  if (!table.partitionColumn) {
    const found = (await db.query(`SELECT 1 AS found FROM ${schema}.${table.table} WHERE ${table.timeColumn} < ? LIMIT 1`, [cutoff])) as unknown[];
    return found.length > 0 ? [undefined] : [];
  }
  const rows = (await db.query(`SELECT ${table.partitionColumn} AS part FROM ${schema}.${table.table} GROUP BY ${table.partitionColumn} HAVING MIN(${table.timeColumn}) < ?`, [cutoff])) as Array<{ part: unknown }>;
  return rows.map((row) => row.part);
}

async function deleteBatch(db: DataSource, schema: string, table: RetainedTable, cutoff: Date, limit: number, partition: unknown): Promise<number> {
  const where = table.partitionColumn ? `${table.partitionColumn} = ? AND ${table.timeColumn} < ?` : `${table.timeColumn} < ?`;
  const order = table.partitionColumn ? `${table.partitionColumn}, ${table.timeColumn}` : table.timeColumn;
  const params = table.partitionColumn ? [partition, cutoff, limit] : [cutoff, limit];
  return db.transaction('READ COMMITTED', async (manager) => {
    const outcome = (await manager.query(`DELETE FROM ${schema}.${table.table} WHERE ${where} ORDER BY ${order} LIMIT ?`, params)) as { affectedRows?: number };
    return Number(outcome.affectedRows ?? 0);
  });
}
