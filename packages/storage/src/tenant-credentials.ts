import { assumeRole, type AssumeRoleRequest, type TemporaryCredentials } from './sts-client';
import type { SigV4Key } from './sigv4';
import { tenantSessionPolicy, type TenantAccessScope } from './tenant-session-policy';

export interface StsTenantCredentialsOptions {
  /** The STS endpoint: the store's own endpoint on MinIO and Ceph RGW, `https://sts.<region>.amazonaws.com` on AWS. */
  stsEndpoint: string;
  region: string;
  /** The service's own key: on a correctly configured store it may assume the role and nothing else. */
  baseCredentials: SigV4Key;
  roleArn?: string | undefined;
  /** Lifetime asked for; stores refuse less than 900 s, and we never want more than an hour. */
  durationSeconds: number;
  bucketName: (tenantId: string) => string;
  /** The CA the STS endpoint's certificate must chain to (https://, a private CA); unset: the public roots. */
  tlsCa?: string | undefined;
  /** Refresh this long before expiry, so no request leaves with credentials about to lapse. */
  refreshMarginSeconds?: number;
  /** Seams for unit tests. */
  assume?: (request: AssumeRoleRequest) => Promise<TemporaryCredentials>;
  now?: () => number;
}

export const minSessionSeconds = 900;
export const maxSessionSeconds = 3600;

/**
 * Short-lived credentials for one tenant's bucket, obtained with STS AssumeRole and a session
 * policy naming that bucket. Cached per tenant and scope until shortly before expiry; concurrent
 * callers share one AssumeRole call.
 */
export class StsTenantCredentials {
  private readonly cache = new Map<string, { credentials: TemporaryCredentials; refreshAt: number }>();
  private readonly pending = new Map<string, Promise<TemporaryCredentials>>();
  private readonly assume: (request: AssumeRoleRequest) => Promise<TemporaryCredentials>;
  private readonly now: () => number;
  private readonly refreshMarginMs: number;

  constructor(private readonly options: StsTenantCredentialsOptions) {
    if (options.durationSeconds < minSessionSeconds || options.durationSeconds > maxSessionSeconds) {
      throw new RangeError(`durationSeconds must be ${minSessionSeconds}–${maxSessionSeconds}, got ${options.durationSeconds}`);
    }
    this.assume = options.assume ?? ((request) => assumeRole(request));
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = Math.min((options.refreshMarginSeconds ?? 60) * 1000, (options.durationSeconds * 1000) / 2);
  }

  async credentialsFor(tenantId: string, scope: TenantAccessScope = 'objects'): Promise<TemporaryCredentials> {
    const cacheKey = `${scope}:${tenantId}`;
    const cached = this.cache.get(cacheKey);
    if (cached && this.now() < cached.refreshAt) return cached.credentials;
    const inFlight = this.pending.get(cacheKey);
    if (inFlight) return inFlight;
    const request = this.fetch(tenantId, scope).then(
      (credentials) => {
        this.pending.delete(cacheKey);
        return credentials;
      },
      (error: unknown) => {
        this.pending.delete(cacheKey);
        throw error;
      },
    );
    this.pending.set(cacheKey, request);
    return request;
  }

  /** Drops cached credentials (a tenant erased, or a test moving the clock). */
  forget(tenantId?: string): void {
    if (tenantId === undefined) this.cache.clear();
    else for (const key of [...this.cache.keys()]) if (key.endsWith(`:${tenantId}`)) this.cache.delete(key);
  }

  private async fetch(tenantId: string, scope: TenantAccessScope): Promise<TemporaryCredentials> {
    const askedAt = this.now();
    const credentials = await this.assume({
      endpoint: this.options.stsEndpoint,
      region: this.options.region,
      baseCredentials: this.options.baseCredentials,
      roleArn: this.options.roleArn,
      roleSessionName: `tessera-${tenantId}`.slice(0, 64),
      policy: tenantSessionPolicy(this.options.bucketName(tenantId), scope),
      durationSeconds: this.options.durationSeconds,
      ...(this.options.tlsCa !== undefined ? { tlsCa: this.options.tlsCa } : {}),
    });
    // The store's clock may differ from ours: trust whichever expiry comes first.
    const expiresAt = Math.min(credentials.expiresAt.getTime(), askedAt + this.options.durationSeconds * 1000);
    this.cache.set(`${scope}:${tenantId}`, { credentials, refreshAt: expiresAt - this.refreshMarginMs });
    return credentials;
  }
}
