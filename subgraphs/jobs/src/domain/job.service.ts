import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { pageOf, parseUuid, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { JobEntity, type Job } from '../data/job.entity';

/** Jobs of one tenant (submission, queues and workers arrive with the jobs issue). */
export class JobService {
  constructor(private readonly scope: TenantScope) {}

  async list(args: PageArgs): Promise<Connection<Job>> {
    assertPermission(this.scope.principal, 'read');
    return this.scope.db((manager) => pageOf(manager.getRepository(JobEntity).createQueryBuilder('j'), 'j', args));
  }

  async get(id: string): Promise<Job> {
    assertPermission(this.scope.principal, 'read');
    const jobId = parseUuid(id, 'id');
    const job = await this.scope.db((manager) => manager.getRepository(JobEntity).findOneBy({ id: jobId }));
    if (!job) throw errors.notFound('Job', jobId);
    return job;
  }
}
