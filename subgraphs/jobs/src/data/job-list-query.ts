import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { JobEntity, type Job, type JobKind, type JobStatus } from './job.entity';

/** A jobs list's filter, checked: known statuses and kinds, a dataset version id that is a UUID. */
export interface JobListFilter {
  statuses: readonly JobStatus[] | null;
  kinds: readonly JobKind[] | null;
  datasetVersionId: string | null;
}

/**
 * The rows of a jobs list before its page is applied (keyset, by `created_at, id`). Each filter
 * reads an index: status, kind, and the dataset version through the column the
 * JobsByDatasetVersion migration derives from the job's input, so a tenant's history of jobs does
 * not make a filtered page a scan of all of them.
 */
export function jobListQuery(manager: EntityManager, filter: JobListFilter): SelectQueryBuilder<Job> {
  const query = manager.getRepository(JobEntity).createQueryBuilder('j').where('1 = 1');
  if (filter.statuses?.length) query.andWhere('j.status IN (:...statuses)', { statuses: filter.statuses });
  if (filter.kinds?.length) query.andWhere('j.kind IN (:...kinds)', { kinds: filter.kinds });
  if (filter.datasetVersionId) query.andWhere('j.dataset_version_id = :datasetVersionId', { datasetVersionId: filter.datasetVersionId });
  return query;
}
