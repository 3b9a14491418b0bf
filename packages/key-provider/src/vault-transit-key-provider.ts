import { Agent, request } from 'node:https';
import { KeyProviderError } from './key-provider-error';
import type { KeyEncryptionKeyStatus, KeyProvider } from './key-provider';
import { VaultTokenSource, type VaultAuthOptions, type VaultAuthResponse, type VaultTokenState } from './vault-auth';

export interface VaultTransitOptions {
  /** The server's address, e.g. `https://vault.internal:8200` (the local key service speaks the same API). */
  url: string;
  /** The transit key (KEK) name. */
  keyName: string;
  /** Where the transit engine is mounted (Vault default: `transit`). */
  mount?: string | undefined;
  /** CA certificate (PEM) the server's certificate must chain to; unset: the public roots. */
  ca?: string | undefined;
  /** A Vault token (X-Vault-Token); the local key service authenticates by client certificate instead. Shorthand for `auth: { method: 'token', token }`. */
  token?: string | undefined;
  /** How to get a token: static, AppRole login or Kubernetes login (renewed and replaced as needed). */
  auth?: VaultAuthOptions | undefined;
  /** This service's certificate and key (PEM): mutual TLS (the local key service requires it; Vault's cert auth can use it). */
  clientIdentity?: { cert: string; key: string } | undefined;
  /** Per request (default 10 s). */
  timeoutMs?: number | undefined;
}

interface VaultKeyData {
  latest_version: number;
  min_decryption_version: number;
  min_available_version?: number;
  keys: Record<string, number | string | { creation_time?: string }>;
}

/**
 * A KeyProvider over HashiCorp Vault's transit secrets engine HTTP API (`/v1/<mount>/encrypt|decrypt|
 * rewrap/:name`, `/keys/:name`, `/keys/:name/rotate|config|trim`). The key is a derived key
 * (`derived=true`): every call carries a base64 context and Vault derives a separate key from it
 * (HKDF), so a wrap made for one tenant cannot be opened with another tenant's context.
 */
export class VaultTransitKeyProvider implements KeyProvider {
  readonly kind = 'vault-transit' as const;
  readonly keyName: string;
  private readonly base: URL;
  private readonly root: URL;
  private readonly agent: Agent;
  private readonly tokens: VaultTokenSource;
  private readonly timeoutMs: number;

