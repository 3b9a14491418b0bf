import { noMigrations, type ServiceData } from '@tessera/tenancy';

/**
 * The workers own no table and borrow none: a job's state belongs to the jobs service, its inputs
 * and outputs to the datasets and models services, all reached through their ports. What the
 * workers' account still holds are the published reads and write-ins every tenant-serving process
 * uses (the tenant directory, usage meters, the audit outbox); not the wrapped tenant keys: a
 * worker holds no master key and gets the key of one object at a time from the object's owner.
 */
export const workersData: ServiceData = {
  service: 'workers',
  owns: [],
  borrows: [],
  migrations: noMigrations,
};
