import { Readable } from 'node:stream';
import { TesseraError } from '@tessera/errors';
import { profileCsv, type CsvLimits, type CsvProfile } from '../src';

export function bytes(input: string | Uint8Array): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
}

/** `input` cut into chunks of `size` bytes (0 = one chunk), with no regard for character boundaries. */
export function chunked(input: string | Uint8Array, size = 0): Buffer[] {
  const buf = bytes(input);
  if (size <= 0) return [buf];
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return chunks;
}

export function profile(input: string | Uint8Array, options: { chunkSize?: number; limits?: Partial<CsvLimits> } = {}): Promise<CsvProfile> {
  return profileCsv(Readable.from(chunked(input, options.chunkSize)), options.limits);
}

/** Awaits a promise that must reject with a TesseraError and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TesseraError);
    return error as TesseraError;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
}

/** The error a file is rejected with; also checks the same file cut into 1-byte chunks fails identically. */
export async function rejected(input: string | Uint8Array, limits: Partial<CsvLimits> = {}): Promise<TesseraError> {
  const whole = await rejection(profile(input, { limits }));
  const trickled = await rejection(profile(input, { limits, chunkSize: 1 }));
  expect(trickled.extensions).toEqual(whole.extensions);
  expect(trickled.message).toBe(whole.message);
  return whole;
}
