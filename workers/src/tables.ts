import { noMigrations, type ServiceData } from '@tessera/tenancy';

/**
 * The workers own no table and borrow none: a job's state belongs to the jobs service, its inputs
 * and outputs to the datasets and models services, all reached through their ports. The workers'
 * account reads the tenant directory (control plane) and holds no right in any tenant's schema: the
 * shared pool's account would span every shared-tier tenant, so a run's time is metered by the jobs
 * service from what the run reports at its end (capped by the run's wall time), not written here.
 * Not the wrapped tenant keys either: a worker holds no master key and gets the key of one object
 * at a time from the object's owner.
 */
export const workersData: ServiceData = {
  service: 'workers',
  owns: [],
  borrows: [],
  migrations: noMigrations,
};
