import { randomBytes } from 'node:crypto';
import { CryptoError } from './crypto-error';
import { assertKeyVersion } from './key-checks';

/**
 * Layout of an encrypted object:
 *   header = "TSR1" | format version (1) | key version (uint32 BE) | salt (32) | nonce prefix (7)
 *   body   = chunk* where chunk = AES-256-GCM(≤ CHUNK_SIZE plaintext) | tag (16)
 * Every chunk is full except the final one, which may be short or empty and is marked "last"
 * in its nonce; that is what makes truncation and appending detectable.
 */
export const MAGIC = Buffer.from('TSR1', 'ascii');
export const FORMAT_VERSION = 1;
export const SALT_SIZE = 32;
export const NONCE_PREFIX_SIZE = 7;
export const HEADER_SIZE = MAGIC.length + 1 + 4 + SALT_SIZE + NONCE_PREFIX_SIZE;
export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

const KEY_VERSION_OFFSET = MAGIC.length + 1;
const SALT_OFFSET = KEY_VERSION_OFFSET + 4;
const PREFIX_OFFSET = SALT_OFFSET + SALT_SIZE;

export interface ObjectHeader {
  /** The exact header bytes; authenticated with every chunk so no header field can be altered. */
  bytes: Buffer;
  keyVersion: number;
  salt: Buffer;
  noncePrefix: Buffer;
}

/** Fresh salt and nonce prefix per object, so (key, nonce) pairs never repeat under one DEK. */
export function createHeader(keyVersion: number): ObjectHeader {
  assertKeyVersion(keyVersion);
  const bytes = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt8(FORMAT_VERSION, MAGIC.length);
  bytes.writeUInt32BE(keyVersion, KEY_VERSION_OFFSET);
  randomBytes(SALT_SIZE + NONCE_PREFIX_SIZE).copy(bytes, SALT_OFFSET);
  return parseHeader(bytes);
}

export function parseHeader(header: Buffer): ObjectHeader {
  if (header.length < HEADER_SIZE) {
    throw new CryptoError('OBJECT_TAMPERED', 'Encrypted object is truncated: the header is incomplete.');
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== FORMAT_VERSION) {
    throw new CryptoError('OBJECT_TAMPERED', 'Not a Tessera encrypted object (bad magic or unsupported format version).');
  }
  // Copy so the header does not pin (or change with) the caller's larger buffer.
  const bytes = Buffer.from(header.subarray(0, HEADER_SIZE));
  return {
    bytes,
    keyVersion: bytes.readUInt32BE(KEY_VERSION_OFFSET),
    salt: bytes.subarray(SALT_OFFSET, PREFIX_OFFSET),
    noncePrefix: bytes.subarray(PREFIX_OFFSET, HEADER_SIZE),
  };
}

/**
 * Lets a caller pick the DEK (or check it still exists) from the first HEADER_SIZE bytes,
 * e.g. via a ranged GET, before streaming the object. Not authenticated on its own:
 * a forged version only leads to a key whose tags will not verify.
 */
export function readKeyVersion(header: Buffer): number {
  return parseHeader(header).keyVersion;
}

/** Exact ciphertext length, so uploads can declare Content-Length without buffering the object. */
export function encryptedSize(plainSize: number): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new CryptoError('INVALID_ARGUMENT', `plainSize must be a non-negative integer (got ${String(plainSize)}).`);
  }
  // An empty object still has one (empty, last) chunk; a size that is a multiple of CHUNK_SIZE has no extra empty chunk.
  const chunks = Math.max(1, Math.ceil(plainSize / CHUNK_SIZE));
  return HEADER_SIZE + plainSize + chunks * TAG_SIZE;
}
