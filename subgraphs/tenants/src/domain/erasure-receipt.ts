import { createHash, createHmac } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK, type KeyLike } from 'jose';

/**
 * The erasure receipt: what was destroyed for a tenant and what was kept, signed with the platform
 * audit key (AUDIT_SIGNING_KEY, the key that signs audit checkpoints) as a compact JWS. Anyone
 * holding the published public keys (`auditSigningKeys`) verifies it offline, with this module's
 * `verifyErasureReceiptJws` or any JOSE library: the tenant is gone, so nothing online can vouch
 * for it afterwards.
 */
export interface ErasureReceiptPayload {
  type: 'tessera.erasure-receipt';
  version: 1;
  /** The erasure request this receipt closes. */
  requestId: string;
  /** HMAC-SHA256(platform secret, tenant id): the name the platform security log keeps. */
  tenantPseudonym: string;
  /** SHA-256 of the tenant id: the requester, who knows the id, can tie the receipt to it. */
  tenantIdHash: string;
  region: string;
  requestedAt: string;
  erasedAt: string;
  destroyed: {
    schema: { name: string; dropped: boolean };
    buckets: Array<{ bucket: string; region: string; objects: number; objectVersions: number; bytes: number }>;
    keys: Array<{ keyId: string; destroyedAt: string; dataKeyVersions: number[] }>;
    redisKeys: number;
    controlPlaneRows: Record<string, number>;
  };
  kept: Array<{ what: string; why: string }>;
}

export const erasureReceiptType = 'tessera-erasure-receipt+jws';

export function tenantPseudonym(secret: string, tenantId: string): string {
  return createHmac('sha256', secret).update(`tenant:${tenantId}`).digest('hex');
}

export function tenantIdHash(tenantId: string): string {
  return createHash('sha256').update(tenantId).digest('hex');
}

type Algorithm = 'EdDSA' | 'ES256';

function algorithmOf(jwk: JWK): Algorithm {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error('audit signing keys must be Ed25519 (OKP) or P-256 (EC) JWKs');
}

export type ReceiptVerification =
  | { valid: true; keyId: string; payload: ErasureReceiptPayload }
  | { valid: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'WRONG_TYPE' };

/**
 * Offline check: the receipt's `kid` must name one of `publicJwks` (by JWK thumbprint), its
 * signature must verify under that key, and its header and payload must be an erasure receipt.
 * Needs nothing but the receipt and the published public keys.
 */
export async function verifyErasureReceiptJws(jws: string, publicJwks: readonly JWK[]): Promise<ReceiptVerification> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return { valid: false, reason: 'MALFORMED' };
  }
  if (header.typ !== erasureReceiptType) return { valid: false, reason: 'WRONG_TYPE' };
  let match: { jwk: JWK; alg: Algorithm } | undefined;
  for (const candidate of publicJwks) {
    if (typeof candidate.d === 'string') continue; // a verifier never needs a private key
    const { kty, crv, x, y } = candidate;
    const publicJwk: JWK = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
    if ((await calculateJwkThumbprint(publicJwk)) === header.kid) match = { jwk: publicJwk, alg: algorithmOf(publicJwk) };
  }
  if (!match || header.alg !== match.alg) return { valid: false, reason: 'UNKNOWN_KEY' };
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK(match.jwk, match.alg), { algorithms: [match.alg] }));
  } catch {
    return { valid: false, reason: 'BAD_SIGNATURE' };
  }
  const parsed = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<ErasureReceiptPayload>;
  if (parsed.type !== 'tessera.erasure-receipt' || parsed.version !== 1) return { valid: false, reason: 'WRONG_TYPE' };
  return { valid: true, keyId: header.kid as string, payload: parsed as ErasureReceiptPayload };
}

/** Signs receipts with the audit signing key and verifies them under it and the retired keys still trusted. */
export class ErasureReceiptSigner {
  private constructor(
    private readonly privateKey: KeyLike | Uint8Array,
    private readonly alg: Algorithm,
    readonly keyId: string,
    /** The current public key first, then the retired ones (AUDIT_VERIFY_KEYS). */
    readonly publicJwks: readonly JWK[],
  ) {}

  static async fromJwk(privateJwk: JWK, retiredPublicJwks: readonly JWK[] = []): Promise<ErasureReceiptSigner> {
    if (typeof privateJwk.d !== 'string') throw new Error('AUDIT_SIGNING_KEY must be a private JWK (with "d")');
    const alg = algorithmOf(privateJwk);
    const { kty, crv, x, y } = privateJwk;
    const publicJwk: JWK = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
    return new ErasureReceiptSigner(await importJWK(privateJwk, alg), alg, await calculateJwkThumbprint(publicJwk), [publicJwk, ...retiredPublicJwks]);
  }

  sign(payload: ErasureReceiptPayload): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8')).setProtectedHeader({ alg: this.alg, kid: this.keyId, typ: erasureReceiptType }).sign(this.privateKey);
  }

  verify(jws: string): Promise<ReceiptVerification> {
    return verifyErasureReceiptJws(jws, this.publicJwks);
  }
}
