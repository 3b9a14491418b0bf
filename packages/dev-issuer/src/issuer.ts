/// <reference path="./oidc-provider.d.ts" />
// A real OpenID Connect issuer (oidc-provider) for local runs and tests. Production uses Keycloak;
// the gateway only ever sees this issuer through its discovery document and JWKS.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import type * as Oidc from 'oidc-provider';
import { handleSignIn } from './sign-in.js';

export type { JWK } from 'jose';

/** A client preconfigured at start-up (client_credentials, client_secret_post). */
export interface DevClient {
  clientId: string;
  clientSecret: string;
  /** Value of the `tenant` claim; the claim is omitted when absent. */
  tenant?: string;
  /** Value of the `roles` claim. */
  roles: string[];
  /** Access-token lifetime for this client; `defaultTokenTtlSeconds` when absent. */
  tokenTtlSeconds?: number;
}

/** A public browser client: signs users in with the authorization code flow and PKCE. */
export interface BrowserClient {
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
}

export interface IssuerOptions {
  /** Port to listen on; 0 (the default) picks a free port. */
  port?: number;
  /** Interface to listen on and host of the issuer URL; default 127.0.0.1. */
  host?: string;
  /** The API's resource indicator, used as `aud` when a token request names no `resource`. */
  audience: string;
  /** Private EC P-256 JWKs, the first one signs; one ES256 key is generated when absent. */
  signingKeys?: JWK[];
  clients?: DevClient[];
  /** Initial access token required by dynamic client registration; random when absent. */
  registrationToken?: string;
  /** Default access-token lifetime; 3600 when absent. */
  defaultTokenTtlSeconds?: number;
  /**
   * Lifetime of the access tokens browser clients get for a signed-in user (authorization code
   * and refresh token grants); 600 when absent: short, so the web console renews silently.
   */
  browserTokenTtlSeconds?: number;
  /**
   * Public browser clients (authorization code + PKCE, refresh tokens), e.g. the web console.
   * Tests register theirs with dynamic registration instead (`token_endpoint_auth_method: none`).
   */
  browserClients?: BrowserClient[];
  /**
   * The server certificate and key (PEM; the local CA's `oidc` leaf): the issuer serves HTTPS only,
   * and its URL is https://. Clients (the gateway's discovery and JWKS fetch) verify it.
   */
  tls: { cert: string; key: string };
}

export interface RunningIssuer {
  /** Issuer identifier (`iss`), e.g. https://127.0.0.1:41234 — no trailing slash. */
  issuerUrl: string;
  /** Bearer token for POST {registration_endpoint}. */
  registrationToken: string;
  /** Public keys currently published at the jwks_uri, the signing key first. */
  jwks(): JWK[];
  /** Makes a new ES256 key the signing key; previous keys stay published until dropOldKeys(). Returns the new kid. */
  rotateSigningKey(): Promise<string>;
  /** Publishes only the current signing key (tokens signed by older keys stop verifying). */
  dropOldKeys(): Promise<void>;
  stop(): Promise<void>;
}

const SIGNING_ALG = 'ES256';
const EXTRA_CLIENT_METADATA = ['tenant', 'roles', 'token_ttl_seconds', 'email', 'email_verified'] as const;

type OidcModule = typeof Oidc;
type AnyObject = Record<string, unknown>;

let oidcModule: Promise<OidcModule> | undefined;

/**
 * oidc-provider is ESM-only, so it is loaded lazily: this keeps the module graph importable by
 * tooling that only needs the types or the client helpers. Its import-time "Unsupported runtime"
 * warning (it wants Node 22 LTS; this repository supports Node >= 20.19) is filtered out; every
 * other oidc-provider warning still reaches stderr.
 */
function loadOidcProvider(): Promise<OidcModule> {
  oidcModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return oidcModule;
}

// ---------------------------------------------------------------------------------------------
// Signing keys

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

function thumbprint(jwk: JWK): string {
  // RFC 7638 for EC keys: required members in lexicographic order.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function toSigningKey(jwk: JWK, index: number): SigningKey {
  const where = `signingKeys[${index}]`;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error(`${where} must be an EC P-256 key (ES256)`);
  for (const member of ['x', 'y', 'd'] as const) {
    if (typeof jwk[member] !== 'string' || !jwk[member]) throw new Error(`${where} must be a private key with "${member}"`);
  }
  if (jwk.alg !== undefined && jwk.alg !== SIGNING_ALG) throw new Error(`${where}.alg must be ${SIGNING_ALG}`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`${where}.use must be "sig"`);
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : thumbprint(jwk);
  const common = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: SIGNING_ALG, use: 'sig' };
  return { kid, privateJwk: { ...common, d: jwk.d }, publicJwk: common };
}

