import { randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { trace } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import { createAccessTokenVerifier, createInternalContextSigner, createReusableContextSigner } from '@tessera/auth';
import type { DatabaseConfig, Logger } from '@tessera/config';
import { createErrorMasker } from '@tessera/errors';
import { listen, mountHealthRoutes, tracingMiddleware, type RunningHttpServer } from '@tessera/service-kit';
import { setTenantAttributes } from '@tessera/telemetry';
import { openServiceDataSource, TenantDirectory, TenantStore } from '@tessera/tenancy';
import type { GatewayConfig } from './gateway-config';
import type { GatewayContext } from './gateway-context';
import { jsonErrorHandler, toContextError } from './http-errors';
import { maxDepthRule, restoreLimitErrorCode, TenantRateLimiter } from './limits';
import { createAuthFailureLog } from './auth-failure-log';
import { createRequestAuthenticator } from './request-auth';
import { attachSubscriptionGateway } from './subscriptions/subscription-gateway';
import { subscriptionRoutingOf, type SubscriptionRouting } from './subscriptions/subscription-routing';
import { createSubgraphHttpClient } from './subgraph-http-client';
import { TenantContextDataSource } from './tenant-context-data-source';
import { downloadProxy } from './download-proxy';
import { uploadProxy } from './upload-proxy';
import { requestMetricsPlugin } from './request-metrics';
import { RequestMetricsRecorder, requestMetricsConfig, type FlushResult } from '@tessera/monitoring';

export interface RunningGateway extends RunningHttpServer {
  graphqlUrl: string;
  /** Writes the request metrics aggregated so far to the tenants' schemas now (tests, shutdown). */
  flushRequestMetrics(): Promise<FlushResult>;
}

export interface GatewayDeps {
  logger: Logger;
  database: DatabaseConfig;
  tenantCacheTtlMs: number;
  corsOrigins: string[];
}

/**
 * The one public endpoint. Per request: verify the OIDC access token, resolve the tenant (unknown
 * or suspended → FORBIDDEN), apply the tenant's rate limit and the depth limit, mint the signed
 * internal context, and let the federated query plan call the subgraphs with it.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const logger = deps.logger.child({ service: 'gateway' });
  const db: DataSource = await openServiceDataSource({ ...deps.database, poolSize: Math.min(deps.database.poolSize, 5) }, []);
  const directory = new TenantDirectory(new TenantStore(db, deps.database.controlSchema), deps.tenantCacheTtlMs);
  const authenticate = createRequestAuthenticator(createAccessTokenVerifier(config.oidc), directory);
  const sign = await createInternalContextSigner(config.internalContextPrivateKey);
  const signReusable = await createReusableContextSigner(config.internalContextPrivateKey);
  const rateLimiter = new TenantRateLimiter();
  const requestMetrics = new RequestMetricsRecorder({ db, logger, config: requestMetricsConfig(config.requestMetrics) });
  const subgraphClient = createSubgraphHttpClient();
  const recordAuthFailure = createAuthFailureLog(db, directory, config.oidc.tenantClaim, logger);

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
    validationRules: [maxDepthRule(config.limits.maxQueryDepth)],
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // shutdown is ours, see service-kit
    introspection: true, // only ever reached with a valid token: the context function runs first
    plugins: [ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }), requestMetricsPlugin(requestMetrics)],
  });
  await server.start();
  requestMetrics.start();

  const publicUrlOf = (req: Request) => config.publicUrl ?? `${req.protocol}://${req.get('host') ?? `127.0.0.1:${config.port}`}`;

  /** Shared by GraphQL and uploads: the same checks, the same limits, the same signed context. */
  const authorize = async (req: Request): Promise<GatewayContext> => {
    const requestId = String(res(req).getHeader('x-request-id'));
    const { principal, tenant } = await authenticate(req.headers, req.ip, requestId).catch(async (error: unknown) => {
      await recordAuthFailure(req.headers, req.ip, requestId, error);
      throw error;
    });
    if (tenant) rateLimiter.take(tenant.id, tenant.limits.requestsPerMinute);
    setTenantAttributes(trace.getActiveSpan(), principal);
    return { principal, tenant, requestId, internalToken: await signReusable(principal), publicUrl: publicUrlOf(req) };
  };

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

  const http = await listen(app, config.port, config.host);
  const subscriptions = attachSubscriptionGateway(http.server, {
    logger,
    authenticate,
    recordAuthFailure,
    sign,
    rateLimiter,
    subgraphs: config.subgraphs,
    routing: () => subscriptionRouting,
    maxQueryDepth: config.limits.maxQueryDepth,
    maxSubscriptionsPerTenant: config.limits.maxSubscriptionsPerTenant ?? 100,
    publicUrl: config.publicUrl,
    // Live sockets follow suspensions at the pace of the tenant cache (at least once a second).
    tenantRecheck: { intervalMs: Math.max(1_000, deps.tenantCacheTtlMs), check: async (tenantId) => void (await directory.requireActive(tenantId)) },
  });
  logger.info('gateway listening', { url: `${http.url}/graphql` });
  return {
    ...http,
    graphqlUrl: `${http.url}/graphql`,
    flushRequestMetrics: () => requestMetrics.flush(),
    close: async () => {
      await subscriptions.close();
      await http.close();
      await server.stop();
      await requestMetrics.close(); // the last partial bucket is written before the pool closes
      subgraphClient.close();
      await db.destroy();
    },
  };
}

function res(req: Request) {
  return req.res!;
}

/** Browsers (web front ends, Apollo Sandbox/Studio) need CORS; only listed origins get it. */
function cors(origins: string[]) {
  return (req: Request, reply: express.Response, next: express.NextFunction) => {
    const origin = req.headers.origin;
    if (origin && (origins.includes('*') || origins.includes(origin))) {
      reply.setHeader('access-control-allow-origin', origin);
      reply.setHeader('vary', 'Origin');
      reply.setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight, x-request-id, x-apollo-operation-name');
      reply.setHeader('access-control-allow-methods', 'GET, POST, PUT, OPTIONS');
      reply.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
      reply.setHeader('access-control-max-age', '600');
    }
    if (req.method === 'OPTIONS') {
      reply.status(204).end();
      return;
    }
    next();
  };
}
