import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request } from 'express';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { trace } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import { createAccessTokenVerifier, createInternalContextSigner, createReusableContextSigner } from '@tessera/auth';
import type { DatabaseConfig, Logger, RedisConfig } from '@tessera/config';
import { createErrorMasker } from '@tessera/errors';
import { compactJson, listen, mountHealthRoutes, tracingMiddleware, type RunningHttpServer } from '@tessera/service-kit';
import { setTenantAttributes } from '@tessera/telemetry';
import { defaultTenantLimits, openServiceDataSource, TenantDirectory, TenantStore, type TenantLimits } from '@tessera/tenancy';
import type { GatewayConfig } from './gateway-config';
import type { GatewayContext } from './gateway-context';
import { jsonErrorHandler, toContextError } from './http-errors';
import { maxDepthRule, restoreLimitErrorCode, TenantRateLimiter } from './limits';
import { createAuthFailureLog } from './auth-failure-log';
import { createRequestAuthenticator } from './request-auth';
import { ClientAddressGuard, defaultAuthFailuresPerMinutePerAddress } from './pipeline/client-address-guard';
import { guardAuthentication } from './pipeline/guarded-authenticator';
import { attachSubscriptionGateway } from './subscriptions/subscription-gateway';
import { subscriptionRoutingOf, type SubscriptionRouting } from './subscriptions/subscription-routing';
import { createGraphQLPostHandler } from './graphql-post-handler';
import { clientAddress, type RequestFacts } from './request-facts';
import { createSubgraphHttpClient } from './subgraph-http-client';
import { SharedRateLimitSync } from './shared-rate-limit';
import { TenantContextDataSource } from './tenant-context-data-source';
import { downloadProxy } from './download-proxy';
import { uploadProxy } from './upload-proxy';
import { httpSubscriptionGuardPlugin } from './http-subscription-guard';
import { jsonContentTypePlugin } from './json-content-type-plugin';
import { requestMetricsPlugin } from './request-metrics';
import { RequestMetricsRecorder, requestMetricsConfig, type FlushResult } from '@tessera/monitoring';

export interface RunningGateway extends RunningHttpServer {
  graphqlUrl: string;
  /** Writes the request metrics aggregated so far to the tenants' schemas now (tests, shutdown). */
  flushRequestMetrics(): Promise<FlushResult>;
  /** Exchanges rate-limit counts with the other replicas now (tests; the loop does it every 250 ms). */
  syncRateLimits(): Promise<void>;
  /** Writes the aggregated authentication-failure summaries now, open windows included (tests; shutdown does it too). */
  flushAuthFailures(): Promise<void>;
}

export interface GatewayDeps {
  logger: Logger;
  database: DatabaseConfig;
  tenantCacheTtlMs: number;
  /** The platform's tenant limit defaults (TENANT_LIMIT_DEFAULTS); the built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits | undefined;
  corsOrigins: string[];
  /** Shared with the other replicas: the per-tenant rate limit holds across the fleet (see shared-rate-limit.ts). Without it each replica limits alone. */
  redis?: RedisConfig | undefined;
}

