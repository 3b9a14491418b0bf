import type { ServiceRuntime } from '@tessera/service-kit';
import { AccessDirectory } from '@tessera/tenants/ports';
import type { AccessStandingDirectory, RoleSource } from './principal-standing';

/**
 * What the jobs port checks a job's principal against: the tenants service's access tables, read
 * through its published AccessDirectory on this service's own pool and database account (SELECT
 * only, as the tenants service's declarations publish them to the jobs service).
 */
export function jobsAccessStanding(runtime: Pick<ServiceRuntime, 'db' | 'config'>, roleSource: RoleSource = 'claims'): { directory: AccessStandingDirectory; roleSource: RoleSource } {
  return { directory: new AccessDirectory(runtime.db, runtime.config.database.controlSchema), roleSource };
}
