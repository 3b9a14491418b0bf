import { verify, type KeyObject } from 'node:crypto';

export interface ServiceAccount {
  namespace: string;
  name: string;
}

export interface JwtCheck {
  keys: Map<string | undefined, KeyObject>;
  issuer: string | undefined;
  audiences: string[];
  nowSeconds: number;
}

/**
 * Verifies a Kubernetes service-account token against the cluster's signing keys (RS256 or
 * ES256, as the API server issues them): signature, expiry, not-before, issuer and audience, then
 * reads the service account from `sub` (`system:serviceaccount:<namespace>:<name>`). Undefined for
 * anything that does not verify; why is not told to the caller.
 */
export function verifyServiceAccountJwt(jwt: string, check: JwtCheck): ServiceAccount | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || jwt.length > 16 * 1024) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decode(headerPart) as { alg?: unknown; kid?: unknown } | undefined;
  const payload = decode(payloadPart) as { sub?: unknown; exp?: unknown; nbf?: unknown; iss?: unknown; aud?: unknown } | undefined;
  if (!header || !payload) return undefined;
  const key = check.keys.get(typeof header.kid === 'string' ? header.kid : undefined) ?? (check.keys.size === 1 ? [...check.keys.values()][0] : undefined);
  if (!key) return undefined;
  const data = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  let valid = false;
  if (header.alg === 'RS256' && key.asymmetricKeyType === 'rsa') valid = verify('sha256', data, key, signature);
  else if (header.alg === 'ES256' && key.asymmetricKeyType === 'ec') valid = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!valid) return undefined;
  if (typeof payload.exp !== 'number' || payload.exp <= check.nowSeconds) return undefined;
  if (typeof payload.nbf === 'number' && payload.nbf > check.nowSeconds + 60) return undefined;
  if (check.issuer !== undefined && payload.iss !== check.issuer) return undefined;
  if (check.audiences.length > 0) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((audience) => typeof audience === 'string' && check.audiences.includes(audience))) return undefined;
  }
  const match = typeof payload.sub === 'string' ? /^system:serviceaccount:([a-z0-9.-]{1,253}):([a-z0-9.-]{1,253})$/.exec(payload.sub) : null;
  return match ? { namespace: match[1]!, name: match[2]! } : undefined;
}

function decode(part: string): unknown {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
