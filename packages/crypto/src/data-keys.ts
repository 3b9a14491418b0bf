import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from './crypto-error';
import { KEY_SIZE, assertKey, assertKeyVersion } from './key-checks';

/** Which tenant row and key version a wrapped DEK belongs to. */
export interface KeyContext {
  tenantId: string;
  keyVersion: number;
}

const FORMAT = 'v1';
const IV_SIZE = 12;
const TAG_SIZE = 16;
// Domain separation: the same master key may one day wrap other things; this label keeps them apart.
const AAD_LABEL = Buffer.from('tessera-dek-v1\0', 'utf8');

export function generateDataKey(): Buffer {
  return randomBytes(KEY_SIZE);
}

/**
 * Wraps a DEK under the master key. The context is authenticated (not stored), so a wrapped key
 * pasted onto another tenant's row or another version number fails to unwrap instead of silently
 * giving that tenant someone else's key.
 */
export function wrapDataKey(masterKey: Buffer, dataKey: Buffer, context: KeyContext): string {
  assertKey(masterKey, 'INVALID_MASTER_KEY', 'Master key');
  assertKey(dataKey, 'INVALID_DATA_KEY', 'Data key');
  const aad = contextAad(context);
  const iv = randomBytes(IV_SIZE);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
}

/**
 * Every data-dependent failure becomes the same KEY_UNWRAP_FAILED: telling "bad format" from
 * "wrong key" from "wrong tenant" apart would only help someone probing. Invalid arguments
 * (a master key of the wrong length, a malformed context) are configuration bugs and keep their own codes.
 */
export function unwrapDataKey(masterKey: Buffer, wrapped: string, context: KeyContext): Buffer {
  assertKey(masterKey, 'INVALID_MASTER_KEY', 'Master key');
  const aad = contextAad(context);
  try {
    const { iv, ciphertext, tag } = parseWrapped(wrapped);
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const dataKey = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    if (dataKey.length !== KEY_SIZE) throw new Error('unwrapped key has the wrong length');
    return dataKey;
  } catch (cause) {
    throw new CryptoError('KEY_UNWRAP_FAILED', 'The data key could not be unwrapped (wrong master key, wrong key context, or corrupted value).', { cause });
  }
}

/** For master-key rotation: the DEK (and so every object encrypted under it) stays the same. */
export function rewrapDataKey(oldMasterKey: Buffer, newMasterKey: Buffer, wrapped: string, context: KeyContext): string {
  assertKey(newMasterKey, 'INVALID_MASTER_KEY', 'New master key');
  const dataKey = unwrapDataKey(oldMasterKey, wrapped, context);
  try {
    return wrapDataKey(newMasterKey, dataKey, context);
  } finally {
    // Shortens how long the plaintext DEK sits in memory; best effort, JS gives no stronger guarantee.
    dataKey.fill(0);
  }
}

/**
 * Parses the platform master key from configuration (e.g. `openssl rand -base64 32`).
 * Accepts base64 or base64url, padded or not, and surrounding whitespace from env files.
 * Messages never echo the value: it is a secret even when malformed.
 */
export function parseMasterKey(base64: string): Buffer {
  if (typeof base64 !== 'string' || base64.trim() === '') {
    throw new CryptoError('INVALID_MASTER_KEY', 'Master key is missing; expected base64 of 32 random bytes.');
  }
  const normalised = base64.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bytes = Buffer.from(normalised, 'base64url');
  // Node ignores invalid characters when decoding; a canonical round trip catches typos and truncation.
  if (bytes.toString('base64url') !== normalised) {
    throw new CryptoError('INVALID_MASTER_KEY', 'Master key is not valid base64; expected base64 of 32 random bytes.');
  }
  if (bytes.length !== KEY_SIZE) {
    throw new CryptoError('INVALID_MASTER_KEY', `Master key must decode to exactly ${KEY_SIZE} bytes (got ${bytes.length}).`);
  }
  return bytes;
}

function contextAad(context: KeyContext): Buffer {
  if (typeof context?.tenantId !== 'string' || context.tenantId.length === 0) {
    throw new CryptoError('INVALID_ARGUMENT', 'Key context needs a non-empty tenantId.');
  }
  assertKeyVersion(context.keyVersion);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(context.keyVersion);
  // tenantId goes last, after fixed-size fields, so the encoding is unambiguous without a length prefix.
  return Buffer.concat([AAD_LABEL, version, Buffer.from(context.tenantId, 'utf8')]);
}

function parseWrapped(wrapped: string): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  if (typeof wrapped !== 'string') throw new Error('wrapped key is not a string');
  const parts = wrapped.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) throw new Error('unknown wrapped-key format');
  const [iv, ciphertext, tag] = parts.slice(1).map(decodeBase64UrlStrict) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_SIZE || tag.length !== TAG_SIZE || ciphertext.length !== KEY_SIZE) {
    throw new Error('wrapped key has wrong field lengths');
  }
  return { iv, ciphertext, tag };
}

// Buffer.from(..., 'base64url') skips characters it does not understand; a round trip rejects them.
function decodeBase64UrlStrict(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new Error('not canonical base64url');
  return bytes;
}
