import { errors } from '@tessera/errors';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids are server-made UUIDs; anything else (SQL-ish, path-ish, too long) is refused before any query. */
export function parseUuid(value: string, field: string): string {
  if (typeof value !== 'string' || !uuid.test(value)) throw errors.badInput(`${field} is not a valid id.`, { field });
  return value;
}
