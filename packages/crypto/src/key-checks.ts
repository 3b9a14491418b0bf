import { CryptoError, type CryptoErrorCode } from './crypto-error';

/** AES-256 needs exactly 32 bytes; a shorter key would silently select a weaker cipher or throw deep in OpenSSL. */
export const KEY_SIZE = 32;

export function assertKey(key: unknown, code: CryptoErrorCode, label: string): asserts key is Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_SIZE) {
    const got = Buffer.isBuffer(key) ? `${key.length} bytes` : typeof key;
    throw new CryptoError(code, `${label} must be exactly ${KEY_SIZE} bytes (got ${got}).`);
  }
}

/** Key versions are stored as uint32 in object headers and wrapped-key AAD, so they must fit. */
export function assertKeyVersion(keyVersion: unknown): asserts keyVersion is number {
  if (typeof keyVersion !== 'number' || !Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 0xffff_ffff) {
    throw new CryptoError('INVALID_ARGUMENT', `keyVersion must be an integer in [0, 2^32) (got ${String(keyVersion)}).`);
  }
}
