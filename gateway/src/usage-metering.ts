import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import { BudgetGuard, meteringConfig, UsageRecorder, type MeteringOptions } from '@tessera/metering';
import { createUsageBudgetStep, type UsageBudgetStep } from './pipeline/usage-budget-step';

/** What the gateway meters (cost units, download bytes) and the budget checks of its pipeline. */
export interface GatewayMetering {
  recorder: UsageRecorder;
  step: UsageBudgetStep;
  /** Adds bytes served to a tenant by a download to its `downloadBytes` meter. */
  countDownloadBytes(tenantId: string | undefined, bytes: number): void;
  close(): Promise<void>;
}

export function createGatewayMetering(db: DataSource, logger: Logger, options: MeteringOptions | undefined): GatewayMetering {
  const config = meteringConfig(options);
  const recorder = new UsageRecorder({ db, logger, config });
  recorder.start();
  const guard = new BudgetGuard({ db, cacheMs: config.budgetCacheMs, pending: (tenantId) => recorder.pending(tenantId) });
  return {
    recorder,
    step: createUsageBudgetStep({ guard, recorder }),
    countDownloadBytes: (tenantId, bytes) => {
      if (tenantId) recorder.add(tenantId, 'downloadBytes', bytes);
    },
    close: () => recorder.close(),
  };
}
