import { errors } from '@tessera/errors';

export { parseUuid as parseId } from '@tessera/service-kit';

export { parseResourceName as parseName, parseDescription, parseFilename } from '@tessera/service-kit';

export const acceptedContentTypes = ['text/csv', 'application/csv', 'text/plain'] as const;

export function parseContentType(value: string | null | undefined): string {
  const type = (value ?? 'text/csv').toLowerCase().split(';')[0]!.trim();
  if (!(acceptedContentTypes as readonly string[]).includes(type)) {
    throw errors.badInput(`contentType must be one of: ${acceptedContentTypes.join(', ')}.`, { field: 'contentType' });
  }
  return type;
}
