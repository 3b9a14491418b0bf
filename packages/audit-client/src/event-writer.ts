import { serviceAccountUser, serviceNames } from '@tessera/tenancy';

/**
 * Which service wrote an event, from its `written_by` (the database account, `user@host` as
 * CURRENT_USER() gives it, set by the server: see the audit migrations' writer-column.ts): the
 * service's name for a service's account, `account:<user>` for any other account (an operator or
 * the migrator writing by hand), null for an event written before writers were recorded.
 */
export function eventWriter(writtenBy: unknown): string | null {
  if (typeof writtenBy !== 'string' || writtenBy === '') return null;
  // A host never holds '@'; a user name may.
  const at = writtenBy.lastIndexOf('@');
  const user = at < 0 ? writtenBy : writtenBy.slice(0, at);
  return serviceNames.find((service) => serviceAccountUser(service) === user) ?? `account:${user}`;
}
