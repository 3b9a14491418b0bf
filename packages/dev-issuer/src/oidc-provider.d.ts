// oidc-provider 9 ships no type declarations. This declares only the surface that
// src/issuer.ts uses (see node_modules/oidc-provider/lib and the project's docs/README.md).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AnyObject = Record<string, unknown>;

  /** A loaded client (metadata keys are camelCased on the instance; `metadata()` gives snake_case). */
  export interface Client {
    readonly clientId: string;
    metadata(): AnyObject;
  }

  /** The Koa context oidc-provider passes to configuration helpers. */
  export interface KoaContextWithOIDC {
    readonly oidc: {
      readonly route?: string;
      readonly client?: Client;
      readonly params?: AnyObject;
      readonly session?: { accountId?: string; grantIdFor(clientId: string, grantId?: string): string | undefined; ensureClientContainer(clientId: string): void };
      readonly result?: { consent?: { grantId?: string } };
    };
  }

  /** The token instance passed to `ttl.*` and `extraTokenClaims`. */
  export interface Token {
    readonly kind?: string;
    /** The signed-in user's account (authorization code and refresh token grants). */
    readonly accountId?: string;
    readonly clientId?: string;
    readonly client?: Client;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  /** Adapter instance contract (lib/adapters/memory_adapter.js). */
  export interface Adapter {
    upsert(id: string, payload: AnyObject, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AnyObject | undefined>;
    findByUserCode(userCode: string): Promise<AnyObject | undefined>;
    findByUid(uid: string): Promise<AnyObject | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** Deliberately loose: the full option set is large; see the oidc-provider docs. */
  export interface Configuration {
    adapter?: (name: string) => Adapter;
    clients?: AnyObject[];
    jwks?: { keys: AnyObject[] };
    features?: AnyObject;
    extraClientMetadata?: {
      properties: string[];
      validator?: (ctx: KoaContextWithOIDC, key: string, value: unknown, metadata: AnyObject) => void;
    };
    extraTokenClaims?: (ctx: KoaContextWithOIDC, token: Token) => Promise<AnyObject | undefined>;
    ttl?: Record<string, number | ((ctx: KoaContextWithOIDC, token: Token, client: Client) => number)>;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    [option: string]: unknown;
  }

  export interface Interaction {
    readonly uid: string;
    readonly params: AnyObject;
    readonly prompt: { name: string };
  }

  export class Grant {
    constructor(properties: { accountId?: string; clientId: string });
    readonly jti: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly Client: { find(id: string): Promise<Client | undefined> };
    readonly Grant: typeof Grant & { find(id: string): Promise<Grant | undefined> };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: AnyObject, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    readonly issuer: string;
    proxy: boolean;
    /** Koa's request listener, usable with node:http. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export namespace errors {
    class OIDCProviderError extends Error {
      constructor(status: number, message: string, options?: string | { detail?: string; cause?: unknown });
      error: string;
      error_description?: string;
      status: number;
    }
    class InvalidClientMetadata extends OIDCProviderError {
      constructor(description: string, options?: string | { detail?: string; cause?: unknown });
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string, options?: string | { detail?: string; cause?: unknown });
    }
  }

  export default Provider;
}
