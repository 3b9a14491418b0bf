import { get as httpGet, type IncomingMessage } from 'node:http';
import { Agent, get as httpsGet } from 'node:https';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { errors } from '@tessera/errors';
import { readClaim } from './claims';
import { ExpiringCache } from './expiring-cache';
import { parseRoles, type Role } from './roles';

export interface AccessTokenVerifierOptions {
  issuerUrl: string;
  audience: string;
  /** Asymmetric algorithms only: a shared-secret (HS*) token is refused by construction. */
  algorithms: string[];
  tenantClaim: string;
  rolesClaim: string;
  /** Minimum time between two JWKS downloads triggered by an unknown `kid` (bounds refresh storms). */
  jwksCooldownMs: number;
  /** How long fetched keys are trusted before a refresh. */
  jwksCacheMaxAgeMs: number;
  /**
   * After a failed discovery, how long requests are answered SERVICE_UNAVAILABLE before it is tried
   * again (default 2 000 ms): while the issuer is down, any string in an Authorization header would
   * otherwise make the gateway call it once more.
   */
  discoveryRetryMs?: number;
  clockToleranceSeconds: number;
  /**
   * How long a successfully verified token is remembered (never past its `exp`); 0 turns the cache
   * off. A token signed by a key later removed from the JWKS stays accepted for at most this long.
   */
  verifiedTokenCacheMs?: number;
  /**
   * The CA (PEM) the issuer's certificate must chain to, for discovery and JWKS over https (a
   * private CA: the local one, or Keycloak's); unset: the public roots. Whoever can answer these two
   * requests decides which tokens verify, so they get the same server check as every other hop.
   */
  tlsCa?: string | undefined;
}

export interface VerifiedAccessToken {
  subject: string;
  tenantId: string | undefined;
  roles: Role[];
  clientId: string | undefined;
  /** The `email` claim, only when `email_verified` is true (an e-mail invitation binds to it). */
  verifiedEmail: string | undefined;
  expiresAt: number;
}

interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
}

const symmetric = /^HS/;

