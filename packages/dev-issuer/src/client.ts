// Client-side helpers for the dev issuer (or any OIDC issuer with the same features).
// Only global fetch is used and nothing is imported, so this file can be loaded on its own,
// including from CommonJS test code that cannot load the ESM-only oidc-provider.

export interface RegisterClientInput {
  /** Tenant put into the `tenant` claim of this client's tokens; omit for a tenant-less client. */
  tenant?: string;
  /** Put into the `roles` claim of this client's tokens. */
  roles: string[];
  /** Access-token lifetime for this client; the issuer's default when omitted. */
  tokenTtlSeconds?: number;
  /** Put into the `email` claim, with `email_verified` (as a user's token from a real IdP would carry them). */
  email?: string;
  emailVerified?: boolean;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
}

interface DiscoveryDocument {
  issuer?: unknown;
  token_endpoint?: unknown;
  registration_endpoint?: unknown;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeFailure(what: string, response: Response, body: unknown): Error {
  let detail = '';
  if (body && typeof body === 'object') {
    const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
    detail = [error, description].filter((part) => typeof part === 'string').join(': ');
  } else if (typeof body === 'string') {
    detail = body.slice(0, 200);
  }
  return new Error(`${what} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`);
}

async function discoveryEndpoint(
  issuerUrl: string,
  field: 'token_endpoint' | 'registration_endpoint',
): Promise<string> {
  const url = `${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await readJson(response);
  if (!response.ok) {
    throw describeFailure(`Discovery at ${url}`, response, body);
  }
  const endpoint = (body as DiscoveryDocument | null)?.[field];
  if (typeof endpoint !== 'string' || !endpoint) {
    throw new Error(`Discovery document at ${url} has no ${field}`);
  }
  return endpoint;
}

/**
 * Obtains an access token with the client_credentials grant (client_secret_post).
 * `resource` is an RFC 8707 resource indicator; the issuer's default audience applies when omitted.
 */
export async function fetchClientCredentialsToken(
  issuerUrl: string,
  clientId: string,
  clientSecret: string,
  resource?: string,
): Promise<string> {
  const tokenEndpoint = await discoveryEndpoint(issuerUrl, 'token_endpoint');
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
  if (resource !== undefined) {
    form.set('resource', resource);
  }
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form,
  });
  const body = await readJson(response);
  if (!response.ok) {
    throw describeFailure(`Token request for client ${clientId}`, response, body);
  }
  const accessToken = (body as { access_token?: unknown } | null)?.access_token;
  if (typeof accessToken !== 'string' || !accessToken) {
    throw new Error(`Token response for client ${clientId} has no access_token`);
  }
  return accessToken;
}

/**
 * Registers a client_credentials client over OpenID Connect Dynamic Client Registration,
 * authorised by the issuer's initial access token.
 */
export async function registerClient(
  issuerUrl: string,
  registrationToken: string,
  input: RegisterClientInput,
): Promise<RegisteredClient> {
  const registrationEndpoint = await discoveryEndpoint(issuerUrl, 'registration_endpoint');
  const metadata: Record<string, unknown> = {
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
    roles: input.roles,
  };
  if (input.tenant !== undefined) metadata.tenant = input.tenant;
  if (input.tokenTtlSeconds !== undefined) metadata.token_ttl_seconds = input.tokenTtlSeconds;
  if (input.email !== undefined) metadata.email = input.email;
  if (input.emailVerified !== undefined) metadata.email_verified = input.emailVerified;

  const response = await fetch(registrationEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${registrationToken}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(metadata),
  });
  const body = await readJson(response);
  if (response.status !== 201) {
    throw describeFailure('Client registration', response, body);
  }
  const { client_id: clientId, client_secret: clientSecret } = (body ?? {}) as {
    client_id?: unknown;
    client_secret?: unknown;
  };
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
    throw new Error('Client registration response lacks client_id or client_secret');
  }
  return { clientId, clientSecret };
}
