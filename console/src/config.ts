/** What the console needs to know about its deployment; served as /config.json next to the files. */
export interface ConsoleConfig {
  /** The OpenID issuer (discovery at {issuerUrl}/.well-known/openid-configuration). */
  issuerUrl: string;
  /** The console's public client id at the issuer (authorization code + PKCE). */
  clientId: string;
  /** The API's resource indicator: the `aud` of the gateway's access tokens. */
  audience: string;
  /** The gateway's GraphQL endpoint (HTTPS); subscriptions use the same URL over WSS. */
  graphqlUrl: string;
  /** Claim paths, as the gateway reads them (e.g. Keycloak's `realm_access.roles`); default tenant, roles. */
  tenantClaim?: string;
  rolesClaim?: string;
}

function isConfig(value: unknown): value is ConsoleConfig {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return ['issuerUrl', 'clientId', 'audience', 'graphqlUrl'].every((key) => typeof record[key] === 'string' && record[key] !== '');
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  const body: unknown = await response.json();
  if (!isConfig(body)) throw new Error('/config.json lacks issuerUrl, clientId, audience or graphqlUrl');
  return body;
}

export function websocketUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/^http/, 'ws');
}
