import type { ServiceName } from '@tessera/tenancy';

/**
 * The kinds of event exactly one service records, by action prefix: a `dataset.*` event is
 * written by the datasets service and by no other, and so on. An event of one of these kinds
 * written by another account (its `written_by`, which the writer cannot choose) is an event
 * written in another service's name. Actions outside these prefixes are written by several
 * services (access refusals, cross-tenant attempts, key and budget events) and have no one owner.
 * test/audit-action-owners.test.ts checks the sources against this list.
 */
export const actionOwners: ReadonlyArray<{ prefix: string; service: ServiceName }> = [
  { prefix: 'dataset.', service: 'datasets' },
  { prefix: 'model.', service: 'models' },
  { prefix: 'job.', service: 'jobs' },
  { prefix: 'member.', service: 'tenants' },
  { prefix: 'api_key.', service: 'tenants' },
  { prefix: 'service_account.', service: 'tenants' },
  { prefix: 'tenant.', service: 'tenants' },
  { prefix: 'alert.', service: 'audit' },
  { prefix: 'access_review.', service: 'audit' },
  { prefix: 'audit.', service: 'audit' },
  { prefix: 'anomaly.', service: 'metrics' },
];

/** The one service that records `action`, or null when several may. */
export function actionOwner(action: string): ServiceName | null {
  return actionOwners.find(({ prefix }) => action.startsWith(prefix))?.service ?? null;
}

/**
 * The form every action the platform records has: lower-case words joined by dots. The trail's
 * columns compare without case or trailing spaces, so `Dataset.delete` or `dataset.delete ` would
 * list as a `dataset.delete` while escaping its owner's prefix; no service records such a name.
 */
const actionForm = /^[a-z_]+(\.[a-z_]+)*$/;

/**
 * Whether an event of `action` written by `writer` (an `eventWriter` answer) is in its owner's
 * name: the action has the platform's form, and an owned kind was written by its owner. An event
 * from before writers were recorded (null) cannot be judged and passes.
 */
export function writtenByItsOwner(action: string, writer: string | null): boolean {
  if (writer === null) return true;
  if (!actionForm.test(action)) return false;
  const owner = actionOwner(action);
  return owner === null || writer === owner;
}
