import { readFileSync } from 'node:fs';
import { KeyProviderError } from './key-provider-error';

/**
 * How a service authenticates to the key provider besides its client certificate:
 * - `token`: a static Vault token (none: the certificate alone, as the local key service admits by default);
 * - `approle`: Vault's AppRole login (`auth/<mount>/login` with role_id and secret_id);
 * - `kubernetes`: Vault's Kubernetes login (`auth/<mount>/login` with the role and the pod's
 *   service-account JWT, read from its file at every login because the kubelet rotates it).
 */
export type VaultAuthOptions =
  | { method: 'token'; token?: string | undefined }
  | { method: 'approle'; mount?: string | undefined; roleId: string; secretId?: string | undefined; secretIdFile?: string | undefined }
  | { method: 'kubernetes'; mount?: string | undefined; role: string; jwtFile: string };

/** What the login, renew-self and lookup-self endpoints answer under `auth` (Vault's response shape). */
export interface VaultAuthResponse {
  client_token: string;
  accessor?: string;
  lease_duration: number;
  renewable: boolean;
  policies?: string[];
}

/** One HTTP call to the provider (path relative to `/v1/`), answering the parsed JSON body or throwing a KeyProviderError. */
export type VaultRequest = (method: 'GET' | 'POST', path: string, body: Record<string, unknown> | undefined, token: string | undefined) => Promise<{ auth?: VaultAuthResponse | null } | undefined>;

export interface VaultTokenState {
  method: VaultAuthOptions['method'];
  accessor: string | undefined;
  /** When the current token's lease ends (undefined: no lease, e.g. a static token). */
  expiresAt: Date | undefined;
  logins: number;
  renewals: number;
}

/** Renew once this share of the lease has passed: early enough that a slow provider still answers before expiry. */
const renewAtShare = 2 / 3;

/**
 * Keeps a valid provider token for a login method: logs in on first use, renews the token
 * (`auth/token/renew-self`) once two thirds of its lease have passed, logs in again when renewal
 * no longer extends it (the role's max TTL) or fails, and when the provider answers 403 for it
 * (revoked, or expired while the service was idle). Renewal happens on use, so an idle service
 * sends nothing; one login or renewal at a time (concurrent callers share it).
 */
export class VaultTokenSource {
  private current: { token: string; accessor: string | undefined; issuedAt: number; leaseMs: number; renewable: boolean } | undefined;
  private pending: Promise<string> | undefined;
  private logins = 0;
  private renewals = 0;

  constructor(
    private readonly options: VaultAuthOptions,
    private readonly request: VaultRequest,
    private readonly now: () => number = Date.now,
  ) {
    if (options.method === 'approle' && !options.secretId && !options.secretIdFile) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'AppRole login needs a secret_id or a secret_id file');
  }

  /** Whether tokens come from a login (and can be replaced after a 403). */
  get logsIn(): boolean {
    return this.options.method !== 'token';
  }

  /** The token for the next request (undefined: the certificate alone). */
  async token(): Promise<string | undefined> {
    if (this.options.method === 'token') return this.options.token;
    const current = this.current;
    if (current && !this.due(current)) return current.token;
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The provider refused `token` (403): forget it, so the next `token()` logs in again. */
  invalidate(token: string | undefined): void {
    if (token !== undefined && this.current?.token === token) this.current = undefined;
  }

  state(): VaultTokenState {
    const current = this.current;
    return {
      method: this.options.method,
      accessor: current?.accessor,
      expiresAt: current && current.leaseMs > 0 ? new Date(current.issuedAt + current.leaseMs) : undefined,
      logins: this.logins,
      renewals: this.renewals,
    };
  }

  private due(current: NonNullable<VaultTokenSource['current']>): boolean {
    return current.leaseMs > 0 && this.now() >= current.issuedAt + current.leaseMs * renewAtShare;
  }

  private async refresh(): Promise<string> {
    const current = this.current;
    if (current?.renewable && this.now() < current.issuedAt + current.leaseMs) {
      try {
        const renewed = await this.call('POST', 'auth/token/renew-self', {}, current.token);
        const remainingMs = current.issuedAt + current.leaseMs - this.now();
        // At the role's max TTL Vault renews for less than what is left (or for nothing): log in instead.
        if (renewed.lease_duration * 1000 > remainingMs) {
          this.renewals++;
          this.current = { ...current, issuedAt: this.now(), leaseMs: renewed.lease_duration * 1000, renewable: renewed.renewable };
          return current.token;
        }
      } catch (error) {
        if (!(error instanceof KeyProviderError) || error.code !== 'KEY_PROVIDER_DENIED') throw error;
        // Revoked or expired meanwhile: a fresh login below.
      }
    }
    return this.login();
  }

  private async login(): Promise<string> {
    this.current = undefined;
    const options = this.options;
    let path: string;
    let body: Record<string, unknown>;
    if (options.method === 'approle') {
      path = `auth/${mountOf(options.mount, 'approle')}/login`;
      body = { role_id: options.roleId, secret_id: options.secretId ?? readSecretFile(options.secretIdFile!, 'secret_id') };
    } else if (options.method === 'kubernetes') {
      path = `auth/${mountOf(options.mount, 'kubernetes')}/login`;
      body = { role: options.role, jwt: readSecretFile(options.jwtFile, 'service-account token') };
    } else {
      throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'a static token is not logged in');
    }
    let auth: VaultAuthResponse;
    try {
      auth = await this.call('POST', path, body, undefined);
    } catch (error) {
      // Vault answers a wrong role_id/secret_id with 400, a refused JWT with 403: the same to the caller.
      if (error instanceof KeyProviderError && (error.code === 'KEY_PROVIDER_DENIED' || error.code === 'KEY_PROVIDER_REJECTED')) {
        throw new KeyProviderError('KEY_PROVIDER_DENIED', `the key provider refused this service's ${options.method} login`, error.status);
      }
      throw error;
    }
    this.logins++;
    this.current = { token: auth.client_token, accessor: auth.accessor, issuedAt: this.now(), leaseMs: Math.max(0, auth.lease_duration) * 1000, renewable: auth.renewable };
    return auth.client_token;
  }

  private async call(method: 'POST', path: string, body: Record<string, unknown>, token: string | undefined): Promise<VaultAuthResponse> {
    const answer = await this.request(method, path, body, token);
    const auth = answer?.auth;
    if (!auth || typeof auth.client_token !== 'string' || auth.client_token.length === 0 || typeof auth.lease_duration !== 'number') {
      throw new KeyProviderError('KEY_PROVIDER_REJECTED', `the key provider's answer to ${path} has no token`);
    }
    return auth;
  }
}

function mountOf(mount: string | undefined, fallback: string): string {
  const value = (mount ?? fallback).replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_.\/-]{1,128}$/.test(value)) throw new KeyProviderError('KEY_PROVIDER_REJECTED', 'invalid auth mount');
  return value;
}

function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new KeyProviderError('KEY_PROVIDER_DENIED', `cannot read the ${what} file ${path}`, undefined, { cause });
  }
  if (!text) throw new KeyProviderError('KEY_PROVIDER_DENIED', `the ${what} file ${path} is empty`);
  return text;
}