function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return toSigningKey(privateKey.export({ format: 'jwk' }) as JWK, 0);
}

// ---------------------------------------------------------------------------------------------
// Storage shared by every Provider instance of one issuer (a Provider is rebuilt on key rotation,
// and dynamically registered clients must survive that).

class ExpiringMap {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();
  private writes = 0;

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: unknown, expiresInSeconds?: number): void {
    const expiresAt = typeof expiresInSeconds === 'number' ? Date.now() + expiresInSeconds * 1000 : Infinity;
    this.entries.set(key, { value, expiresAt });
    if (++this.writes % 256 === 0) this.sweep();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/** The adapter contract of lib/adapters/memory_adapter.js, over a store shared across Providers. */
function sharedMemoryAdapter(store: ExpiringMap): (model: string) => Oidc.Adapter {
  return (model) => {
    const keyFor = (id: string) => `${model}:${id}`;
    const grantKeyFor = (grantId: string) => `grant:${grantId}`;
    const find = async (id: string | undefined) => {
      if (typeof id !== 'string') return undefined;
      const payload = store.get(keyFor(id));
      return payload === undefined ? undefined : (structuredClone(payload) as AnyObject);
    };
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyFor(id);
        store.set(key, structuredClone(payload), expiresIn);
        if (model === 'Session' && typeof payload.uid === 'string') store.set(`sessionUid:${payload.uid}`, id, expiresIn);
        if (typeof payload.userCode === 'string') store.set(`userCode:${payload.userCode}`, id, expiresIn);
        if (typeof payload.grantId === 'string') {
          const members = (store.get(grantKeyFor(payload.grantId)) as Set<string> | undefined) ?? new Set<string>();
          members.add(key);
          store.set(grantKeyFor(payload.grantId), members);
        }
      },
      find,
      async findByUid(uid) {
        return find(store.get(`sessionUid:${uid}`) as string | undefined);
      },
      async findByUserCode(userCode) {
        return find(store.get(`userCode:${userCode}`) as string | undefined);
      },
      async consume(id) {
        const payload = store.get(keyFor(id)) as AnyObject | undefined;
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        const members = store.get(grantKeyFor(grantId)) as Set<string> | undefined;
        for (const key of members ?? []) store.delete(key);
        store.delete(grantKeyFor(grantId));
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Clients and claims

function validateDevClient(client: DevClient, index: number): void {
  const where = `clients[${index}]`;
  if (typeof client?.clientId !== 'string' || !client.clientId) throw new Error(`${where}.clientId must be a non-empty string`);
  if (typeof client.clientSecret !== 'string' || !client.clientSecret) throw new Error(`${where}.clientSecret must be a non-empty string`);
  if (client.tenant !== undefined && (typeof client.tenant !== 'string' || !client.tenant)) {
    throw new Error(`${where}.tenant must be a non-empty string when present`);
  }
  if (!Array.isArray(client.roles) || !client.roles.every((role) => typeof role === 'string' && role)) {
    throw new Error(`${where}.roles must be an array of non-empty strings`);
  }
  if (client.tokenTtlSeconds !== undefined && !isPositiveInteger(client.tokenTtlSeconds)) {
    throw new Error(`${where}.tokenTtlSeconds must be a positive integer`);
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function staticClientMetadata(client: DevClient): AnyObject {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    roles: [...client.roles],
    ...(client.tenant !== undefined ? { tenant: client.tenant } : {}),
    ...(client.tokenTtlSeconds !== undefined ? { token_ttl_seconds: client.tokenTtlSeconds } : {}),
  };
}

function browserClientMetadata(client: BrowserClient): AnyObject {
  return {
    client_id: client.clientId,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...(client.postLogoutRedirectUris ?? [])],
    token_endpoint_auth_method: 'none',
  };
}

function isPublicClient(client: Oidc.Client | undefined): boolean {
  return client?.metadata().token_endpoint_auth_method === 'none';
}

/**
 * Sign-out asks for a click unless the request carries an ID token the issuer signed (the console
 * sends its own): only then is the request the signed-in application's, and the form submits itself.
 * Without one, any page could end the user's session by linking here.
 */
function logoutSource(ctx: { body: string; oidc: { entities: { IdTokenHint?: unknown } } }, form: string): void {
  const head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing out — Tessera dev issuer</title></head>';
  const button = '<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>';
  if (!ctx.oidc.entities.IdTokenHint) {
    ctx.body = `${head}\n<body><h1>Sign out of the Tessera dev issuer?</h1>${form}${button}</body></html>`;
    return;
  }
  ctx.body = `${head}
<body><h1>Signing out</h1>${form}${button}
<script>var f=document.getElementById('op.logoutForm');var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script></body></html>`;
}

function isLoopbackOrigin(origin: string): boolean {
  const url = URL.parse(origin);
  return !!url && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

// ---------------------------------------------------------------------------------------------

interface ProviderSettings {
  issuerUrl: string;
  audience: string;
  clients: DevClient[];
  browserClients: BrowserClient[];
  browserTokenTtlSeconds: number;
  cookieKeys: string[];
  registrationToken: string;
  defaultTokenTtlSeconds: number;
  adapter: (model: string) => Oidc.Adapter;
}

function buildProvider(oidc: OidcModule, settings: ProviderSettings, keys: SigningKey[]): Oidc.Provider {
  const { errors } = oidc;
  const signingKid = keys[0]!.kid;

  const validateExtraMetadata = (_ctx: unknown, key: string, value: unknown, metadata: AnyObject): void => {
    switch (key) {
      case 'tenant':
        if (value !== undefined && (typeof value !== 'string' || !value)) {
          throw new errors.InvalidClientMetadata('tenant must be a non-empty string');
        }
        return;
      case 'roles':
        if (value === undefined) {
          metadata.roles = [];
        } else if (!Array.isArray(value) || !value.every((role) => typeof role === 'string' && role)) {
          throw new errors.InvalidClientMetadata('roles must be an array of non-empty strings');
        }
        return;
      case 'token_ttl_seconds':
        if (value !== undefined && !isPositiveInteger(value)) {
          throw new errors.InvalidClientMetadata('token_ttl_seconds must be a positive integer');
        }
        return;
      case 'email':
        if (value !== undefined && (typeof value !== 'string' || !value)) throw new errors.InvalidClientMetadata('email must be a non-empty string');
        return;
      case 'email_verified':
        if (value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('email_verified must be a boolean');
        return;
      default:
    }
  };

  const browserTokenTtl = (client: Oidc.Client | undefined): number => {
    const ttl = client?.metadata().token_ttl_seconds;
    return isPositiveInteger(ttl) ? ttl : settings.browserTokenTtlSeconds;
  };

  const provider: Oidc.Provider = new oidc.Provider(settings.issuerUrl, {
    adapter: settings.adapter,
    jwks: { keys: keys.map((key) => ({ ...key.privateJwk })) },
    clients: [...settings.clients.map(staticClientMetadata), ...settings.browserClients.map(browserClientMetadata)],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: SIGNING_ALG,
    },
    // 'none': public browser clients (PKCE is required of them).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Machines use client_credentials; browser clients (the web console) the authorization code
    // flow with PKCE (required for public clients) and refresh tokens (offline_access).
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access'],
    cookies: { keys: settings.cookieKeys },
    // oidc-provider keeps offline_access only with prompt=consent; a browser client allowed the
    // refresh_token grant gets one without it (silent renewal, tokens kept in memory).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // A user is a client known to the issuer (see sign-in.ts); its claims come from extraTokenClaims.
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // Every browser client here is first-party: a signed-in user is not asked to consent.
    loadExistingGrant: async (ctx: Oidc.KoaContextWithOIDC) => {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      grant.addOIDCScope('openid offline_access');
      grant.addResourceScope(settings.audience, '');
      await grant.save();
      session.ensureClientContainer(client.clientId);
      session.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: settings.registrationToken,
        // No registration management endpoint is offered, so a registration access token is useless.
        issueRegistrationAccessToken: false,
      },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter: the API's audience.
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf ?? settings.audience,
        useGrantedResource: async () => true,
        // Any absolute http(s) URL is a resource server here (tests need wrong-audience tokens).
        getResourceServerInfo: async (_ctx: unknown, resource: string, client?: Oidc.Client): Promise<Oidc.ResourceServerInfo> => {
          const url = URL.parse(resource);
          if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
            throw new errors.InvalidTarget('resource indicator must be an absolute http(s) URL');
          }
          return {
            scope: '',
            audience: resource,
            accessTokenFormat: 'jwt',
            // A browser client may ask for shorter-lived tokens (token_ttl_seconds), so renewal can be exercised.
            ...(isPublicClient(client) ? { accessTokenTTL: browserTokenTtl(client) } : {}),
            jwt: { sign: { alg: SIGNING_ALG, kid: signingKid } },
          };
        },
      },
    },
    extraClientMetadata: { properties: [...EXTRA_CLIENT_METADATA], validator: validateExtraMetadata },
    extraTokenClaims: async (ctx, token): Promise<Record<string, unknown> | undefined> => {
      // A signed-in user's token carries the user's claims, never the browser client's.
      const client = token.accountId ? await provider.Client.find(token.accountId) : (token.client ?? ctx.oidc.client);
      if (!client) return undefined;
      const metadata = client.metadata();
      const roles = Array.isArray(metadata.roles) ? metadata.roles : [];
      // A user's e-mail claims, for tests of e-mail invitations (a client stands in for a signed-in user).
      const email = typeof metadata.email === 'string' ? { email: metadata.email, email_verified: metadata.email_verified === true } : {};
      return typeof metadata.tenant === 'string' ? { tenant: metadata.tenant, roles, ...email } : { roles, ...email };
    },
    ttl: {
      ClientCredentials: (_ctx, _token, client) => {
        const ttl = client?.metadata().token_ttl_seconds;
        return isPositiveInteger(ttl) ? ttl : settings.defaultTokenTtlSeconds;
      },
    },
    // Discovery and JWKS always allow CORS; client-authenticated endpoints allow local dev origins.
    clientBasedCORS: (_ctx, origin) => isLoopbackOrigin(origin),
  });
  return provider;
}

export async function startIssuer(options: IssuerOptions): Promise<RunningIssuer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const defaultTokenTtlSeconds = options.defaultTokenTtlSeconds ?? 3600;
  const registrationToken = options.registrationToken ?? randomBytes(32).toString('base64url');
  const clients = options.clients ?? [];
  const browserClients = options.browserClients ?? [];
  const browserTokenTtlSeconds = options.browserTokenTtlSeconds ?? 600;

  const audienceUrl = URL.parse(options.audience ?? '');
  if (!audienceUrl || (audienceUrl.protocol !== 'https:' && audienceUrl.protocol !== 'http:')) {
    throw new Error('audience must be an absolute http(s) URL');
  }
  if (!isPositiveInteger(defaultTokenTtlSeconds)) throw new Error('defaultTokenTtlSeconds must be a positive integer');
  if (!isPositiveInteger(browserTokenTtlSeconds)) throw new Error('browserTokenTtlSeconds must be a positive integer');
  if (!registrationToken) throw new Error('registrationToken must not be empty');
  clients.forEach(validateDevClient);
  if (new Set(clients.map((client) => client.clientId)).size !== clients.length) {
    throw new Error('clients must have distinct clientIds');
  }

  let keys = options.signingKeys?.length ? options.signingKeys.map(toSigningKey) : [generateSigningKey()];
  if (new Set(keys.map((key) => key.kid)).size !== keys.length) throw new Error('signingKeys must have distinct kids');

  const oidc = await loadOidcProvider();

  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  if (!options.tls?.cert || !options.tls.key) throw new Error('tls.cert and tls.key are required: the issuer serves HTTPS only');
  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    if (handle) {
      handle(req, res);
    } else {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('issuer is starting');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!server.listening) return;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  };

  const { port: boundPort } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const settings: ProviderSettings = {
    issuerUrl: `https://${urlHost}:${boundPort}`,
    audience: options.audience,
    clients,
    browserClients,
    browserTokenTtlSeconds,
    // Sessions of signed-in users live as long as this process, like everything else here.
    cookieKeys: [randomBytes(32).toString('base64url')],
    registrationToken,
    defaultTokenTtlSeconds,
    adapter: sharedMemoryAdapter(new ExpiringMap()),
  };

  // oidc-provider fixes its JWKS at construction, so a key change builds a new Provider behind the
  // same server; the shared adapter keeps registered clients. Construction is synchronous, so a
  // request is always served by one consistent Provider.
  const install = (nextKeys: SigningKey[]): void => {
    const provider = buildProvider(oidc, settings, nextKeys);
    const callback = provider.callback();
    handle = (req, res) => {
      handleSignIn(provider, req, res)
        .then((handled) => {
          if (!handled) callback(req, res);
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('sign-in failed');
        });
    };
    keys = nextKeys;
  };

  try {
    install(keys);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    issuerUrl: settings.issuerUrl,
    registrationToken,
    jwks: () => keys.map((key) => ({ ...key.publicJwk })),
    rotateSigningKey: async () => {
      const key = generateSigningKey();
      install([key, ...keys]);
      return key.kid;
    },
    dropOldKeys: async () => {
      install(keys.slice(0, 1));
    },
    stop,
  };
}
