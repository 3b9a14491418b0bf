import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'X-Tessera-Signature';
/** A receiver should refuse a signature whose timestamp is further than this from its clock. */
export const replayToleranceSeconds = 300;

/**
 * Stripe-style: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is
 * inside the MAC, so a captured delivery cannot be replayed later with a fresh `t`; a receiver
 * checks the MAC, then that `t` is within `replayToleranceSeconds` of now, and may also drop
 * repeated `X-Tessera-Delivery` ids (a retry of the same delivery reuses its id).
 */
export function signWebhookBody(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: 'MALFORMED' | 'MISMATCH' | 'STALE' };

/** The receiver's side, kept here so tests (and anyone integrating) verify exactly what we sign. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSeconds = replayToleranceSeconds): SignatureCheck {
  const parts = new Map((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { valid: false, reason: 'MALFORMED' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'utf8'))) return { valid: false, reason: 'MISMATCH' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { valid: false, reason: 'STALE' };
  return { valid: true, timestamp: t };
}
