import type { Logger } from '@tessera/config';
import type { EventBus } from '@tessera/events';
import type { JobQueues } from '@tessera/job-queue';

/** What the jobs subgraph holds besides the tenant scope: the queues it feeds and the event bus. */
export interface JobsDeps {
  queues: JobQueues;
  events: EventBus;
  logger: Logger;
}
