import { errors } from '@tessera/errors';

/**
 * Parsers for the inputs every resource shares (names, descriptions, uploaded file names), so
 * datasets, models and jobs accept and refuse exactly the same things with the same messages.
 */
const namePattern = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,126}[A-Za-z0-9._-])?$/;

/** Names are shown in UIs and logs; a narrow alphabet keeps SQL, paths and markup out. */
export function parseResourceName(value: string, field = 'name'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!namePattern.test(name) || name.includes('..')) {
    throw errors.badInput(`${field} must be 1–128 characters: letters, digits, space, '.', '_' or '-', starting with a letter or digit.`, { field });
  }
  return name;
}

export function parseDescription(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const description = value.trim();
  // A lone surrogate is no character: MySQL would store U+FFFD, and the answer would not be what was saved.
  if (description.length > 1000 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(description) || /\p{Surrogate}/u.test(description)) {
    throw errors.badInput('description must be at most 1000 characters of text without control characters.', { field: 'description' });
  }
  return description || null;
}

const filenamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,254}$/;

/** A plain file name, never a path: it ends up in object keys and Content-Disposition headers. */
export function parseFilename(value: string): string {
  const filename = typeof value === 'string' ? value.trim() : '';
  if (!filenamePattern.test(filename) || filename.includes('..')) {
    throw errors.badInput("filename must be a plain file name (letters, digits, space, '.', '_', '-', '(', ')'), no path.", { field: 'filename' });
  }
  return filename;
}
