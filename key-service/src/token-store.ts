import { createHash, randomBytes } from 'node:crypto';

/** A token this key service issued at a login: which service it acts as, and its lease. */
export interface IssuedToken {
  accessor: string;
  /** The certificate name (service) the token is bound to. */
  client: string;
  method: 'approle' | 'kubernetes';
  role: string;
  metadata: Record<string, string>;
  issuedAt: number;
  expiresAt: number;
  /** Renewals never take the token past this (the role's max TTL). */
  maxExpiresAt: number;
  ttlSeconds: number;
}

/**
 * The key service's login tokens, in memory only: a restart revokes every token (clients log in
 * again on the 403), and nothing that would authenticate is ever written to disk. Tokens are kept
 * by their digest; accessors name them for revocation without being usable themselves.
 */
export class TokenStore {
  private readonly byDigest = new Map<string, IssuedToken>();
  private readonly digestByAccessor = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(grant: Omit<IssuedToken, 'accessor' | 'issuedAt' | 'expiresAt' | 'maxExpiresAt'> & { maxTtlSeconds: number }): { token: string; issued: IssuedToken } {
    this.sweep();
    const token = `hvs.${randomBytes(24).toString('base64url')}`;
    const now = this.now();
    const { maxTtlSeconds, ...rest } = grant;
    const issued: IssuedToken = { ...rest, accessor: randomBytes(18).toString('base64url'), issuedAt: now, expiresAt: now + grant.ttlSeconds * 1000, maxExpiresAt: now + maxTtlSeconds * 1000 };
    this.byDigest.set(digest(token), issued);
    this.digestByAccessor.set(issued.accessor, digest(token));
    return { token, issued };
  }

  /** The live token, or undefined (unknown, revoked or expired). */
  find(token: string | undefined): IssuedToken | undefined {
    if (!token) return undefined;
    const issued = this.byDigest.get(digest(token));
    if (!issued) return undefined;
    if (issued.expiresAt <= this.now()) {
      this.revoke(token);
      return undefined;
    }
    return issued;
  }

  /** Extends the lease by up to `incrementSeconds` (default: the role's TTL), never past the max TTL. */
  renew(token: string, incrementSeconds: number | undefined): IssuedToken | undefined {
    const issued = this.find(token);
    if (!issued) return undefined;
    const increment = Math.min(incrementSeconds ?? issued.ttlSeconds, issued.ttlSeconds);
    issued.expiresAt = Math.min(this.now() + increment * 1000, issued.maxExpiresAt);
    return issued;
  }

  revoke(token: string): boolean {
    const key = digest(token);
    const issued = this.byDigest.get(key);
    if (!issued) return false;
    this.byDigest.delete(key);
    this.digestByAccessor.delete(issued.accessor);
    return true;
  }

  revokeAccessor(accessor: string): boolean {
    const key = this.digestByAccessor.get(accessor);
    if (!key) return false;
    this.digestByAccessor.delete(accessor);
    this.byDigest.delete(key);
    return true;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, issued] of this.byDigest) {
      if (issued.expiresAt <= now) {
        this.byDigest.delete(key);
        this.digestByAccessor.delete(issued.accessor);
      }
    }
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
