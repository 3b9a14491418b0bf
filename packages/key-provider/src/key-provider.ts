/**
 * The key provider holds the key-encryption keys (KEKs); services never see them. A service asks
 * it to wrap a tenant's data key, to unwrap it again, and (the tenants service, which administers
 * the KEK) to rewrap, rotate and retire versions. Every wrap is bound to a context: the same
 * ciphertext presented with another context does not unwrap.
 */
export interface KeyProvider {
  /** Which implementation answers (for status pages and logs). */
  readonly kind: 'vault-transit';
  /** The KEK's name at the provider. */
  readonly keyName: string;
  /** Encrypts `plaintext` under the KEK's latest version, bound to `context`. Returns `vault:v<N>:…`. */
  wrap(plaintext: Buffer, context: string): Promise<string>;
  /** Decrypts a wrap made with the same context; refused for a retired or destroyed version. */
  unwrap(wrapped: string, context: string): Promise<Buffer>;
  /** Moves a wrap to the latest version without the plaintext leaving the provider. */
  rewrap(wrapped: string, context: string): Promise<string>;
  status(): Promise<KeyEncryptionKeyStatus>;
  /** A new version becomes the one every new wrap uses; older ones still unwrap. */
  rotate(): Promise<KeyEncryptionKeyStatus>;
  /** Versions below `version` no longer unwrap (retired); they still exist and can be re-admitted. */
  setMinDecryptionVersion(version: number): Promise<KeyEncryptionKeyStatus>;
  /** Versions below `version` are deleted for good (must be retired first). */
  destroyVersionsBelow(version: number): Promise<KeyEncryptionKeyStatus>;
  /** Creates another (derived) key by name, e.g. a tenant's own `tessera-tenant-<id>`; idempotent. */
  createKey(name: string): Promise<void>;
  /** Destroys a named key and all its versions for good (never the platform KEK); false if it did not exist. */
  deleteKey(name: string): Promise<boolean>;
  keyExists(name: string): Promise<boolean>;
  /** The same provider (connection, credentials) speaking for another named key: wrap/unwrap with a tenant's own key. */
  withKey(name: string): KeyProvider;
}

export interface KeyEncryptionKeyStatus {
  keyName: string;
  latestVersion: number;
  /** Wraps of lower versions are refused. */
  minDecryptionVersion: number;
  /** Lower versions are destroyed (0 or 1: none). */
  minAvailableVersion: number;
  /** The versions that still exist, oldest first. */
  versions: Array<{ version: number; createdAt: Date }>;
}

const wrappedPattern = /^vault:v(\d{1,9}):[A-Za-z0-9+/=]+$/;

/** The KEK version a wrap was made with (`vault:v<N>:…`), or undefined for anything else (e.g. a pre-provider wrap). */
export function wrappedKeyVersion(wrapped: string): number | undefined {
  const match = wrappedPattern.exec(wrapped);
  return match ? Number(match[1]) : undefined;
}
