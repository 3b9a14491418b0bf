import { deriveObjectKey } from './chunk-aead';
import { assertKey } from './key-checks';
import { createHeader, parseHeader } from './object-format';

/**
 * What opens or writes exactly one object: its header and the key derived for it from the
 * tenant's data key and the header's salt. Handing this out instead of the data key lets a
 * process read or write one object without being able to decrypt any other object of the tenant
 * (the derivation is one-way, and every object has its own salt).
 */
export interface ObjectSeal {
  /** The object's header bytes (HEADER_SIZE), as they are (or will be) at the start of the object. */
  header: Buffer;
  /** HKDF(data key, header salt): the key of this object only. */
  objectKey: Buffer;
}

/**
 * A seal for a new object: a fresh header (salt, nonce prefix) under `keyVersion`. One seal writes
 * one object once: two plaintexts written under the same seal would reuse nonces.
 */
export function createObjectSeal(dataKey: Buffer, keyVersion: number): ObjectSeal {
  assertKey(dataKey, 'INVALID_DATA_KEY', 'Data key');
  const header = createHeader(keyVersion);
  return { header: header.bytes, objectKey: deriveObjectKey(dataKey, header.salt) };
}

/** The key of an existing object, from its header (e.g. a ranged GET of its first HEADER_SIZE bytes). */
export function objectKeyOf(dataKey: Buffer, header: Buffer): Buffer {
  assertKey(dataKey, 'INVALID_DATA_KEY', 'Data key');
  return deriveObjectKey(dataKey, parseHeader(header).salt);
}
