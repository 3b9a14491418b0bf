import type { Logger } from '@tessera/config';
import type { EventBus } from '@tessera/events';
import type { JobQueues } from '@tessera/job-queue';
import type { BudgetGuard } from '@tessera/metering';
import type { TenantStore } from '@tessera/tenancy';
import type { JobCatalog } from './job-input-resolver';

/** What the jobs subgraph holds besides the tenant scope: the queues it feeds and the event bus. */
export interface JobsDeps {
  queues: JobQueues;
  events: EventBus;
  logger: Logger;
  /** Month-to-date usage against budgets: a tenant past its jobWorkerMs budget submits no new jobs. */
  budgets: BudgetGuard;
  /** Where submitted references are checked: the datasets and models ports, never their tables. */
  catalog: JobCatalog;
  /** The control plane's tenant records, read uncached: a submit follows a tier changed under it (absent where the module is only built for its schema). */
  tenants: Pick<TenantStore, 'find'> | undefined;
}
