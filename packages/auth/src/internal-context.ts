import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type KeyLike } from 'jose';
import { errors } from '@tessera/errors';
import { ExpiringCache } from './expiring-cache';
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
        ? { kind: 'gateway', rid: caller.requestId || undefined }
        : {
            kind: 'user',
            tid: caller.tenantId,
            roles: caller.roles,
            cid: caller.clientId,
            rid: caller.requestId || undefined,
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

/** The header that carries the request id next to a reusable context (which has none inside). */
export const requestIdHeader = 'x-request-id';

/**
 * Gateway side, for the hot path: one signed context per caller identity (tenant, subject, roles,
 * client, source IP), reused for half its lifetime instead of an ES256 signature per request. It
 * carries no request id (that travels in `x-request-id`), so it says exactly what a per-request
 * context says about who may do what, and expires just as fast.
 */
export async function createReusableContextSigner(privateJwk: JWK) {
  const sign = await createInternalContextSigner(privateJwk);
  const signed = new ExpiringCache<Promise<string>>(10_000);
  const reuseMs = (lifetimeSeconds * 1000) / 2;
  return function signReusable(principal: Principal): Promise<string> {
    const key = JSON.stringify([principal.tenantId ?? null, principal.subject, principal.roles, principal.clientId ?? null, principal.sourceIp ?? null]);
    let token = signed.get(key);
    if (!token) {
      token = sign({ ...principal, requestId: '' });
      signed.set(key, token, Date.now() + reuseMs);
      token.catch(() => signed.delete(key));
    }
    return token;
  };
}

export type ReusableContextSigner = Awaited<ReturnType<typeof createReusableContextSigner>>;

/** Subgraph side: no valid gateway signature, no caller. */
export async function createInternalContextVerifier(publicJwk: JWK) {
  const key = (await importJWK(publicJwk, algorithm)) as KeyLike;
  // The gateway reuses a context for many requests, so most verifications are repeats.
  const verified = new ExpiringCache<Caller>(10_000);
  /** `requestIdHint`: the `x-request-id` header, used when the context itself carries no request id. */
  return async function verify(token: string | undefined, requestIdHint?: string): Promise<Caller> {
    if (!token) throw errors.unauthenticated('This service only answers requests routed through the Tessera gateway.');
    const hint = typeof requestIdHint === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(requestIdHint) ? requestIdHint : undefined;
    const remembered = verified.get(token);
    if (remembered) return { ...remembered, requestId: remembered.requestId || hint || randomUUID() };
    const { caller, expiresAtMs } = await verifyUncached(token);
    verified.set(token, caller, expiresAtMs);
    return { ...caller, requestId: caller.requestId || hint || randomUUID() };
  };

  async function verifyUncached(token: string): Promise<{ caller: Caller; expiresAtMs: number }> {
    try {
      const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: [algorithm] });
      const expiresAtMs = (payload.exp ?? 0) * 1000;
      const requestId = typeof payload['rid'] === 'string' ? payload['rid'] : '';
      if (payload['kind'] === 'gateway') return { caller: { kind: 'gateway', requestId }, expiresAtMs };
      const principal: Principal = {
        kind: 'user',
        subject: String(payload.sub),
        tenantId: typeof payload['tid'] === 'string' ? payload['tid'] : undefined,
        roles: parseRoles(payload['roles']),
        clientId: typeof payload['cid'] === 'string' ? payload['cid'] : undefined,
        requestId,
        sourceIp: typeof payload['ip'] === 'string' ? payload['ip'] : undefined,
      };
      return { caller: principal, expiresAtMs };
    } catch {
      throw errors.unauthenticated('This service only answers requests routed through the Tessera gateway.');
    }
  }
}

export type InternalContextVerifier = Awaited<ReturnType<typeof createInternalContextVerifier>>;
