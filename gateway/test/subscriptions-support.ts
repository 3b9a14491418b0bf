import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import type { FormattedExecutionResult } from 'graphql';
import WebSocket, { type ClientOptions } from 'ws';
import type { Logger } from '@tessera/config';
import { defaultTenantLimits, type TenantLimits } from '@tessera/tenancy';
import type { TestStack } from '@tessera/testing';
import { startGateway, type RunningGateway } from '../src/server';
import type { GatewayConfig } from '../src/gateway-config';

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A real graphql-ws client (over `ws`) whose socket closing is observable as `{ code, reason }`. */
export interface TestSubscriptionClient {
  client: Client;
  /** Resolves with the first close of the socket. */
  closed: Promise<CloseInfo>;
  /** Resolves once the server acknowledged `connection_init`. */
  connected: Promise<void>;
  dispose(): Promise<void>;
}

/**
 * `headers` go on the WebSocket upgrade request (e.g. X-Forwarded-For, which the gateway trusts from
 * loopback); `tls` are extra TLS options (a client certificate, to reach a subgraph directly).
 */
export function connectSubscriptions(url: string, connectionParams: Record<string, unknown> | undefined, headers?: Record<string, string>, tls?: ClientOptions): TestSubscriptionClient {
  let onClosed: (info: CloseInfo) => void = () => undefined;
  let onConnected: () => void = () => undefined;
  const closed = new Promise<CloseInfo>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: headers || tls ? webSocketWith({ ...tls, ...(headers ? { headers } : {}) }) : WebSocket,
    lazy: false,
    retryAttempts: 0,
    ...(connectionParams ? { connectionParams } : {}),
    onNonLazyError: () => undefined, // observed through `closed`
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return { client, closed, connected, dispose: () => Promise.resolve(client.dispose()) };
}

/** One subscription's results as they arrive, plus how it ended. */
export class CollectedSubscription<T = Record<string, unknown>> {
  readonly results: Array<FormattedExecutionResult<T, unknown>> = [];
  readonly ended: Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>;
  private waiters: Array<() => void> = [];
  private finished = false;
  private readonly dispose: () => void;

  constructor(client: Client, payload: SubscribePayload) {
    let resolveEnded: (value: { kind: 'complete' } | { kind: 'error'; error: unknown }) => void = () => undefined;
    this.ended = new Promise((resolve) => (resolveEnded = resolve));
    this.dispose = client.subscribe<T>(payload, {
      next: (result) => {
        this.results.push(result);
        this.wake();
      },
      error: (error) => {
        this.finished = true;
        resolveEnded({ kind: 'error', error });
        this.wake();
      },
      complete: () => {
        this.finished = true;
        resolveEnded({ kind: 'complete' });
        this.wake();
      },
    });
  }

  /** Waits until `predicate` holds for the results so far (each arrival re-checks it). */
  async until(predicate: (results: Array<FormattedExecutionResult<T, unknown>>) => boolean): Promise<Array<FormattedExecutionResult<T, unknown>>> {
    while (!predicate(this.results)) {
      if (this.finished) throw new Error(`the subscription ended first; results: ${JSON.stringify(this.results)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.results;
  }

  stop(): void {
    this.dispose();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `ws` WebSocket class that connects with `options` (headers on the upgrade request, TLS options). */
function webSocketWith(options: ClientOptions): unknown {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, options);
    }
  };
}

/**
 * Another gateway over the stack's subgraphs, with its own platform defaults for tenant limits
 * (tenants without overrides get these) and, given Redis, counts shared with other replicas. It reads
 * tenants uncached (unless `tenantCacheTtlMs`, which also spaces its open sockets' re-checks), so
 * each connection_init sees the tenant as it is now.
 */
export function startExtraGateway(
  stack: TestStack,
  limits: Partial<TenantLimits>,
  redis?: TestStack['config']['redis'],
  tenantCacheTtlMs = 0,
  edge: Pick<GatewayConfig, 'trustedProxies'> & { limits?: Partial<GatewayConfig['limits']>; logger?: Logger } = {},
): Promise<RunningGateway> {
  return startGateway(
    {
      port: 0,
      publicUrl: undefined,
      oidc: stack.config.oidc,
      internalContextPrivateKey: stack.config.internalContextKeys.privateJwk,
      tls: stack.config.tls('gateway'),
      subgraphs: Object.values(stack.platform.subgraphs).map((s) => ({ name: s.name, url: `${s.url}/graphql` })),
      uploadTargets: [],
      trustedProxies: edge.trustedProxies,
      limits: { maxUploadBytes: 1024, ...edge.limits },
    },
    {
      logger: edge.logger ?? stack.config.logger,
      database: stack.config.database,
      tenantCacheTtlMs,
      tenantLimitDefaults: { ...defaultTenantLimits, ...limits },
      corsOrigins: [],
      redis,
    },
  );
}
