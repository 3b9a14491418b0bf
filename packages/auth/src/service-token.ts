import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { decodeJwt, importJWK, jwtVerify, SignJWT, type JWK, type KeyLike } from 'jose';
import { errors } from '@tessera/errors';
import { generateInternalKeyPair } from './internal-context';

/**
 * How one Tessera service proves to another which service it is, until every internal hop runs
 * over mutual TLS (then the peer certificate's CN says it, and this token becomes redundant).
 * Each service holds only its own private key; a service that publishes ports holds the public
 * keys of the services allowed to call it. The token names the port it is for and the SHA-256 of
 * the exact request body, and lives 30 s: a captured token opens nothing but the same call.
 */
export const serviceTokenHeader = 'x-tessera-service-token';

const algorithm = 'ES256';
const lifetimeSeconds = 30;

export interface ServiceTokenClaims {
  /** The port the call is for, e.g. `jobs` (the audience: a token for one port opens no other). */
  port: string;
  /** The request body exactly as sent. */
  body: string;
}

export function bodyDigest(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('base64url');
}

/** Caller side: `service` is this process's identity, `privateJwk` its own key (SERVICE_KEY). */
export async function createServiceTokenSigner(service: string, privateJwk: JWK) {
  const key = (await importJWK(privateJwk, algorithm)) as KeyLike;
  return async function sign(claims: ServiceTokenClaims): Promise<string> {
    return new SignJWT({ bh: bodyDigest(claims.body) })
      .setProtectedHeader({ alg: algorithm })
      .setIssuer(service)
      .setSubject(service)
      .setAudience(`tessera-port:${claims.port}`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(key);
  };
}

export type ServiceTokenSigner = Awaited<ReturnType<typeof createServiceTokenSigner>>;

/**
 * Callee side: `callers` maps each service name that may call this process at all to its public
 * key. Returns the calling service's name, or throws UNAUTHENTICATED: an unknown issuer, a bad
 * signature, another port's token, an expired one, or one signed for a different body.
 */
export async function createServiceTokenVerifier(callers: Readonly<Record<string, JWK>>) {
  const keys = new Map<string, KeyLike>();
  for (const [service, jwk] of Object.entries(callers)) keys.set(service, (await importJWK(jwk, algorithm)) as KeyLike);
  return async function verify(token: string | undefined, expected: ServiceTokenClaims): Promise<string> {
    const refused = errors.unauthenticated('This endpoint answers only Tessera services that prove who they are.');
    if (!token) throw refused;
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw refused;
    }
    const key = issuer ? keys.get(issuer) : undefined;
    if (!issuer || !key) throw refused;
    try {
      const { payload } = await jwtVerify(token, key, { issuer, subject: issuer, audience: `tessera-port:${expected.port}`, algorithms: [algorithm], maxTokenAge: `${lifetimeSeconds + 5}s` });
      if (payload['bh'] !== bodyDigest(expected.body)) throw refused;
      return issuer;
    } catch {
      throw refused;
    }
  };
}

export type ServiceTokenVerifier = Awaited<ReturnType<typeof createServiceTokenVerifier>>;

/**
 * Callee side for a caller whose key is its client certificate's (a dedicated tenant's workers):
 * the token must be signed with the private key of the certificate the connection was made with,
 * issued by the identity that certificate names. No PORT_CALLER_KEYS entry is needed, so a
 * dedicated tenant made at run time gets workers without reconfiguring the owners, and such a
 * worker holds no SERVICE_KEY that any other caller shares. Throws UNAUTHENTICATED.
 */
export async function verifyCertificateBoundServiceToken(token: string | undefined, certificateKey: KeyObject, expected: ServiceTokenClaims & { issuer: string }): Promise<void> {
  const refused = errors.unauthenticated('This endpoint answers only Tessera services that prove who they are.');
  if (!token) throw refused;
  try {
    const { payload } = await jwtVerify(token, certificateKey, { issuer: expected.issuer, subject: expected.issuer, audience: `tessera-port:${expected.port}`, algorithms: [algorithm], maxTokenAge: `${lifetimeSeconds + 5}s` });
    if (payload['bh'] !== bodyDigest(expected.body)) throw refused;
  } catch {
    throw refused;
  }
}

/** A fresh ES256 pair for one service: the private JWK is its SERVICE_KEY, the public one goes into its callees' PORT_CALLER_KEYS. */
export async function generateServiceKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  return generateInternalKeyPair();
}
