import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { CryptoError } from './crypto-error';
import { KEY_SIZE } from './key-checks';
import { NONCE_PREFIX_SIZE, TAG_SIZE } from './object-format';

const OBJECT_KEY_INFO = 'tessera-object-v1';
const MAX_COUNTER = 0xffff_ffff;

/** A key per object: nonces are random-prefix + counter, and a per-object key removes any birthday bound across objects. */
export function deriveObjectKey(dataKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, salt, OBJECT_KEY_INFO, KEY_SIZE));
}

/**
 * prefix (7) | counter (uint32 BE) | last flag (1). The counter pins each chunk to its position
 * (no reordering); the flag distinguishes the real end from a cut at a chunk boundary.
 */
export function chunkNonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  if (counter > MAX_COUNTER) {
    throw new CryptoError('OBJECT_TOO_LARGE', 'Object exceeds the maximum of 2^32 chunks.');
  }
  const nonce = Buffer.alloc(NONCE_PREFIX_SIZE + 5);
  prefix.copy(nonce, 0, 0, NONCE_PREFIX_SIZE);
  nonce.writeUInt32BE(counter, NONCE_PREFIX_SIZE);
  nonce.writeUInt8(last ? 1 : 0, NONCE_PREFIX_SIZE + 4);
  return nonce;
}

export function sealChunk(key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final(); // GCM is a stream mode: final() emits nothing, it only computes the tag.
  return Buffer.concat([ciphertext, cipher.getAuthTag()]);
}

/** Returns plaintext only once the tag has verified; unverified bytes never leave this function. */
export function openChunk(key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < TAG_SIZE) {
    throw new CryptoError('OBJECT_TAMPERED', 'Encrypted object is truncated: a chunk is shorter than its tag.');
  }
  const tagStart = sealed.length - TAG_SIZE;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(tagStart));
    const plaintext = decipher.update(sealed.subarray(0, tagStart));
    decipher.final();
    return plaintext;
  } catch (cause) {
    throw new CryptoError(
      'OBJECT_TAMPERED',
      'Encrypted object failed authentication (modified, truncated, reordered, wrong key or wrong associated data).',
      { cause },
    );
  }
}
