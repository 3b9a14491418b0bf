import type { Logger } from '@tessera/config';
import { poolName } from '@tessera/job-queue';
import { RingSupervisor, type RingStatus, type SupervisedRing } from './ring-supervisor';
import { limitsOf, type SupervisorConfig } from './supervisor-config';

export interface WorkerSupervisor {
  /** Each ring's workers, limits, last signals, deaths and recovered runs. */
  status(): RingStatus[];
  /** Stops every worker of every ring cleanly. */
  stop(): Promise<void>;
}

/**
 * Worker processes for a set of rings (the shared pool of each region served, each dedicated
 * tenant's own), each ring supervised on its own: its signals, its limits, its restarts. A flood
 * in one ring starts workers of that ring only.
 */
export async function startWorkerSupervisor(options: { config: SupervisorConfig; rings: readonly SupervisedRing[]; logger: Logger }): Promise<WorkerSupervisor> {
  const names = options.rings.map((ring) => poolName(ring.pool));
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`ring ${duplicate} is supervised twice`);
  const rings = options.rings.map((ring) => new RingSupervisor(ring, limitsOf(options.config, poolName(ring.pool)), options.config, options.logger.child({ component: 'worker-supervisor' })));
  try {
    await Promise.all(rings.map((ring) => ring.start()));
  } catch (error) {
    await Promise.all(rings.map((ring) => ring.stop().catch(() => undefined)));
    throw error;
  }
  return {
    status: () => rings.map((ring) => ring.status()),
    stop: async () => {
      await Promise.all(rings.map((ring) => ring.stop()));
    },
  };
}