  constructor(options: VaultTransitOptions) {
    const base = new URL(options.url);
    if (base.protocol !== 'https:') throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'the key provider URL must be https://');
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(options.keyName)) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'invalid key name');
    const mount = (options.mount ?? 'transit').replace(/^\/+|\/+$/g, '');
    if (!/^[A-Za-z0-9_./-]{1,128}$/.test(mount)) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'invalid transit mount');
    this.root = new URL(`${base.pathname.replace(/\/+$/, '')}/v1/`, base);
    this.base = new URL(`${mount}/`, this.root);
    this.keyName = options.keyName;
    if (options.auth && options.auth.method !== 'token' && options.token) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'a static token and a login method are exclusive');
    this.tokens = new VaultTokenSource(options.auth ?? { method: 'token', token: options.token }, (method, path, body, token) =>
      this.send<{ auth?: VaultAuthResponse | null }>(method, new URL(path, this.root), body, token, 'admin', true),
    );
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.clientIdentity ? { cert: options.clientIdentity.cert, key: options.clientIdentity.key } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
  }

  async wrap(plaintext: Buffer, context: string): Promise<string> {
    const data = await this.call<{ ciphertext: string }>('POST', `encrypt/${this.keyName}`, { plaintext: plaintext.toString('base64'), context: encodeContext(context) });
    return requireString(data?.ciphertext, 'ciphertext');
  }

  async unwrap(wrapped: string, context: string): Promise<Buffer> {
    const data = await this.call<{ plaintext: string }>('POST', `decrypt/${this.keyName}`, { ciphertext: wrapped, context: encodeContext(context) }, 'unwrap');
    return Buffer.from(requireString(data?.plaintext, 'plaintext'), 'base64');
  }

  async rewrap(wrapped: string, context: string): Promise<string> {
    const data = await this.call<{ ciphertext: string }>('POST', `rewrap/${this.keyName}`, { ciphertext: wrapped, context: encodeContext(context) }, 'unwrap');
    return requireString(data?.ciphertext, 'ciphertext');
  }

  async status(): Promise<KeyEncryptionKeyStatus> {
    const data = await this.call<VaultKeyData>('GET', `keys/${this.keyName}`);
    if (!data || typeof data.latest_version !== 'number') throw new KeyProviderError('KEY_PROVIDER_REJECTED', `the key provider returned no key ${this.keyName}`);
    return {
      keyName: this.keyName,
      latestVersion: data.latest_version,
      minDecryptionVersion: data.min_decryption_version,
      minAvailableVersion: data.min_available_version ?? 0,
      versions: Object.entries(data.keys)
        .map(([version, created]) => ({ version: Number(version), createdAt: creationTime(created) }))
        .sort((a, b) => a.version - b.version),
    };
  }

  async rotate(): Promise<KeyEncryptionKeyStatus> {
    await this.call('POST', `keys/${this.keyName}/rotate`, {});
    return this.status();
  }

  async setMinDecryptionVersion(version: number): Promise<KeyEncryptionKeyStatus> {
    await this.call('POST', `keys/${this.keyName}/config`, { min_decryption_version: version });
    return this.status();
  }

  async destroyVersionsBelow(version: number): Promise<KeyEncryptionKeyStatus> {
    await this.call('POST', `keys/${this.keyName}/trim`, { min_available_version: version });
    return this.status();
  }

  /**
   * Creates another derived transit key by name (idempotent: Vault answers an existing key with a
   * warning). Per-tenant keys (`tessera-tenant-<id>`) are made this way, so erasing a tenant can
   * destroy its key alone.
   */
  async createKey(name: string): Promise<void> {
    assertKeyName(name);
    await this.call('POST', `keys/${name}`, { type: 'aes256-gcm96', derived: true });
  }

  /**
   * Destroys a transit key and every version of it, for good: Vault's two steps, `deletion_allowed`
   * then `DELETE /keys/:name`. A key already gone counts as destroyed (erasure retries safely).
   * Returns false when there was nothing to delete.
   */
  async deleteKey(name: string): Promise<boolean> {
    assertKeyName(name);
    if (name === this.keyName) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'the platform key-encryption key is never deleted by a service');
    if (!(await this.keyExists(name))) return false;
    await this.call('POST', `keys/${name}/config`, { deletion_allowed: true });
    await this.call('DELETE', `keys/${name}`);
    return true;
  }

  /** True when the provider holds a key of that name. */
  async keyExists(name: string): Promise<boolean> {
    assertKeyName(name);
    try {
      await this.call('GET', `keys/${name}`);
      return true;
    } catch (error) {
      // Vault answers a missing key with 404; the local key service with 400 "encryption key not found".
      if (error instanceof KeyProviderError && (error.status === 404 || /encryption key not found/.test(error.message))) return false;
      throw error;
    }
  }

  withKey(name: string): KeyProvider {
    assertKeyName(name);
    // Shares this client's connection pool and identity; only the key name differs.
    const view = Object.create(this) as VaultTransitKeyProvider;
    Object.defineProperty(view, 'keyName', { value: name, enumerable: true });
    return view;
  }

  /** The token this client holds (method, accessor, expiry, logins and renewals so far); never the token itself. */
  authState(): VaultTokenState {
    return this.tokens.state();
  }

  /** Closes idle keep-alive connections (process shutdown). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * One transit call with the current token. A 403 for a token that came from a login (revoked,
   * or lapsed while idle) is answered by one fresh login and one retry; a second 403 stands.
   */
  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>, purpose: 'unwrap' | 'admin' = 'admin'): Promise<T | undefined> {
    const url = new URL(path, this.base);
    const token = await this.tokens.token();
    const retrySafe = method === 'GET' || statelessPaths.test(path);
    try {
      return await this.send<{ data?: T }>(method, url, body, token, purpose, false, retrySafe).then((parsed) => parsed?.data);
    } catch (error) {
      if (!this.tokens.logsIn || !(error instanceof KeyProviderError) || error.status !== 403) throw error;
      this.tokens.invalidate(token);
      const fresh = await this.tokens.token();
      return this.send<{ data?: T }>(method, url, body, fresh, purpose, false, retrySafe).then((parsed) => parsed?.data);
    }
  }

  /**
   * One HTTP exchange; the parsed body of a 2xx answer, a KeyProviderError otherwise. A kept-alive
   * connection the server closed while idle fails the next request sent on it (ECONNRESET on a
   * reused socket, before the server read it): a call that changes nothing is sent once more, on a
   * new connection (`retrySafe`; a rotation or a deletion is not, and its error stands).
   */
  private async send<R>(
    method: 'GET' | 'POST' | 'DELETE',
    url: URL,
    body: Record<string, unknown> | undefined,
    token: string | undefined,
    purpose: 'unwrap' | 'admin',
    isAuth = false,
    retrySafe = false,
  ): Promise<R | undefined> {
    try {
      return await this.exchange<R>(method, url, body, token, purpose, isAuth);
    } catch (error) {
      if (!retrySafe || !(error instanceof StaleConnectionError)) throw error;
      return this.exchange<R>(method, url, body, token, purpose, isAuth);
    }
  }

  private exchange<R>(method: 'GET' | 'POST' | 'DELETE', url: URL, body: Record<string, unknown> | undefined, token: string | undefined, purpose: 'unwrap' | 'admin', isAuth: boolean): Promise<R | undefined> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<R | undefined>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...(token ? { 'x-vault-token': token } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (cause) => reject(new KeyProviderError('KEY_PROVIDER_UNAVAILABLE', 'the key provider connection failed', undefined, { cause })));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            const parsed = parseJson(text) as (R & { errors?: unknown }) | undefined;
            if (status >= 200 && status < 300) return resolve(parsed);
            reject(isAuth && status === 400 ? new KeyProviderError('KEY_PROVIDER_DENIED', 'the key provider refused the login', status) : providerError(status, parsed?.errors, purpose));
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('key provider request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (cause) => {
        const code = (cause as NodeJS.ErrnoException).code;
        const Failure = req.reusedSocket && code === 'ECONNRESET' ? StaleConnectionError : KeyProviderError;
        reject(new Failure('KEY_PROVIDER_UNAVAILABLE', `the key provider could not be reached (${code ?? cause.message})`, undefined, { cause }));
      });
      req.end(payload);
    });
  }
}

