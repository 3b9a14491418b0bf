import { errors } from '@tessera/errors';

/**
 * Object keys are built only from server-generated ids and fixed words, never from user text,
 * so no name can walk out of its prefix. This check is the last line of defence.
 */
const segment = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function objectKey(...segments: string[]): string {
  for (const part of segments) {
    if (!segment.test(part) || part.includes('..')) throw errors.badInput(`Invalid object key segment ${JSON.stringify(part)}.`);
  }
  return segments.join('/');
}

/** S3's limit on a key, in UTF-8 bytes. */
const maxKeyBytes = 1024;

/**
 * Whether `key` names one object under its own path: no empty, `.` or `..` segment, no leading
 * slash, no backslash or control character, at most 1 024 bytes. S3 itself takes such keys
 * literally, but a store that keeps objects as files (s3rver, which `npm start` and the tests run)
 * or a proxy in front of a store resolves the segments, so a key that starts inside a prefix could
 * name an object of another prefix, or of another bucket.
 */
export function isPlainObjectKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key, 'utf8') > maxKeyBytes) return false;
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return false;
  return key.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** `key`, or BAD_USER_INPUT when it is not a plain object key (see `isPlainObjectKey`). */
export function plainObjectKey(key: string): string {
  if (!isPlainObjectKey(key)) throw errors.badInput(`Invalid object key ${JSON.stringify(String(key).slice(0, 200))}.`, { field: 'objectKey' });
  return key;
}
