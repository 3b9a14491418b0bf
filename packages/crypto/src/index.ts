export { CryptoError, isCryptoError, type CryptoErrorCode } from './crypto-error';
export {
  generateDataKey,
  wrapDataKey,
  unwrapDataKey,
  rewrapDataKey,
  parseMasterKey,
  type KeyContext,
} from './data-keys';
export {
  createEncryptStream,
  createDecryptStream,
  encryptBuffer,
  decryptBuffer,
  readKeyVersion,
  encryptedSize,
  CHUNK_SIZE,
  HEADER_SIZE,
  type EncryptOptions,
  type DecryptOptions,
} from './object-cipher';
export { createObjectSeal, objectKeyOf, type ObjectSeal } from './object-seal';
