/**
 * A tenant credential as given on the command line: an OIDC access token (a JWT) or a Tessera API
 * key (`tsk_<id>_<secret>`). Both travel as `Authorization: Bearer …`; the kind only matters for
 * the authentication checks (how a forgery of it is built).
 */
export type CredentialKind = 'token' | 'apikey';

export interface Credential {
  kind: CredentialKind;
  secret: string;
}

export class CredentialError extends Error {}

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const apiKeyShape = /^tsk_[0-9a-f]{16}_[A-Za-z0-9_-]+$/;

/** `token:<jwt>`, `apikey:<tsk_…>`, or either bare (detected by shape); `@<file>` reads the value from a file. */
export function parseCredential(raw: string, readFile: (path: string) => string): Credential {
  let value = raw.trim();
  if (value.startsWith('@')) value = readFile(value.slice(1)).trim();
  if (value.startsWith('token:')) return checked({ kind: 'token', secret: value.slice('token:'.length) });
  if (value.startsWith('apikey:')) return checked({ kind: 'apikey', secret: value.slice('apikey:'.length) });
  if (apiKeyShape.test(value)) return { kind: 'apikey', secret: value };
  if (jwtShape.test(value)) return { kind: 'token', secret: value };
  throw new CredentialError('a credential is an access token (a JWT, optionally `token:<jwt>`) or an API key (`tsk_…`, optionally `apikey:tsk_…`)');
}

function checked(credential: Credential): Credential {
  const ok = credential.kind === 'token' ? jwtShape.test(credential.secret) : apiKeyShape.test(credential.secret);
  if (!ok) throw new CredentialError(`the ${credential.kind === 'token' ? 'token' : 'API key'} is malformed`);
  return credential;
}

/** A JWT's header and payload, unverified (the self-test only reshapes them into forgeries). */
export function decodeJwtParts(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const [header, payload] = jwt.split('.');
  if (header === undefined || payload === undefined) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    };
  } catch {
    return undefined;
  }
}
