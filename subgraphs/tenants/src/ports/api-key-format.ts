import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key as the client holds it: `tsk_<id>_<secret>`. The id (16 hex characters) is the
 * lookup handle and is not secret; the secret is 32 random bytes (base64url, 43 characters).
 */
export const apiKeyPrefix = 'tsk_';
const apiKeyPattern = /^tsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

/** Whether a bearer credential is meant as an API key (decided by its prefix alone, never by a lookup). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(apiKeyPrefix);
}

export function parseApiKey(credential: string): ParsedApiKey | undefined {
  const match = apiKeyPattern.exec(credential);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/**
 * SHA-256 over the id and the secret. No salt and no slow KDF: those defend low-entropy passwords
 * against guessing, and a 256-bit random secret cannot be guessed; a fast hash keeps the check
 * cheap on every request. The id is bound in, so a hash row copied onto another key verifies nothing.
 */
export function apiKeyHash(id: string, secret: string): string {
  return createHash('sha256').update(`tessera-api-key:${id}:${secret}`).digest('hex');
}

/** Constant-time: how many leading characters matched never shows in the time taken. */
export function apiKeySecretMatches(id: string, secret: string, storedSha256: string): boolean {
  const presented = Buffer.from(apiKeyHash(id, secret), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** A new key: its id, the credential to hand out once, and the hash to store. */
export function generateApiKey(): { id: string; credential: string; sha256: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, credential: `${apiKeyPrefix}${id}_${secret}`, sha256: apiKeyHash(id, secret) };
}
