import { createHash, createPrivateKey, createPublicKey, randomUUID, sign as signBytes, verify as verifyBytes, X509Certificate } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { errors } from '@tessera/errors';
import type { Caller } from './principal';
import { parseRoles } from './roles';
import { SeenTokenIds } from './seen-token-ids';

/** The header that carries the gateway-signed context to subgraphs. */
export const internalContextHeader = 'x-tessera-context';

/** The header that carries the request id next to the context. */
export const requestIdHeader = 'x-request-id';

/**
 * Set (to "1") by a subgraph on the answer to an upload it refused from the body's first bytes and
 * does not want the rest of: the gateway then stops reading a large body from the caller and closes
 * its connection once the answer is out, instead of draining the rest (which can be a gigabyte) on
 * the tenant's transfer slot. Never passed on to the caller.
 */
export const uploadBodyRefusedHeader = 'x-tessera-upload-body-refused';

const issuer = 'tessera-gateway';
const algorithm = 'ES256';

/**
 * A context is a credential for one hop: the gateway mints one per subgraph call, so it needs to
 * live only as long as a request takes to reach the subgraph. The cap also bounds how long a
 * subgraph must remember the ids it has seen.
 */
export const maxInternalContextLifetimeSeconds = 30;

/** Clock difference tolerated between the gateway and a subgraph host (they share NTP). */
const clockToleranceSeconds = 1;

export interface InternalKeyPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateInternalKeyPair(): Promise<InternalKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const kid = randomUUID();
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: algorithm },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: algorithm },
  };
}

/**
 * The RFC 8705 `x5t#S256` thumbprint of a certificate (PEM or DER): base64url of the SHA-256 of its
 * DER encoding. A context carries the thumbprint of the gateway's mTLS client certificate, so it is
 * only accepted on a connection authenticated with that certificate's private key.
 */
export function certificateThumbprint(certificate: string | Buffer): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate;
  return createHash('sha256').update(der).digest('base64url');
}

export interface InternalContextSignerOptions {
  /** The gateway's mTLS client certificate (PEM): every context is bound to it (`cnf`). */
  clientCertificate: string | Buffer;
  /** At most 30 s (the default). */
  lifetimeSeconds?: number | undefined;
}

/**
 * Gateway side: signs who the caller is, for one subgraph (`audience`), for one use (`jti`), on a
 * connection that presents the gateway's client certificate (`cnf`).
 */
export async function createInternalContextSigner(privateJwk: JWK, options: InternalContextSignerOptions) {
  // jose checks the key is a usable P-256 private key; the node:crypto key below is the same key.
  await importJWK(privateJwk, algorithm);
  const key = createPrivateKey({ key: { ...privateJwk }, format: 'jwk' });
  const header = { alg: algorithm, ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) };
  const lifetimeSeconds = options.lifetimeSeconds ?? maxInternalContextLifetimeSeconds;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > maxInternalContextLifetimeSeconds) {
    throw new Error(`The internal context lifetime must be 1–${maxInternalContextLifetimeSeconds} s.`);
  }
  const cnf = { 'x5t#S256': certificateThumbprint(options.clientCertificate) };
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  /**
   * A compact JWS (RFC 7515) signed with ES256 exactly as jose's SignJWT writes it — same header,
   * same claims, same signature encoding, verified by jose on the subgraph side — built directly on
   * node:crypto: SignJWT's builder and its async key handling cost several times the ECDSA
   * signature itself, on every subgraph call (bench/gateway-profile.ts).
   */
  return async function sign(caller: Caller, audience: string): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const claims =
      caller.kind === 'gateway'
        ? { kind: 'gateway', rid: caller.requestId || undefined, cnf }
        : {
            kind: 'user',
            tid: caller.tenantId,
            roles: caller.roles,
            cid: caller.clientId,
            rid: caller.requestId || undefined,
            ip: caller.sourceIp,
            ...(caller.apiKeyId ? { akid: caller.apiKeyId } : {}),
            cnf,
          };
    const payload = {
      ...claims,
      iss: issuer,
      aud: audience,
      sub: caller.kind === 'gateway' ? 'gateway' : caller.subject,
      jti: randomUUID(),
      iat: issuedAt,
      exp: issuedAt + lifetimeSeconds,
    };
    const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    // IEEE P1363 (r ‖ s), the JWS encoding of an ECDSA signature, not DER.
    const signature = signBytes('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  };
}

export type InternalContextSigner = Awaited<ReturnType<typeof createInternalContextSigner>>;

