import { errors } from '@tessera/errors';

export { parseUuid as parseId } from '@tessera/service-kit';

const namePattern = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,126}[A-Za-z0-9._-])?$/;

/** Model names are shown in UIs and logs; a narrow alphabet keeps SQL, paths and markup out. */
export function parseModelName(value: string, field = 'name'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!namePattern.test(name) || name.includes('..')) {
    throw errors.badInput(`${field} must be 1–128 characters: letters, digits, space, '.', '_' or '-', starting with a letter or digit.`, { field });
  }
  return name;
}

export function parseDescription(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const description = value.trim();
  if (description.length > 1000 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(description)) {
    throw errors.badInput('description must be at most 1000 characters without control characters.', { field: 'description' });
  }
  return description || null;
}

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

const filenamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,254}$/;

export function parseFilename(value: string): string {
  const filename = typeof value === 'string' ? value.trim() : '';
  if (!filenamePattern.test(filename) || filename.includes('..')) {
    throw errors.badInput("filename must be a plain file name (letters, digits, space, '.', '_', '-', '(', ')'), no path.", { field: 'filename' });
  }
  return filename;
}

const idempotencyPattern = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

export function parseIdempotencyKey(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!idempotencyPattern.test(value)) {
    throw errors.badInput("idempotencyKey must be 1–128 characters: letters, digits, ':', '.', '_' or '-'.", { field: 'idempotencyKey' });
  }
  return value;
}
