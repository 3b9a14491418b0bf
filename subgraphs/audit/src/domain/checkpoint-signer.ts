import { calculateJwkThumbprint, CompactSign, compactVerify, decodeProtectedHeader, importJWK, type JWK, type KeyLike } from 'jose';

/** What a checkpoint asserts: "chain `chain` had `seq` events and its head hash was `headHash` at `time`". */
export interface CheckpointPayload {
  chain: string;
  /** The tenant whose audit trail this is; null for the platform security log. */
  tenantId: string | null;
  seq: number;
  headHash: string;
  time: string;
}

const checkpointType = 'tessera-audit-checkpoint+jws';

function algorithmOf(jwk: JWK): 'EdDSA' | 'ES256' {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error('audit signing keys must be Ed25519 (OKP) or P-256 (EC) JWKs');
}

/** A key that checkpoints may be signed with, as a verifier sees it. */
export interface CheckpointVerificationKey {
  keyId: string;
  alg: 'EdDSA' | 'ES256';
  publicJwk: JWK;
  /** True for the key that signs new checkpoints; false for a retired one that only verifies. */
  current: boolean;
}

/**
 * Signs and verifies chain checkpoints with the platform's audit key (AUDIT_SIGNING_KEY), as
 * compact JWS. The key id is the JWK thumbprint of the public key. Verification picks the key by
 * the checkpoint's `kid` among the current key and the retired ones still trusted
 * (AUDIT_VERIFY_KEYS): rotating the key keeps every older checkpoint verifiable for as long as
 * its public key stays listed. A checkpoint under any other key does not verify.
 */
export class CheckpointSigner {
  private constructor(
    private readonly privateKey: KeyLike | Uint8Array,
    private readonly alg: 'EdDSA' | 'ES256',
    readonly keyId: string,
    private readonly verifiers: ReadonlyMap<string, { key: KeyLike | Uint8Array; info: CheckpointVerificationKey }>,
  ) {}

  static async fromJwk(privateJwk: JWK, retiredPublicJwks: readonly JWK[] = []): Promise<CheckpointSigner> {
    if (typeof privateJwk.d !== 'string') throw new Error('AUDIT_SIGNING_KEY must be a private JWK (with "d")');
    const alg = algorithmOf(privateJwk);
    const { d: _d, ...publicJwk } = privateJwk;
    const keyId = await calculateJwkThumbprint(publicJwk);
    const verifiers = new Map<string, { key: KeyLike | Uint8Array; info: CheckpointVerificationKey }>();
    verifiers.set(keyId, { key: await importJWK(publicJwk, alg), info: { keyId, alg, publicJwk: publicOnly(publicJwk), current: true } });
    for (const retired of retiredPublicJwks) {
      if (typeof retired.d === 'string') throw new Error('AUDIT_VERIFY_KEYS must hold public keys only');
      const retiredAlg = algorithmOf(retired);
      const retiredId = await calculateJwkThumbprint(retired);
      if (verifiers.has(retiredId)) continue; // the current key listed again
      verifiers.set(retiredId, { key: await importJWK(retired, retiredAlg), info: { keyId: retiredId, alg: retiredAlg, publicJwk: publicOnly(retired), current: false } });
    }
    return new CheckpointSigner(await importJWK(privateJwk, alg), alg, keyId, verifiers);
  }

  /** Every key a checkpoint may verify under: the current one first, then the retired ones. */
  get verificationKeys(): CheckpointVerificationKey[] {
    return [...this.verifiers.values()].map((v) => v.info);
  }

  async sign(payload: CheckpointPayload): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: this.alg, kid: this.keyId, typ: checkpointType })
      .sign(this.privateKey);
  }

  /** Any other record the audit key vouches for (e.g. a security-log rewrite), under its own `typ`. */
  async signRecord(typ: string, payload: object): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: this.alg, kid: this.keyId, typ }).sign(this.privateKey);
  }

  /** The payload of a record signed by a trusted key with that `typ`, else undefined. */
  async verifyRecord(typ: string, jws: string): Promise<unknown> {
    try {
      const header = decodeProtectedHeader(jws);
      const verifier = typeof header.kid === 'string' ? this.verifiers.get(header.kid) : undefined;
      if (!verifier || header.typ !== typ) return undefined;
      const { payload } = await compactVerify(jws, verifier.key, { algorithms: [verifier.info.alg] });
      return JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The payload if `jws` carries a valid signature by a trusted key (its `kid`), else undefined. */
  async verify(jws: string): Promise<CheckpointPayload | undefined> {
    try {
      const header = decodeProtectedHeader(jws);
      const verifier = typeof header.kid === 'string' ? this.verifiers.get(header.kid) : undefined;
      if (!verifier || header.typ !== checkpointType) return undefined;
      const { payload } = await compactVerify(jws, verifier.key, { algorithms: [verifier.info.alg] });
      const parsed = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<CheckpointPayload>;
      if (typeof parsed.chain !== 'string' || typeof parsed.seq !== 'number' || typeof parsed.headHash !== 'string' || typeof parsed.time !== 'string') {
        return undefined;
      }
      return { chain: parsed.chain, tenantId: parsed.tenantId ?? null, seq: parsed.seq, headHash: parsed.headHash, time: parsed.time };
    } catch {
      return undefined;
    }
  }
}

/** The public members of an OKP or EC key, nothing else (no `d`, no stray fields). */
function publicOnly(jwk: JWK): JWK {
  return jwk.kty === 'OKP' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}
