import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyStateFile, TransitKeyState, TransitState } from './key-state-file';
import { TransitError } from './transit-error';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const KEY_SIZE = 32;
const ciphertextPattern = /^vault:v(\d{1,9}):([A-Za-z0-9+/]+={0,2})$/;

/** GET /keys/:name, as Vault answers it for a derived aes256-gcm96 key. */
export interface TransitKeyInfo {
  name: string;
  type: 'aes256-gcm96';
  derived: true;
  kdf: 'hkdf_sha256';
  keys: Record<string, number>;
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: 0;
  min_available_version: number;
  deletion_allowed: boolean;
  exportable: false;
  supports_encryption: true;
  supports_decryption: true;
  supports_derivation: true;
}

/**
 * The subset of Vault's transit engine Tessera uses, on versioned keys kept in one state file:
 * create (derived keys only), read, rotate, config (min_decryption_version), trim, encrypt,
 * decrypt, rewrap. Ciphertexts have Vault's layout, `vault:v<N>:` + base64(nonce ‖ AES-256-GCM
 * ciphertext ‖ tag), under a key derived per context with HKDF-SHA256 (Vault's `hkdf_sha256` kdf):
 * the version key, no salt, the context as info.
 */
export class TransitEngine {
  private readonly state: TransitState;

  constructor(private readonly file: KeyStateFile) {
    this.state = file.load();
  }

  /** Creates the key (version 1) unless it exists; true when it was created. */
  createKey(name: string, options: { derived?: unknown; type?: unknown } = {}): boolean {
    if (options.type !== undefined && options.type !== 'aes256-gcm96') throw new TransitError(400, 'the local key service supports only aes256-gcm96 keys');
    if (options.derived !== undefined && options.derived !== true && options.derived !== 'true') throw new TransitError(400, 'the local key service keeps derived keys only (derived=true)');
    // `__proto__`, `constructor`, …: a key of that name would be (or replace) a member of every object.
    if (name in Object.prototype) throw new TransitError(400, 'the key name is reserved');
    if (this.ownKey(name)) return false;
    this.state.keys[name] = { type: 'aes256-gcm96', derived: true, latestVersion: 1, minDecryptionVersion: 1, minAvailableVersion: 0, versions: { '1': newVersion() } };
    this.file.save(this.state);
    return true;
  }

  read(name: string): TransitKeyInfo {
    const key = this.key(name);
    return {
      name,
      type: 'aes256-gcm96',
      derived: true,
      kdf: 'hkdf_sha256',
      keys: Object.fromEntries(Object.entries(key.versions).map(([version, entry]) => [version, entry.createdAt])),
      latest_version: key.latestVersion,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: 0,
      min_available_version: key.minAvailableVersion,
      deletion_allowed: key.deletionAllowed === true,
      exportable: false,
      supports_encryption: true,
      supports_decryption: true,
      supports_derivation: true,
    };
  }

  rotate(name: string): TransitKeyInfo {
    const key = this.key(name);
    key.latestVersion += 1;
    key.versions[String(key.latestVersion)] = newVersion();
    this.file.save(this.state);
    return this.read(name);
  }

  configure(name: string, body: { min_decryption_version?: unknown; deletion_allowed?: unknown }): TransitKeyInfo {
    const key = this.key(name);
    if (body.deletion_allowed !== undefined) {
      if (typeof body.deletion_allowed !== 'boolean') throw new TransitError(400, 'deletion_allowed must be a boolean');
      key.deletionAllowed = body.deletion_allowed;
      this.file.save(this.state);
    }
    if (body.min_decryption_version !== undefined) {
      const version = integer(body.min_decryption_version, 'min_decryption_version');
      if (version < 1) throw new TransitError(400, 'min decryption version must be at least 1');
      if (version > key.latestVersion) throw new TransitError(400, `cannot set min decryption version of ${version}, latest key version is ${key.latestVersion}`);
      if (version < key.minAvailableVersion) throw new TransitError(400, `min decryption version should not be less than min available version (${key.minAvailableVersion})`);
      key.minDecryptionVersion = version;
      this.file.save(this.state);
    }
    return this.read(name);
  }

  /** Deletes every version below `min_available_version` for good; only versions already retired can go. */
  trim(name: string, body: { min_available_version?: unknown }): TransitKeyInfo {
    const key = this.key(name);
    const version = integer(body.min_available_version, 'min_available_version');
    if (version < key.minAvailableVersion) throw new TransitError(400, 'minimum available version cannot be decreased');
    if (version > key.minDecryptionVersion) throw new TransitError(400, 'minimum available version cannot be greater than minimum decryption version');
    for (const existing of Object.keys(key.versions)) if (Number(existing) < version) delete key.versions[existing];
    key.minAvailableVersion = version;
    this.file.save(this.state);
    return this.read(name);
  }

