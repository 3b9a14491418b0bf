import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type KeyLike } from 'jose';
import { errors } from '@tessera/errors';
import type { Caller, Principal } from './principal';
import { parseRoles } from './roles';

/** The header that carries the gateway-signed context to subgraphs. */
export const internalContextHeader = 'x-tessera-context';

const issuer = 'tessera-gateway';
const audience = 'tessera-subgraphs';
const algorithm = 'ES256';

/**
 * Short-lived because it is a bearer credential inside the mesh: a captured one is useless
 * after a minute, and requests never take that long to fan out.
 */
const lifetimeSeconds = 60;

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

/** Gateway side: signs who the caller is, for the subgraphs. */
export async function createInternalContextSigner(privateJwk: JWK) {
  const key = (await importJWK(privateJwk, algorithm)) as KeyLike;
  const header = { alg: algorithm, ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) };
  return async function sign(caller: Caller): Promise<string> {
    const claims =
      caller.kind === 'gateway'
        ? { kind: 'gateway', rid: caller.requestId }
        : {
            kind: 'user',
            tid: caller.tenantId,
            roles: caller.roles,
            cid: caller.clientId,
            rid: caller.requestId,
            ip: caller.sourceIp,
          };
    return new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(caller.kind === 'gateway' ? 'gateway' : caller.subject)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(key);
  };
}

export type InternalContextSigner = Awaited<ReturnType<typeof createInternalContextSigner>>;

/** Subgraph side: no valid gateway signature, no caller. */
export async function createInternalContextVerifier(publicJwk: JWK) {
  const key = (await importJWK(publicJwk, algorithm)) as KeyLike;
  return async function verify(token: string | undefined): Promise<Caller> {
    if (!token) throw errors.unauthenticated('This service only answers requests routed through the Tessera gateway.');
    try {
      const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: [algorithm] });
      const requestId = typeof payload['rid'] === 'string' ? payload['rid'] : randomUUID();
      if (payload['kind'] === 'gateway') return { kind: 'gateway', requestId };
      const principal: Principal = {
        kind: 'user',
        subject: String(payload.sub),
        tenantId: typeof payload['tid'] === 'string' ? payload['tid'] : undefined,
        roles: parseRoles(payload['roles']),
        clientId: typeof payload['cid'] === 'string' ? payload['cid'] : undefined,
        requestId,
        sourceIp: typeof payload['ip'] === 'string' ? payload['ip'] : undefined,
      };
      return principal;
    } catch {
      throw errors.unauthenticated('This service only answers requests routed through the Tessera gateway.');
    }
  };
}

export type InternalContextVerifier = Awaited<ReturnType<typeof createInternalContextVerifier>>;