/** Transit calls that change no state (a retry after a reset connection repeats nothing). */
const statelessPaths = /^(encrypt|decrypt|rewrap|datakey)\//;

/** The reset of a kept-alive connection the server had closed: the request most likely never reached it. */
class StaleConnectionError extends KeyProviderError {}

function assertKeyName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'invalid key name');
}

function encodeContext(context: string): string {
  if (typeof context !== 'string' || context.length === 0) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'a wrap needs a non-empty context');
  return Buffer.from(context, 'utf8').toString('base64');
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new KeyProviderError('KEY_PROVIDER_REJECTED', `the key provider's answer has no ${field}`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Vault reports symmetric key versions as creation times (unix seconds; newer versions: objects with creation_time). */
function creationTime(value: number | string | { creation_time?: string }): Date {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') return new Date(value);
  return new Date(value.creation_time ?? 0);
}

/**
 * Vault answers 400 for a ciphertext that does not open (wrong context, tampering) and for one
 * whose version is below min_decryption_version ("… disallowed by policy (too old)"); the provider's
 * own words are kept out of the message a caller might pass on.
 */
function providerError(status: number, errors: unknown, purpose: 'unwrap' | 'admin'): KeyProviderError {
  const reasons = Array.isArray(errors) ? errors.filter((item): item is string => typeof item === 'string') : [];
  if (status === 401 || status === 403) return new KeyProviderError('KEY_PROVIDER_DENIED', 'the key provider refused this service', status);
  if (status >= 500 || status === 429) return new KeyProviderError('KEY_PROVIDER_UNAVAILABLE', `the key provider answered ${status}`, status);
  if (reasons.some((reason) => /too old|disallowed by policy|has been trimmed|not available/i.test(reason))) {
    return new KeyProviderError('KEY_VERSION_RETIRED', 'the wrap was made with a retired key-encryption key version', status);
  }
  if (purpose === 'unwrap') return new KeyProviderError('KEY_UNWRAP_FAILED', 'the wrapped key could not be unwrapped (wrong context, or tampered)', status);
  return new KeyProviderError('KEY_PROVIDER_REJECTED', `the key provider refused the request: ${reasons.join('; ') || status}`, status);
}
