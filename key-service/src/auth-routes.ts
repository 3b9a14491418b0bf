import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyServiceAuthConfig } from './auth-config';
import { verifyServiceAccountJwt } from './service-account-jwt';
import type { IssuedToken, TokenStore } from './token-store';
import { TransitError } from './transit-error';

export interface AuthRequest {
  method: string;
  /** The path below `/v1/auth/`. */
  path: string;
  body: Record<string, unknown>;
  token: string | undefined;
  /** The certificate name of the connection. */
  client: string;
  isAdminClient: boolean;
}

export type AuthAnswer = { status: number; body: unknown } | { status: 204 };

/**
 * Vault's login and token endpoints as the key service speaks them: `approle/login`
 * (role_id, secret_id), `kubernetes/login` (role, jwt), and `token/renew-self`, `lookup-self`,
 * `revoke-self`, `revoke-accessor`. Answers have Vault's shape (`auth` with client_token,
 * accessor, lease_duration, renewable…) and Vault's refusals: 400 "invalid role or secret ID" for
 * a bad AppRole login, 403 "permission denied" for a refused JWT or token. A login is also refused
 * when the role belongs to another service than the certificate presenting it.
 */
export function handleAuthRequest(request: AuthRequest, config: KeyServiceAuthConfig, tokens: TokenStore, nowSeconds: number): AuthAnswer {
  const { method, path, body } = request;
  if (method !== 'POST' && !(method === 'GET' && path === 'token/lookup-self')) throw new TransitError(405, 'unsupported operation');
  switch (path) {
    case 'approle/login':
      return loginAnswer(approleLogin(request, config, tokens));
    case 'kubernetes/login':
      return loginAnswer(kubernetesLogin(request, config, tokens, nowSeconds));
    case 'token/renew-self': {
      const increment = parseIncrement(body['increment']);
      const renewed = request.token ? tokens.renew(request.token, increment) : undefined;
      if (!renewed || renewed.client !== request.client) throw new TransitError(403, 'permission denied');
      return loginAnswer({ token: request.token!, issued: renewed });
    }
    case 'token/lookup-self': {
      const issued = tokens.find(request.token);
      if (!issued || issued.client !== request.client) throw new TransitError(403, 'permission denied');
      return { status: 200, body: { data: lookup(request.token!, issued) } };
    }
    case 'token/revoke-self': {
      const issued = tokens.find(request.token);
      if (!issued || issued.client !== request.client) throw new TransitError(403, 'permission denied');
      tokens.revoke(request.token!);
      return { status: 204 };
    }
    case 'token/revoke-accessor': {
      // Revoking another service's token is administration: the key administrators' certificates only.
      if (!request.isAdminClient) throw new TransitError(403, 'permission denied');
      const accessor = body['accessor'];
      if (typeof accessor !== 'string' || !tokens.revokeAccessor(accessor)) throw new TransitError(400, 'invalid accessor');
      return { status: 204 };
    }
    default:
      throw new TransitError(404, 'unsupported path');
  }
}

function approleLogin(request: AuthRequest, config: KeyServiceAuthConfig, tokens: TokenStore): { token: string; issued: IssuedToken } {
  const roleId = request.body['role_id'];
  const secretId = request.body['secret_id'];
  if (typeof roleId !== 'string' || roleId.length === 0) throw new TransitError(400, 'missing role_id');
  if (typeof secretId !== 'string' || secretId.length === 0) throw new TransitError(400, 'missing secret_id');
  const role = config.approle.find((candidate) => equal(candidate.roleId, roleId));
  const presented = createHash('sha256').update(secretId).digest('hex');
  const secretMatches = role?.secretIdSha256.some((known) => equal(known, presented)) ?? false;
  // The same answer for an unknown role, a wrong secret and another service's certificate.
  if (!role || !secretMatches || role.client !== request.client) throw new TransitError(400, 'invalid role or secret ID');
  return tokens.issue({ client: role.client, method: 'approle', role: role.role, metadata: { role_name: role.role }, ttlSeconds: role.tokenTtlSeconds, maxTtlSeconds: role.tokenMaxTtlSeconds });
}

function kubernetesLogin(request: AuthRequest, config: KeyServiceAuthConfig, tokens: TokenStore, nowSeconds: number): { token: string; issued: IssuedToken } {
  const kubernetes = config.kubernetes;
  if (!kubernetes) throw new TransitError(404, 'unsupported path');
  const roleName = request.body['role'];
  const jwt = request.body['jwt'];
  if (typeof roleName !== 'string' || roleName.length === 0) throw new TransitError(400, 'missing role');
  if (typeof jwt !== 'string' || jwt.length === 0) throw new TransitError(400, 'missing jwt');
  const role = kubernetes.roles.find((candidate) => candidate.role === roleName);
  if (!role) throw new TransitError(400, `invalid role name "${roleName.slice(0, 128)}"`);
  const account = verifyServiceAccountJwt(jwt, { keys: kubernetes.keys, issuer: kubernetes.issuer, audiences: kubernetes.audiences, nowSeconds });
  if (!account || !role.namespaces.includes(account.namespace) || !role.serviceAccountNames.includes(account.name) || role.client !== request.client) throw new TransitError(403, 'permission denied');
  return tokens.issue({
    client: role.client,
    method: 'kubernetes',
    role: role.role,
    metadata: { role: role.role, service_account_name: account.name, service_account_namespace: account.namespace },
    ttlSeconds: role.tokenTtlSeconds,
    maxTtlSeconds: role.tokenMaxTtlSeconds,
  });
}

function loginAnswer({ token, issued }: { token: string; issued: IssuedToken }): AuthAnswer {
  // Rounded, not floored: answered right after issue or renewal, the lease is the granted TTL less
  // the milliseconds spent answering, and Vault reports the granted TTL.
  const leaseSeconds = Math.max(0, Math.round((issued.expiresAt - Date.now()) / 1000));
  return {
    status: 200,
    body: {
      request_id: '',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: {
        client_token: token,
        accessor: issued.accessor,
        policies: ['default', issued.client],
        token_policies: ['default', issued.client],
        metadata: issued.metadata,
        lease_duration: leaseSeconds,
        renewable: issued.expiresAt < issued.maxExpiresAt,
        entity_id: '',
        token_type: 'service',
        orphan: true,
      },
    },
  };
}

function lookup(token: string, issued: IssuedToken): Record<string, unknown> {
  return {
    accessor: issued.accessor,
    creation_time: Math.floor(issued.issuedAt / 1000),
    creation_ttl: issued.ttlSeconds,
    display_name: `${issued.method}-${issued.role}`,
    expire_time: new Date(issued.expiresAt).toISOString(),
    explicit_max_ttl: 0,
    id: token,
    meta: issued.metadata,
    num_uses: 0,
    orphan: true,
    path: `auth/${issued.method}/login`,
    policies: ['default', issued.client],
    renewable: issued.expiresAt < issued.maxExpiresAt,
    ttl: Math.max(0, Math.floor((issued.expiresAt - Date.now()) / 1000)),
    type: 'service',
  };
}

/** Vault takes the increment as seconds or a duration string ("30m"). */
function parseIncrement(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '' || value === 0) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^(\d{1,9})(s|m|h)?$/.exec(value) : null;
  if (!match) throw new TransitError(400, 'invalid increment');
  return Number(match[1]) * (match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1);
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
