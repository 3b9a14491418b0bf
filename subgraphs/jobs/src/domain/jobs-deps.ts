import type { Logger } from '@tessera/config';
import type { EventBus } from '@tessera/events';
import type { JobQueues } from '@tessera/job-queue';
import type { BudgetGuard } from '@tessera/metering';

/** What the jobs subgraph holds besides the tenant scope: the queues it feeds and the event bus. */
export interface JobsDeps {
  queues: JobQueues;
  events: EventBus;
  logger: Logger;
  /** Month-to-date usage against budgets: a tenant past its jobWorkerMs budget submits no new jobs. */
  budgets: BudgetGuard;
}
