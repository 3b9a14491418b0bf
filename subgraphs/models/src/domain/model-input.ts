import { errors } from '@tessera/errors';

export { parseUuid as parseId } from '@tessera/service-kit';

export { parseResourceName as parseModelName, parseDescription, parseFilename } from '@tessera/service-kit';

const aliasPattern = /^[a-z][a-z0-9_-]{0,62}$/;

/**
 * Aliases are free names (`staging` and `production` are just the common ones): lower-case,
 * starting with a letter, so they can never be mistaken for a version number.
 */
export function parseAlias(value: string, field = 'alias'): string {
  if (typeof value !== 'string' || !aliasPattern.test(value)) {
    throw errors.badInput(`${field} must be 1–63 characters: lower-case letters, digits, '_' or '-', starting with a letter.`, { field });
  }
  return value;
}

export function parseVersionNumber(value: number, field = 'version'): number {
  if (!Number.isSafeInteger(value) || value < 1) throw errors.badInput(`${field} must be a positive version number.`, { field });
  return value;
}

const idempotencyPattern = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

export function parseIdempotencyKey(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!idempotencyPattern.test(value)) {
    throw errors.badInput("idempotencyKey must be 1–128 characters: letters, digits, ':', '.', '_' or '-'.", { field: 'idempotencyKey' });
  }
  return value;
}
