import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type JWK, type KeyLike } from 'jose';

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
  throw new Error('AUDIT_SIGNING_KEY must be an Ed25519 (OKP) or P-256 (EC) private JWK');
}

/**
 * Signs and verifies chain checkpoints with the platform's audit key (AUDIT_SIGNING_KEY), as
 * compact JWS. The key id is the JWK thumbprint of the public key, so a verifier knows which key
 * a checkpoint claims; only the configured key's checkpoints verify.
 */
export class CheckpointSigner {
  private constructor(
    private readonly privateKey: KeyLike | Uint8Array,
    private readonly publicKey: KeyLike | Uint8Array,
    private readonly alg: 'EdDSA' | 'ES256',
    readonly keyId: string,
  ) {}

  static async fromJwk(privateJwk: JWK): Promise<CheckpointSigner> {
    if (typeof privateJwk.d !== 'string') throw new Error('AUDIT_SIGNING_KEY must be a private JWK (with "d")');
    const alg = algorithmOf(privateJwk);
    const { d: _d, ...publicJwk } = privateJwk;
    const keyId = await calculateJwkThumbprint(publicJwk);
    return new CheckpointSigner(await importJWK(privateJwk, alg), await importJWK(publicJwk, alg), alg, keyId);
  }

  async sign(payload: CheckpointPayload): Promise<string> {
    return new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: this.alg, kid: this.keyId, typ: checkpointType })
      .sign(this.privateKey);
  }

  /** The payload if `jws` carries a valid signature by this key, else undefined. */
  async verify(jws: string): Promise<CheckpointPayload | undefined> {
    try {
      const { payload, protectedHeader } = await compactVerify(jws, this.publicKey, { algorithms: [this.alg] });
      if (protectedHeader.kid !== this.keyId || protectedHeader.typ !== checkpointType) return undefined;
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
