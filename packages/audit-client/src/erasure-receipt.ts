import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK, type KeyLike } from 'jose';
import type { Principal } from '@tessera/auth';

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
    /** `incompleteUploads`: interrupted multipart uploads aborted with the bucket (absent on receipts from before they were counted). */
    buckets: Array<{ bucket: string; region: string; objects: number; objectVersions: number; bytes: number; incompleteUploads?: number; incompleteUploadBytes?: number }>;
    /**
     * `singleLayerDataKeyVersions` (absent when none): versions that were wrapped by the platform
     * KEK alone, not under the destroyed tenant key (a tenant provisioned before per-tenant keys and
     * not adopted yet): a copy of those rows opened until the KEK versions that wrapped them go.
     */
    keys: Array<{ keyId: string; destroyedAt: string; dataKeyVersions: number[]; singleLayerDataKeyVersions?: number[] }>;
    redisKeys: number;
    controlPlaneRows: Record<string, number>;
  };
  /**
   * The platform security log's earlier entries about the tenant, rewritten to pseudonyms (absent
   * in receipts written before that step existed): how many, the signed rewrite record that keeps
   * the chain verifiable, and the chain head after it.
   */
  securityLog?: { pseudonymisedEvents: number; rewriteId: string | null; headSequence: number };
  kept: Array<{ what: string; why: string }>;
}

/** What the tenants service sends to be signed: everything but the pseudonym, which only the key holder can compute. */
export type UnsignedErasureReceipt = Omit<ErasureReceiptPayload, 'tenantPseudonym'>;

export interface SignedErasureReceipt {
  /** The compact JWS. */
  receipt: string;
  keyId: string;
  tenantPseudonym: string;
}

export interface SecurityLogPseudonymisation {
  /** Events whose tenant-identifying fields were rewritten (0: none named the tenant). */
  pseudonymisedEvents: number;
  /** The signed rewrite record that lets the chain verify across the rewrite (null when nothing was rewritten). */
  rewriteId: string | null;
  /** The chain's head sequence after the rewrite. */
  headSequence: number;
  tenantPseudonym: string;
}

/**
 * What the audit service, which holds AUDIT_SIGNING_KEY and the platform security log, does for an
 * erasure; the tenants service calls it through the audit port (in-process or over mutual TLS).
 * The actor is the erasure's system principal for the erased tenant: the tenant id travels as the
 * actor's tenant, never in the input.
 */
export interface ErasureAuthorityPort {
  /** Rewrites every earlier security-log entry naming the tenant to keyed pseudonyms (idempotent per request). */
  pseudonymiseSecurityLog(actor: Principal, input: { requestId: string }): Promise<SecurityLogPseudonymisation>;
  /** Signs the receipt of a finished erasure; refused while the tenant still exists. */
  signErasureReceipt(actor: Principal, input: { payload: UnsignedErasureReceipt }): Promise<SignedErasureReceipt>;
}

export const erasureReceiptType = 'tessera-erasure-receipt+jws';

export function tenantPseudonym(secret: string, tenantId: string): string {
  return createHmac('sha256', secret).update(`tenant:${tenantId}`).digest('hex');
}

/** The pseudonym key, derived from the audit signing key so no further secret must be distributed. */
export function pseudonymSecretFromSigningKey(privateJwk: { d?: unknown }): Buffer {
  if (typeof privateJwk.d !== 'string') throw new Error('AUDIT_SIGNING_KEY must be a private JWK');
  return Buffer.from(hkdfSync('sha256', Buffer.from(privateJwk.d, 'base64url'), Buffer.alloc(0), 'tessera erasure pseudonym', 32));
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