  /**
   * Deletes the key and every version of it for good (Vault's `DELETE /transit/keys/:name`):
   * refused unless `deletion_allowed` was set first, so no single mistaken call destroys a key.
   * Deleting a key that does not exist succeeds (Vault answers 204 too), so erasure can retry.
   */
  deleteKey(name: string): void {
    const key = this.ownKey(name);
    if (!key) return;
    if (key.deletionAllowed !== true) throw new TransitError(400, 'deletion is not allowed for this key');
    for (const version of Object.values(key.versions)) version.key = '';
    delete this.state.keys[name];
    this.file.save(this.state);
  }

  encrypt(name: string, body: { plaintext?: unknown; context?: unknown }): { ciphertext: string; key_version: number } {
    const key = this.key(name);
    const plaintext = base64Field(body.plaintext, 'plaintext');
    const context = contextOf(body.context);
    return { ciphertext: seal(key, key.latestVersion, context, plaintext), key_version: key.latestVersion };
  }

  decrypt(name: string, body: { ciphertext?: unknown; context?: unknown }): { plaintext: string } {
    const key = this.key(name);
    const plaintext = open(key, body.ciphertext, contextOf(body.context));
    return { plaintext: plaintext.toString('base64') };
  }

  /** Decrypts and encrypts again under the latest version inside this process: the plaintext is never returned. */
  rewrap(name: string, body: { ciphertext?: unknown; context?: unknown }): { ciphertext: string; key_version: number } {
    const key = this.key(name);
    const context = contextOf(body.context);
    const plaintext = open(key, body.ciphertext, context);
    try {
      return { ciphertext: seal(key, key.latestVersion, context, plaintext), key_version: key.latestVersion };
    } finally {
      plaintext.fill(0);
    }
  }

  private key(name: string): TransitKeyState {
    const key = this.ownKey(name);
    if (!key) throw new TransitError(400, 'encryption key not found');
    return key;
  }

  /**
   * The key of that name, looked up among the state's own entries only: the keys live in a plain
   * object, where `__proto__` or `constructor` would otherwise resolve to Object.prototype members
   * (a config of `__proto__` set deletion_allowed on every object, and such names crashed reads).
   */
  private ownKey(name: string): TransitKeyState | undefined {
    return Object.hasOwn(this.state.keys, name) ? this.state.keys[name] : undefined;
  }
}

function newVersion(): { key: string; createdAt: number } {
  return { key: randomBytes(KEY_SIZE).toString('base64'), createdAt: Math.floor(Date.now() / 1000) };
}

function derivedKey(key: TransitKeyState, version: number, context: Buffer): Buffer {
  const entry = key.versions[String(version)];
  if (!entry) throw new TransitError(400, 'ciphertext or signature version is disallowed by policy (too old)');
  return Buffer.from(hkdfSync('sha256', Buffer.from(entry.key, 'base64'), Buffer.alloc(0), context, KEY_SIZE));
}

function seal(key: TransitKeyState, version: number, context: Buffer, plaintext: Buffer): string {
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(key, version, context), nonce);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `vault:v${version}:${Buffer.concat([nonce, body]).toString('base64')}`;
}

function open(key: TransitKeyState, ciphertext: unknown, context: Buffer): Buffer {
  if (typeof ciphertext !== 'string') throw new TransitError(400, 'missing ciphertext to decrypt');
  const match = ciphertextPattern.exec(ciphertext);
  if (!match) throw new TransitError(400, 'invalid ciphertext: no prefix');
  const version = Number(match[1]);
  if (version < key.minDecryptionVersion || version < key.minAvailableVersion) throw new TransitError(400, 'ciphertext or signature version is disallowed by policy (too old)');
  if (version > key.latestVersion) throw new TransitError(400, 'invalid ciphertext: key version is newer than the latest version');
  const raw = Buffer.from(match[2]!, 'base64');
  if (raw.length < NONCE_SIZE + TAG_SIZE) throw new TransitError(400, 'invalid ciphertext: too short');
  const decipher = createDecipheriv('aes-256-gcm', derivedKey(key, version, context), raw.subarray(0, NONCE_SIZE));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(raw.subarray(NONCE_SIZE, raw.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw new TransitError(400, 'cipher: message authentication failed');
  }
}

function contextOf(value: unknown): Buffer {
  if (value === undefined || value === '') {
    throw new TransitError(400, "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key");
  }
  return base64Field(value, 'context');
}

function base64Field(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new TransitError(400, `failed to base64-decode ${field}`);
  return Buffer.from(value, 'base64');
}

function integer(value: unknown, field: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new TransitError(400, `${field} must be an integer`);
  return number;
}