/**
 * Verifies OIDC access tokens against the issuer's discovery document and JWKS. Keys are cached
 * and refetched when a token names an unknown `kid` (key rotation), at most once per cooldown.
 * Every failure is UNAUTHENTICATED; the reason goes in the message, never the key material.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  if (options.algorithms.some((alg) => symmetric.test(alg) || alg === 'none')) {
    throw new Error('Access tokens must use asymmetric algorithms; HS* and none are not allowed.');
  }
  let keys: Promise<JWTVerifyGetKey> | undefined;
  // One agent for both requests: it trusts only the configured CA (and keeps the connection).
  const agent = options.tlsCa !== undefined ? new Agent({ keepAlive: true, ca: options.tlsCa }) : undefined;

  const loadKeys = (): Promise<JWTVerifyGetKey> => {
    keys ??= discover(options.issuerUrl, agent)
      .then((doc) =>
        createRemoteJWKSet(new URL(doc.jwks_uri), {
          cooldownDuration: options.jwksCooldownMs,
          cacheMaxAge: options.jwksCacheMaxAgeMs,
          timeoutDuration: 5_000,
          ...(agent && doc.jwks_uri.startsWith('https://') ? { agent } : {}),
        }),
      )
      .catch((error: unknown) => {
        // Retried after a pause rather than never (it would fail forever) or at once (a request to the
        // issuer per request while it is down); the pause's requests share this failure.
        setTimeout(() => (keys = undefined), options.discoveryRetryMs ?? 2_000).unref();
        throw error;
      });
    return keys;
  };

  const verifiedCacheMs = options.verifiedTokenCacheMs ?? 60_000;
  const verified = new ExpiringCache<VerifiedAccessToken>(verifiedCacheMs > 0 ? 10_000 : 0);

  return async function verifyAccessToken(token: string): Promise<VerifiedAccessToken> {
    const now = Date.now();
    const remembered = verified.get(token, now);
    if (remembered) return remembered;
    const result = await verifyWithJwks(token);
    verified.set(token, result, Math.min(result.expiresAt * 1000, now + verifiedCacheMs), now);
    return result;
  };

  async function verifyWithJwks(token: string): Promise<VerifiedAccessToken> {
    let jwks: JWTVerifyGetKey;
    try {
      jwks = await loadKeys();
    } catch {
      throw errors.unavailable('The identity provider cannot be reached to verify the token.');
    }
    // The key set refetches itself (a new kid, its cache aged out): if the issuer fails to answer
    // then, the token is not at fault. Said so (SERVICE_UNAVAILABLE, like a failed discovery), a
    // valid token is neither called malformed nor charged to its client's failed-authentication budget.
    const keyOf: JWTVerifyGetKey = async (header, input) => {
      try {
        return await jwks(header, input);
      } catch (error) {
        throw isKeySetFetchFailure(error) ? new IssuerUnreachable() : error;
      }
    };
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keyOf, {
        issuer: options.issuerUrl,
        audience: options.audience,
        algorithms: options.algorithms,
        clockTolerance: options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      assertAccessTokenType(protectedHeader, payload);
      const tenant = readClaim(payload, options.tenantClaim);
      // A tenant claim that is there but names no tenant (empty, a list, a number) is refused: read
      // as "no tenant", it would make the token a tenant-less platform operator's if it held that role.
      if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) throw new InvalidTokenClaim(options.tenantClaim);
      const clientId = payload['client_id'] ?? payload['azp'];
      if (inReservedNamespace(String(payload.sub), reservedSubjectPrefixes)) throw new InvalidTokenClaim('sub');
      if (typeof clientId === 'string' && inReservedNamespace(clientId, reservedClientPrefixes)) throw new InvalidTokenClaim('client_id');
      return {
        subject: String(payload.sub),
        tenantId: typeof tenant === 'string' ? tenant : undefined,
        roles: parseRoles(readClaim(payload, options.rolesClaim)),
        clientId: typeof clientId === 'string' ? clientId : undefined,
        verifiedEmail: typeof payload['email'] === 'string' && payload['email_verified'] === true ? payload['email'] : undefined,
        expiresAt: payload.exp ?? 0,
      };
    } catch (error) {
      if (error instanceof IssuerUnreachable) throw errors.unavailable('The identity provider cannot be reached to verify the token.');
      throw errors.unauthenticated(describeJoseError(error));
    }
  }
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** GET a JSON document with node:http(s), so the request can carry the agent that holds the CA (fetch cannot). */
function getJson(url: URL, agent: Agent | undefined, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`discovery failed with HTTP ${response.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
    };
    const headers = { accept: 'application/json' };
    const request = url.protocol === 'https:' ? httpsGet(url, { headers, timeout: timeoutMs, ...(agent ? { agent } : {}) }, onResponse) : httpGet(url, { headers, timeout: timeoutMs }, onResponse);
    request.on('timeout', () => request.destroy(new Error(`discovery timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

async function discover(issuerUrl: string, agent: Agent | undefined): Promise<DiscoveryDocument> {
  const doc = (await getJson(new URL(`${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`), agent, 5_000)) as Partial<DiscoveryDocument> | null;
  if (typeof doc !== 'object' || doc === null) throw new Error('discovery document is not a JSON object');
  // The discovery document must describe the issuer we were configured with (OIDC Discovery §4.3).
  if (doc.issuer !== issuerUrl || typeof doc.jwks_uri !== 'string') {
    throw new Error('discovery document does not match the configured issuer');
  }
  return { issuer: doc.issuer, jwks_uri: doc.jwks_uri };
}

class IssuerUnreachable extends Error {}

/** The JWKS download failed (no answer in time, not 200, not a key set), as opposed to a token naming no key of it. */
function isKeySetFetchFailure(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true; // a network error of the download
  return error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
}

/** A signed token of the right issuer and audience that is not an access token, or a claim that cannot be read. */
class InvalidTokenClaim extends Error {
  constructor(readonly claim: string) {
    super(claim);
  }
}

/**
 * Subjects and client ids the platform writes for principals of its own: `system:` for its jobs and
 * checks, `service-account:` and `api-key:` for an API key's requests. Other services trust them for
 * what they say — the jobs service never checks a `system:` job's principal (a removed member's
 * queued and running jobs went on), the security log counts `system:` actions as the platform's, and
 * the audit trail names the key a `service-account:`/`api-key:` principal used — so a token from
 * the identity provider may not claim one (compared without case, so no spelling comes close).
 */
const reservedSubjectPrefixes = ['system:', 'service-account:'];
const reservedClientPrefixes = ['api-key:'];

function inReservedNamespace(value: string, prefixes: readonly string[]): boolean {
  const lower = value.toLowerCase();
  return prefixes.some((prefix) => lower.startsWith(prefix));
}

/** Header `typ` of JWT access tokens (RFC 9068), and the generic one some issuers (Keycloak) write on every token. */
const accessTokenHeaderTypes = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

/**
 * The issuer signs its ID tokens (and Keycloak its logout tokens) with the same keys as its access
 * tokens, with the same `iss`, and an ID token issued to a client whose id is the API's audience
 * carries that audience too: without this check such a token would be taken for an access token.
 * Keycloak marks each token in a `typ` claim (`Bearer` for access tokens, `ID`, `Refresh`,
 * `Logout`…); RFC 9068 marks access tokens in the header (`at+jwt`). `at_hash`/`c_hash` appear only
 * in ID tokens (OIDC Core §3.1.3.6, §3.3.2.11).
 */
function assertAccessTokenType(header: { typ?: string | undefined }, payload: Record<string, unknown>): void {
  if (header.typ !== undefined && !accessTokenHeaderTypes.has(header.typ.toLowerCase())) throw new InvalidTokenClaim('typ');
  if (payload['typ'] !== undefined && payload['typ'] !== 'Bearer') throw new InvalidTokenClaim('typ');
  if (payload['at_hash'] !== undefined || payload['c_hash'] !== undefined) throw new InvalidTokenClaim('typ');
}

function describeJoseError(error: unknown): string {
  if (error instanceof InvalidTokenClaim) return error.claim === 'typ' ? 'The token is not an access token.' : `The access token is invalid (${error.claim}).`;
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'The access token is not meant for this API (audience).';
    if (error.claim === 'iss') return 'The access token was issued by an untrusted issuer.';
    return `The access token is invalid (${error.claim}).`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'The access token was signed with an unknown key.';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The access token uses a signing algorithm that is not allowed.';
  return 'The access token is malformed or invalid.';
}
