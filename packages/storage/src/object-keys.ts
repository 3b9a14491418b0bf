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