/** What the receiving subgraph knows about the hop a context arrived on. */
export interface InternalHop {
  /** `certificateThumbprint` of the TLS client certificate of the connection; undefined without one. */
  peerCertificateThumbprint: string | undefined;
  /** The `x-request-id` header, used when the context itself carries no request id. */
  requestIdHint?: string | undefined;
}

export interface InternalContextVerifierOptions {
  /** This subgraph's name: a context minted for another subgraph is refused. */
  audience: string;
}

/**
 * Subgraph side: a context is accepted once, by the subgraph it names, before it expires, on a
 * connection that presents the certificate it is bound to. Anything else: UNAUTHENTICATED.
 *
 * The ids seen are remembered by this replica only: another replica of the same subgraph could
 * accept a copy, but only from a connection holding the gateway's client key (the `cnf` check),
 * i.e. from the gateway itself.
 */
export async function createInternalContextVerifier(publicJwk: JWK, options: InternalContextVerifierOptions) {
  // jose checks the key is a usable P-256 public key; the node:crypto key below is the same key.
  await importJWK(publicJwk, algorithm);
  const key = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
  const seen = new SeenTokenIds();
  const refuse = () => errors.unauthenticated('This service only answers requests routed through the Tessera gateway.');

  return async function verify(token: string | undefined, hop: InternalHop): Promise<Caller> {
    if (!token || !hop.peerCertificateThumbprint) throw refuse();
    const payload = verifyCompactJws(token, key);
    if (!payload) throw refuse();
    const nowSeconds = Date.now() / 1000;
    const { exp, iat, jti } = payload;
    if (payload['iss'] !== issuer || !audienceMatches(payload['aud'], options.audience)) throw refuse();
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string' || jti === '') throw refuse();
    if (exp <= nowSeconds - clockToleranceSeconds) throw refuse();
    if (typeof payload['nbf'] === 'number' && payload['nbf'] > nowSeconds + clockToleranceSeconds) throw refuse();
    const cnf = payload['cnf'] as Record<string, unknown> | undefined;
    if (typeof cnf !== 'object' || cnf === null || cnf['x5t#S256'] !== hop.peerCertificateThumbprint) throw refuse();
    const expiresAtMs = exp * 1000;
    if (exp - iat > maxInternalContextLifetimeSeconds) throw refuse();
    // Last, so a context refused for another reason does not use up its id.
    if (!seen.claim(jti, expiresAtMs + clockToleranceSeconds * 1000)) throw refuse();

    const hint = typeof hop.requestIdHint === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(hop.requestIdHint) ? hop.requestIdHint : undefined;
    const requestId = (typeof payload['rid'] === 'string' ? payload['rid'] : '') || hint || randomUUID();
    if (payload['kind'] === 'gateway') return { kind: 'gateway', requestId };
    return {
      kind: 'user',
      subject: String(payload['sub']),
      tenantId: typeof payload['tid'] === 'string' ? payload['tid'] : undefined,
      roles: parseRoles(payload['roles']),
      clientId: typeof payload['cid'] === 'string' ? payload['cid'] : undefined,
      requestId,
      sourceIp: typeof payload['ip'] === 'string' ? payload['ip'] : undefined,
      ...(typeof payload['akid'] === 'string' ? { apiKeyId: payload['akid'] } : {}),
    };
  };
}

/** Contexts are a few hundred bytes; anything far larger is refused before any parsing. */
const maxContextLength = 8 * 1024;

/**
 * The payload of a compact JWS signed with ES256 by `key`, or undefined. The checks are jose's
 * (header alg exactly ES256, no `crit`, no unencoded payload, a P1363 signature of the signing
 * input) written on node:crypto directly: jose's jwtVerify spends as much CPU again as the ECDSA
 * verification itself on every subgraph call (bench/inference.bench.ts with BENCH_PROFILE).
 */
function verifyCompactJws(token: string, key: ReturnType<typeof createPublicKey>): Record<string, unknown> | undefined {
  if (token.length > maxContextLength) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) return undefined;
  const header = parseJsonObject(token.slice(0, first));
  if (!header || header['alg'] !== algorithm || 'crit' in header || header['b64'] === false) return undefined;
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!verifyBytes('sha256', Buffer.from(token.slice(0, second)), { key, dsaEncoding: 'ieee-p1363' }, signature)) return undefined;
  return parseJsonObject(token.slice(first + 1, second));
}

function parseJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function audienceMatches(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

export type InternalContextVerifier = Awaited<ReturnType<typeof createInternalContextVerifier>>;
