import { TesseraError } from '@tessera/errors';

/**
 * What one request has opened of stored column profiles, by request (its GraphQL context, one
 * object per request): a page of wide versions with their `columns` is decrypted and decoded
 * here, in the process every tenant shares, while the operation's cost counts each profile as a
 * list of 10. Past `maxBytes` of stored profiles a request opens no more: the field is
 * QUERY_TOO_COMPLEX naming the limit, and a smaller page fits.
 */
const openedByRequest = new WeakMap<object, { bytes: number }>();

export function chargeProfileRead(request: object, storedBytes: number, maxBytes: number): void {
  const opened = openedByRequest.get(request) ?? { bytes: 0 };
  const measured = opened.bytes + storedBytes;
  if (measured > maxBytes) {
    throw new TesseraError('QUERY_TOO_COMPLEX', `This request asked for more column profiles than one request may open (${maxBytes} bytes as stored); ask for fewer versions' columns per request.`, {
      limit: 'maxProfileBytesPerRequest',
      limitValue: maxBytes,
      measured,
    });
  }
  opened.bytes = measured;
  openedByRequest.set(request, opened);
}

/** The stored size of a profile: its sealed text, or (stored before sealing) its JSON. */
export function storedProfileBytes(stored: unknown): number {
  return Buffer.byteLength(typeof stored === 'string' ? stored : JSON.stringify(stored ?? null));
}
