import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');
const roleName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a role name');
const ttl = z.number().int().min(1).max(366 * 24 * 3600);

const approleRole = z.object({
  role: roleName,
  roleId: z.string().min(16).max(256),
  // Digests only: the file never holds a secret_id that would log in.
  secretIdSha256: z.array(sha256Hex).min(1),
  // The service (its certificate's name) the role's tokens act as: a login over another service's certificate is refused.
  client: z.string().min(1),
  tokenTtlSeconds: ttl.default(3600),
  tokenMaxTtlSeconds: ttl.default(24 * 3600),
});

const kubernetesRole = z.object({
  role: roleName,
  serviceAccountNames: z.array(z.string().min(1)).min(1),
  namespaces: z.array(z.string().min(1)).min(1),
  client: z.string().min(1),
  tokenTtlSeconds: ttl.default(3600),
  tokenMaxTtlSeconds: ttl.default(24 * 3600),
});

const authFile = z.object({
  // true: every transit call needs a token from a login (and the certificate it was issued to).
  requireToken: z.boolean().default(false),
  approle: z.array(approleRole).default([]),
  kubernetes: z
    .object({
      // The cluster's service-account signing keys (its JWKS: `kubectl get --raw /openid/v1/jwks`).
      jwksFile: z.string().min(1),
      issuer: z.string().min(1).optional(),
      audiences: z.array(z.string().min(1)).default([]),
      roles: z.array(kubernetesRole).min(1),
    })
    .optional(),
});

export type ApproleRole = z.infer<typeof approleRole>;
export type KubernetesRole = z.infer<typeof kubernetesRole>;

export interface KeyServiceAuthConfig {
  requireToken: boolean;
  approle: ApproleRole[];
  kubernetes: { keys: Map<string | undefined, KeyObject>; issuer: string | undefined; audiences: string[]; roles: KubernetesRole[] } | undefined;
}

/** No auth file: clients are known by their certificate alone (tokens, if sent, must still be valid). */
export const certificateOnly: KeyServiceAuthConfig = { requireToken: false, approle: [], kubernetes: undefined };

/** Reads KEY_SERVICE_AUTH_FILE: the AppRole and Kubernetes roles this key service logs in, and whether tokens are required. */
export function readAuthConfig(path: string): KeyServiceAuthConfig {
  const parsed = authFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`KEY_SERVICE_AUTH_FILE ${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const config = parsed.data;
  const roles = [...config.approle.map((role) => role.role), ...(config.kubernetes?.roles ?? []).map((role) => `k8s:${role.role}`)];
  if (new Set(roles).size !== roles.length) throw new Error(`KEY_SERVICE_AUTH_FILE ${path}: a role is defined twice`);
  for (const role of [...config.approle, ...(config.kubernetes?.roles ?? [])]) {
    if (role.tokenMaxTtlSeconds < role.tokenTtlSeconds) throw new Error(`KEY_SERVICE_AUTH_FILE ${path}: role ${role.role}: tokenMaxTtlSeconds is below tokenTtlSeconds`);
  }
  return {
    requireToken: config.requireToken,
    approle: config.approle,
    kubernetes: config.kubernetes ? { keys: readJwks(config.kubernetes.jwksFile), issuer: config.kubernetes.issuer, audiences: config.kubernetes.audiences, roles: config.kubernetes.roles } : undefined,
  };
}

function readJwks(path: string): Map<string | undefined, KeyObject> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { keys?: Array<Record<string, unknown>> };
  const keys = new Map<string | undefined, KeyObject>();
  for (const jwk of parsed.keys ?? []) {
    if ('d' in jwk) throw new Error(`${path}: a private key has no place in a JWKS`);
    keys.set(typeof jwk['kid'] === 'string' ? jwk['kid'] : undefined, createPublicKey({ key: jwk as never, format: 'jwk' }));
  }
  if (keys.size === 0) throw new Error(`${path}: no keys`);
  return keys;
}
