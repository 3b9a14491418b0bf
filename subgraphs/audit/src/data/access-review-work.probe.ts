import type { TenantRowQuestion } from '@tessera/tenancy';

/**
 * Whether a tenant already has the review of each period in `labels` (the periods the schedule
 * owes it), asked of many tenants per statement: a tenant is found when all of them exist, and
 * only the others are visited. Asking for every owed period, not only the last, means a gap is
 * found even when an admin ran a later period by hand before the schedule came to it.
 */
export function reviewWorkQuestions(labels: readonly string[]): TenantRowQuestion[] {
  return [{ from: (schema) => `${schema}.access_reviews WHERE period IN (?) HAVING COUNT(*) = ?`, params: [labels, labels.length] }];
}