/**
 * The one public endpoint. Per request: verify the OIDC access token, resolve the tenant (unknown
 * or suspended → FORBIDDEN), apply the tenant's rate limit and the depth limit, mint the signed
 * internal context, and let the federated query plan call the subgraphs with it.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const logger = deps.logger.child({ service: 'gateway' });
  const db: DataSource = await openServiceDataSource({ ...deps.database, poolSize: Math.min(deps.database.poolSize, 5) }, []);
  const directory = new TenantDirectory(new TenantStore(db, deps.database.controlSchema, deps.tenantLimitDefaults), deps.tenantCacheTtlMs);
  // Refuses addresses that keep failing before their tokens are verified (pipeline/client-address-guard.ts).
  const addressGuard = new ClientAddressGuard({ failuresPerMinute: config.limits.authFailuresPerMinutePerAddress ?? defaultAuthFailuresPerMinutePerAddress });
  const authenticate = guardAuthentication(createRequestAuthenticator(createAccessTokenVerifier(config.oidc), directory), addressGuard);
  const sign = await createInternalContextSigner(config.internalContextPrivateKey);
  const signReusable = await createReusableContextSigner(config.internalContextPrivateKey);
  const rateLimiter = new TenantRateLimiter();
  const rateLimitSync = deps.redis ? new SharedRateLimitSync(rateLimiter, { redis: deps.redis, logger }) : undefined;
  rateLimitSync?.start();
  const requestMetrics = new RequestMetricsRecorder({ db, logger, config: requestMetricsConfig(config.requestMetrics) });
  const subgraphClient = createSubgraphHttpClient();
  const authFailureLog = createAuthFailureLog(db, directory, config.oidc.tenantClaim, logger);
  const recordAuthFailure = authFailureLog.record;

  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs: config.subgraphs }),
    buildService: ({ url }) => new TenantContextDataSource(url ?? '', () => sign({ kind: 'gateway', requestId: randomUUID() }), subgraphClient.fetcher),
  });
  // Subscriptions are not executed by @apollo/gateway: the WebSocket relay routes them by the supergraph.
  let subscriptionRouting: SubscriptionRouting | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    subscriptionRouting = subscriptionRoutingOf(apiSchema, coreSupergraphSdl);
  });
  const maskError = createErrorMasker({ log: (message, fields) => logger.error(message, fields) });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: (formatted, original) => maskError(restoreLimitErrorCode(formatted, original), original),
    validationRules: [maxDepthRule((deps.tenantLimitDefaults ?? defaultTenantLimits).maxOperationDepth)],
    includeStacktraceInErrorResponses: false,
    // Compact JSON (Apollo pretty-prints by default): smaller answers, less CPU per request.
    stringifyResult: compactJson,
    stopOnTerminationSignals: false, // shutdown is ours, see service-kit
    introspection: true, // only ever reached with a valid token: the context function runs first
    plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }), requestMetricsPlugin(requestMetrics), jsonContentTypePlugin(), httpSubscriptionGuardPlugin()],
  });
  await server.start();
  requestMetrics.start();

  // No TLS here (the ingress terminates it): the scheme is http unless a local proxy says otherwise.
  const publicUrlOf = (req: IncomingMessage) => {
    if (config.publicUrl) return config.publicUrl;
    const forwardedProto = req.headers['x-forwarded-proto'];
    const viaLocalProxy = clientAddress(req) !== req.socket.remoteAddress;
    const scheme = viaLocalProxy && typeof forwardedProto === 'string' ? forwardedProto.split(',')[0]!.trim() : 'http';
    return `${scheme}://${req.headers.host ?? `127.0.0.1:${config.port}`}`;
  };

  /** Shared by GraphQL, uploads and downloads: the same checks, the same limits, the same signed context. */
  const authorizeFacts = async (facts: RequestFacts): Promise<GatewayContext> => {
    const { principal, tenant } = await authenticate(facts.headers, facts.ip, facts.requestId).catch(async (error: unknown) => {
      await recordAuthFailure(facts.headers, facts.ip, facts.requestId, error);
      throw error;
    });
    if (tenant) rateLimiter.take(tenant.id, tenant.limits.costPerMinute);
    setTenantAttributes(trace.getActiveSpan(), principal);
    return { principal, tenant, requestId: facts.requestId, internalToken: await signReusable(principal), publicUrl: facts.publicUrl };
  };
  const authorize = (req: Request): Promise<GatewayContext> =>
    authorizeFacts({ headers: req.headers, ip: clientAddress(req), requestId: String(res(req).getHeader('x-request-id')), publicUrl: publicUrlOf(req) });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // GraphQL POST answers are never revalidated; hashing each body is wasted CPU
  app.set('trust proxy', 'loopback');
  mountHealthRoutes(app, 'gateway', db);
  app.use((req, reply, next) => {
    const incoming = req.headers['x-request-id'];
    reply.setHeader('x-request-id', typeof incoming === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(incoming) ? incoming : randomUUID());
    next();
  });
  app.use(cors(deps.corsOrigins));
  app.use(tracingMiddleware('gateway'));
  app.put(
    '/uploads/:service/:id',
    uploadProxy({
      targets: new Map(config.subgraphs.filter((s) => config.uploadTargets.includes(s.name)).map((s) => [s.name, s.url.replace(/\/graphql$/, '')])),
      maxUploadBytes: config.limits.maxUploadBytes,
      // Rare and long: a context of their own, with the request id inside.
      authorize: async (req) => sign((await authorize(req)).principal),
    }),
  );
  app.get(
    '/downloads/:service/:id',
    downloadProxy({
      targets: new Map(config.subgraphs.filter((s) => (config.downloadTargets ?? []).includes(s.name)).map((s) => [s.name, s.url.replace(/\/graphql$/, '')])),
      // Rare and long: a context of their own, with the request id inside.
      authorize: async (req) => sign((await authorize(req)).principal),
    }),
  );
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => {
        try {
          return await authorize(req);
        } catch (error) {
          throw toContextError(error);
        }
      },
    }),
  );
  app.use(jsonErrorHandler((message, fields) => logger.error(message, fields)));

  // POST /graphql (the hot path) skips express; everything else (GET landing page, CORS
  // preflights, uploads, downloads, health) is served by the express app above.
  const graphqlPost = createGraphQLPostHandler(server, {
    maxBodyBytes: 1024 * 1024,
    context: async (facts) => {
      try {
        return await authorizeFacts(facts);
      } catch (error) {
        throw toContextError(error);
      }
    },
    applyCors: (origin, setHeader) => applyCorsHeaders(deps.corsOrigins, origin, setHeader),
    publicUrl: publicUrlOf,
  });
  const http = await listen(
    (req: IncomingMessage, reply: ServerResponse) => (req.method === 'POST' && isGraphQLPath(req.url) ? graphqlPost(req, reply) : app(req, reply)),
    config.port,
    config.host,
  );
  const subscriptions = attachSubscriptionGateway(http.server, {
    logger,
    authenticate,
    recordAuthFailure,
    sign,
    rateLimiter,
    subgraphs: config.subgraphs,
    routing: () => subscriptionRouting,
    maxQueryDepth: (deps.tenantLimitDefaults ?? defaultTenantLimits).maxOperationDepth,
    maxSubscriptionsPerTenant: config.limits.maxSubscriptionsPerTenant ?? 100,
    redis: deps.redis,
    publicUrl: config.publicUrl,
    // Live sockets follow suspensions at the pace of the tenant cache (at least once a second).
    tenantRecheck: { intervalMs: Math.max(1_000, deps.tenantCacheTtlMs), check: async (tenantId) => void (await directory.requireActive(tenantId)) },
    recordRequest: (observation) => requestMetrics.record(observation),
  });
  logger.info('gateway listening', { url: `${http.url}/graphql` });
  return {
    ...http,
    graphqlUrl: `${http.url}/graphql`,
    flushRequestMetrics: () => requestMetrics.flush(),
    syncRateLimits: async () => rateLimitSync?.syncNow(),
    flushAuthFailures: () => authFailureLog.flush(),
    close: async () => {
      await subscriptions.close();
      await rateLimitSync?.close();
      await http.close();
      await server.stop();
      await requestMetrics.close(); // the last partial bucket is written before the pool closes
      await authFailureLog.close(); // so are the failures still only counted
      subgraphClient.close();
      await db.destroy();
    },
  };
}

function res(req: Request) {
  return req.res!;
}

function isGraphQLPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === '/graphql' || path === '/graphql/';
}

/** Browsers (web front ends, Apollo Sandbox/Studio) need CORS; only listed origins get it. */
function applyCorsHeaders(origins: string[], origin: string | undefined, setHeader: (name: string, value: string) => void): void {
  if (!origin || !(origins.includes('*') || origins.includes(origin))) return;
  setHeader('access-control-allow-origin', origin);
  setHeader('vary', 'Origin');
  setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight, x-request-id, x-apollo-operation-name');
  setHeader('access-control-allow-methods', 'GET, POST, PUT, OPTIONS');
  setHeader('access-control-expose-headers', 'x-request-id, retry-after');
  setHeader('access-control-max-age', '600');
}

function cors(origins: string[]) {
  return (req: Request, reply: express.Response, next: express.NextFunction) => {
    applyCorsHeaders(origins, req.headers.origin, (name, value) => reply.setHeader(name, value));
    if (req.method === 'OPTIONS') {
      reply.status(204).end();
      return;
    }
    next();
  };
}
