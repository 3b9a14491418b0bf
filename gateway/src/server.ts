import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request } from 'express';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import type { DataSource } from 'typeorm';
import { createAccessTokenVerifier, createInternalContextSigner } from '@tessera/auth';
import type { DatabaseConfig, Logger, RedisConfig } from '@tessera/config';
import { createErrorMasker, errors, TesseraError } from '@tessera/errors';
import { compactJson, createTenantChangeListener, listen, mountHealthRoutes, tracingMiddleware, type RunningHttpServer } from '@tessera/service-kit';
import { defaultTenantLimits, openServiceDataSource, TenantDirectory, TenantStore, type TenantLimits } from '@tessera/tenancy';
import type { GatewayConfig } from './gateway-config';
import type { GatewayContext } from './gateway-context';
import { jsonErrorHandler, sendError, toContextError } from './http-errors';
import { CostRateLimiter } from './pipeline/cost-rate-limit';
import { applyCorsHeaders, corsHeaderList } from './pipeline/cors';
import { operationFromBody, operationFromSearch, type IncomingOperation } from './pipeline/operation-request';
import { requestIdOf } from './pipeline/request-id';
import { createRequestPipeline } from './pipeline/request-pipeline';
import { defaultRateLimitHold, RateLimitHold } from './pipeline/rate-limit-hold';
import { createAuthFailureLog } from './auth-failure-log';
import { createScopeRefusalLog } from './access/scope-refusal-log';
import { createAccessRecheck, createRequestAuthenticator, type AccessControl } from './request-auth';
import { AccessDirectory, accessServiceName } from '@tessera/tenants/ports';
import { AccessCache } from './access/access-cache';
import { AccessChangeSubscriber } from './access/access-change-subscriber';
import { forgettingChangedAccess } from './access/access-changed-answers';
import { ApiKeyUsageRecorder } from './access/api-key-usage';
import { ClientAddressGuard, defaultAuthFailuresPerMinutePerAddress } from './pipeline/client-address-guard';
import { guardAuthentication } from './pipeline/guarded-authenticator';
import { attachSubscriptionGateway } from './subscriptions/subscription-gateway';
import { subscriptionRoutingOf, type SubscriptionRouting } from './subscriptions/subscription-routing';
import { createGraphQLPostHandler } from './graphql-post-handler';
import { applySecurityHeaders, securityHeaders } from './security-headers';
import { createPredictRoute, predictRoutePath } from './predict-route';
import { operationSlotPlugin } from './operation-slot-plugin';
import { persistedDocumentPlugin } from './persisted-document-plugin';
import { defaultTenantConcurrency, TenantConcurrency } from './pipeline/tenant-concurrency';
import { defaultTransferIdleTimeoutMs, defaultTransfersPerTenant, TransferSlots } from './pipeline/transfer-slots';
import { clientAddressOf, type RequestFacts } from './request-facts';
import { defaultTrustedProxies, TrustedProxies } from './pipeline/trusted-proxies';
import { defaultConnectionsPerAddress, limitConnectionsPerAddress } from './pipeline/connection-limit';
import type { GraphQLSchema } from 'graphql';
import { createSubgraphFetcher } from './subgraph-http-client';
import { SubgraphAgents } from './subgraph-tls';
import { SharedRateLimitSync } from './shared-rate-limit';
import { TenantContextDataSource } from './tenant-context-data-source';
import { downloadProxy } from './download-proxy';
import { uploadProxy } from './upload-proxy';
import { transferPaceOf } from './transfer-pace';
import { jsonContentTypePlugin } from './json-content-type-plugin';
import { requestMetricsPlugin } from './request-metrics';
import { RequestMetricsRecorder, requestMetricsConfig, type FlushResult } from '@tessera/monitoring';
import type { UsageFlushResult } from '@tessera/metering';
import { createGatewayMetering } from './usage-metering';
import { PersistedDocuments } from './prepared/persisted-documents';
import { PreparedOperations } from './prepared/prepared-operations';
import { createSingleFetchExecutor } from './prepared/single-fetch-executor';
import { singleFetchRouteOf } from './prepared/single-fetch';
import { defaultAnswerPace, onAnswerBytes } from './answer-bytes';
import { releaseWithResponse } from './release-with-response';
import { closeOnUnreadBody } from './unread-body';
import { defaultRequestBodyTimeoutMs, watchBodyDeadline } from './body-deadline';
import { loadSupergraph } from './supergraph';

/** The largest request body the gateway reads (POST /graphql, POST /v1/predict); uploads stream. */
const maxBodyBytes = 1024 * 1024;
/**
 * The longest body of a request refused on its headers (no token, a spent budget, a held rate
 * limit) that is still read and discarded to keep its keep-alive connection; past it the connection
 * closes once the answer is out. Drained up to 1 MiB, refused bodies were read for free: a tenant
 * whose budget was spent kept 200 connections sending 1 MiB bodies (190 MB/s decrypted and thrown
 * away) and another tenant's p99 went from 11 to 490 ms.
 */
const refusedBodyDrainBytes = 64 * 1024;

export interface RunningGateway extends RunningHttpServer {
  graphqlUrl: string;
  /** Writes the request metrics aggregated so far to the tenants' schemas now (tests, shutdown). */
  flushRequestMetrics(): Promise<FlushResult>;
  /** Writes the usage metered so far (cost units, download bytes) to the tenants' schemas now (tests, shutdown). */
  flushUsage(): Promise<UsageFlushResult>;
  /** Exchanges rate-limit counts with the other replicas now (tests; the loop does it every 250 ms). */
  syncRateLimits(): Promise<void>;
  /** A tenant's operations running and waiting for a slot on this replica (maxConcurrentOperations). */
  operationsInFlight(tenantId: string): { running: number; waiting: number };
  /** A tenant's uploads and downloads in progress on this replica (at most TRANSFERS_PER_TENANT). */
  transfersInFlight(tenantId: string): number;
  /** Writes the aggregated authentication-failure summaries now, open windows included (tests; shutdown does it too). */
  flushAuthFailures(): Promise<void>;
  /** Writes the API keys' last use recorded so far (tests; the loop and shutdown do it too). */
  flushApiKeyUsage(): Promise<void>;
  /** Prepared operations held, and how single-fetch operations were answered so far (tests, benches). */
  preparedStats(): { prepared: number; singleFetchAnswered: number; singleFetchHandedToApollo: number };
  /** Connections counted against a client address's cap right now (0 for trusted proxies, which are not capped). */
  connectionsFrom(address: string): number;
  /** The supergraph the gateway composed from its subgraphs (benches serve it with another gateway). */
  supergraphSdl(): string | undefined;
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
  // Memberships and API keys: read from the tenants service's published tables, cached briefly,
  // dropped from the cache as soon as the tenants service announces a change on Redis.
  const accessDirectory = new AccessDirectory(db, deps.database.controlSchema);
  const accessCache = new AccessCache(accessDirectory, { ttlMs: config.access?.cacheTtlMs ?? 30_000 });
  const accessChanges = deps.redis ? new AccessChangeSubscriber(accessCache, deps.redis, logger) : undefined;
  await accessChanges?.start();
  // Suspensions (and any other change of a tenant's record) bite here as soon as they are announced.
  const tenantChanges = deps.redis ? createTenantChangeListener({ redis: deps.redis, directory, logger }) : undefined;
  await tenantChanges?.start();
  const keyUsage = new ApiKeyUsageRecorder(accessDirectory, logger, config.access?.usageFlushIntervalMs ?? 10_000);
  keyUsage.start();
  const accessControl: AccessControl = { roleSource: config.access?.roleSource ?? 'claims', cache: accessCache, usage: keyUsage };
  const authenticate = guardAuthentication(createRequestAuthenticator(createAccessTokenVerifier(config.oidc), directory, accessControl), addressGuard);
  // Every context is minted for one subgraph and bound to the client certificate the gateway presents there.
  const sign = await createInternalContextSigner(config.internalContextPrivateKey, { clientCertificate: config.tls.cert, lifetimeSeconds: config.internalContextLifetimeSeconds });
  const rateLimiter = new CostRateLimiter();
  const rateLimitSync = deps.redis ? new SharedRateLimitSync(rateLimiter, { redis: deps.redis, logger }) : undefined;
  rateLimitSync?.start();
  const requestMetrics = new RequestMetricsRecorder({ db, logger, config: requestMetricsConfig(config.requestMetrics) });
  const metering = createGatewayMetering(db, logger, config.metering);
  const subgraphAgents = new SubgraphAgents(config.tls);
  const authFailureLog = createAuthFailureLog(db, directory, config.oidc.tenantClaim, logger);
  const recordAuthFailure = authFailureLog.record;
  const recordScopeRefusal = createScopeRefusalLog(db, logger);

  const dataSources = new Map<string, TenantContextDataSource>();
  disableApolloDataCollection();
  const gateway = new ApolloGateway({
    // Composed when the code is built, each subgraph at its configured address (see supergraph.ts).
    supergraphSdl: loadSupergraph(config.subgraphs),
    buildService: ({ name, url }) => {
      const fetcher = createSubgraphFetcher(subgraphAgents, name);
      const dataSource = new TenantContextDataSource(name, url ?? '', sign, name === accessServiceName ? forgettingChangedAccess(fetcher, accessCache) : fetcher);
      dataSources.set(name, dataSource);
      return dataSource;
    },
    // The plan of a prepared operation, once: whether the gateway may answer it from one subgraph fetch.
    experimental_didResolveQueryPlan: ({ queryPlan, requestContext }) => {
      const prepared = (requestContext.context as Partial<GatewayContext> | undefined)?.prepared;
      if (prepared?.kept && prepared.route === undefined) prepared.route = config.preparedOperations?.singleFetch === false ? null : singleFetchRouteOf(queryPlan, prepared.parsed);
    },
  });
  // Subscriptions are not executed by @apollo/gateway: the WebSocket relay routes them by the supergraph.
  let subscriptionRouting: SubscriptionRouting | undefined;
  let apiSchema: GraphQLSchema | undefined;
  let supergraphSdl: string | undefined;
  gateway.onSchemaLoadOrUpdate((update) => {
    apiSchema = update.apiSchema;
    supergraphSdl = update.coreSupergraphSdl;
    subscriptionRouting = subscriptionRoutingOf(update.apiSchema, update.coreSupergraphSdl);
  });
  const operationSlots = new TenantConcurrency(defaultTenantConcurrency);
  const transfers = new TransferSlots(config.limits.transfersPerTenant ?? defaultTransfersPerTenant);
  const preparedOperations = new PreparedOperations({ maxOperations: config.preparedOperations?.maxOperations });
  // How fast a client must take an answer once written: an unread one waits in this process's memory.
  const answerPace = {
    minBytesPerSecond: config.limits.answerPace?.minBytesPerSecond ?? defaultAnswerPace.minBytesPerSecond,
    graceMs: config.limits.answerPace?.graceMs ?? defaultAnswerPace.graceMs,
    maxDurationMs: config.limits.answerPace?.maxDurationMs ?? defaultAnswerPace.maxDurationMs,
  };
  const singleFetch = createSingleFetchExecutor({ subgraphs: dataSources, schema: () => apiSchema, recordRequest: (observation) => requestMetrics.record(observation) });
  const documents = new PersistedDocuments({ mode: config.persistedDocuments?.mode ?? 'automatic', trusted: config.persistedDocuments?.trusted });
  const pipeline = createRequestPipeline({
    authenticate,
    recordAuthFailure,
    recordScopeRefusal,
    rateLimiter,
    platformLimits: deps.tenantLimitDefaults ?? defaultTenantLimits,
    schema: () => apiSchema,
    recordRefusal: (observation) => requestMetrics.record(observation),
    concurrency: operationSlots,
    transfers,
    rateLimitHold: new RateLimitHold({ ...defaultRateLimitHold, ...(config.limits.rateLimitedHoldMs === undefined ? {} : { holdMs: config.limits.rateLimitedHoldMs }) }),
    usage: metering.step,
    documents,
    prepared: preparedOperations,
  });
  const maskError = createErrorMasker({ log: (message, fields) => logger.error(message, fields) });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: (formatted, original) => maskError(formatted, original),
    // Only ever sent the query text: the pipeline must see every operation it admits.
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    // Compact JSON (Apollo pretty-prints by default): smaller answers, less CPU per request.
    stringifyResult: compactJson,
    stopOnTerminationSignals: false, // shutdown is ours, see service-kit
    introspection: true, // only ever reached with a valid token: the context function runs first
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      requestMetricsPlugin(requestMetrics),
      jsonContentTypePlugin(),
      operationSlotPlugin(),
      persistedDocumentPlugin(),
    ],
  });
  await server.start();
  requestMetrics.start();

  // Served over TLS unless configured as plaintext behind an ingress (then a trusted proxy may say https).
  const ownScheme = config.publicTls === 'plaintext' ? 'http' : 'https';
  const trustedProxies = new TrustedProxies(config.trustedProxies ?? defaultTrustedProxies);
  const clientAddress = clientAddressOf(trustedProxies);
  const publicUrlOf = (req: IncomingMessage) => {
    if (config.publicUrl) return config.publicUrl;
    const forwardedProto = req.headers['x-forwarded-proto'];
    const viaTrustedProxy = clientAddress(req) !== req.socket.remoteAddress;
    const scheme = viaTrustedProxy && typeof forwardedProto === 'string' ? forwardedProto.split(',')[0]!.trim() : ownScheme;
    return `${scheme}://${req.headers.host ?? `127.0.0.1:${config.port}`}`;
  };

  const factsOf = (req: IncomingMessage, requestId: string): RequestFacts => ({ headers: req.headers, ip: clientAddress(req), requestId, publicUrl: publicUrlOf(req) });
  const expressFacts = (req: Request): RequestFacts => factsOf(req, String(req.res!.getHeader('x-request-id')));
  // Uploads and downloads are rare and long: a context of their own, with the request id inside.
  const transferAccessRecheck = createAccessRecheck(accessControl);
  /** Asked again while a transfer streams (upload-proxy.ts, download-proxy.ts), as an open subscription socket is. */
  const stillAllowedFor = (caller: { principal: Parameters<typeof transferAccessRecheck>[0]; expiresAtMs?: number | undefined; tenant?: { id: string } | undefined }, transfer: 'upload' | 'download') => async () => {
    // The credential's own end, as an open subscription socket is closed at it.
    if (caller.expiresAtMs !== undefined && Date.now() >= caller.expiresAtMs) throw errors.unauthenticated(`The credential this ${transfer} began with has expired.`);
    if (caller.tenant) await directory.requireActive(caller.tenant.id);
    await transferAccessRecheck(caller.principal);
  };
  const authorizeUpload = async (req: Request, subgraph: string) => {
    const { caller, release } = await pipeline.route(expressFacts(req), 'upload');
    return { token: await signOrRelease(caller.principal, subgraph, release), release, stillAllowed: stillAllowedFor(caller, 'upload') };
  };
  const authorizeDownload = async (req: Request, subgraph: string) => {
    const { caller, release } = await pipeline.route(expressFacts(req), 'download');
    const tenantId = caller.tenant?.id;
    return { token: await signOrRelease(caller.principal, subgraph, release), countBytes: (bytes: number) => metering.countDownloadBytes(tenantId, bytes), release, stillAllowed: stillAllowedFor(caller, 'download') };
  };
  // A context that cannot be signed ends the transfer before it began: the slot goes back.
  const signOrRelease = async (principal: Parameters<typeof sign>[0], subgraph: string, release: () => void) => {
    try {
      return await sign(principal, subgraph);
    } catch (error) {
      release();
      throw error;
    }
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // GraphQL POST answers are never revalidated; hashing each body is wasted CPU
  app.set('trust proxy', (address: string) => trustedProxies.trusts(address));
  // '/GRAPHQL' or '/graphql/x' is no alias of '/graphql': every path the pipeline does not measure is a 404.
  app.set('case sensitive routing', true);
  app.use((req, reply, next) => {
    reply.setHeader('x-request-id', requestIdOf(req.headers));
    next();
  });
  app.use(cors(deps.corsOrigins));
  // After CORS: a page on a listed origin (a status view) reads readiness too, its 503 included.
  mountHealthRoutes(app, 'gateway', db);
  app.use(tracingMiddleware('gateway'));
  app.put(
    '/uploads/:service/:id',
    uploadProxy({
      targets: new Map(config.subgraphs.filter((s) => config.uploadTargets.includes(s.name)).map((s) => [s.name, s.url.replace(/\/graphql$/, '')])),
      maxUploadBytes: config.limits.maxUploadBytes,
      drainableBytes: maxBodyBytes,
      idleTimeoutMs: config.limits.transferIdleTimeoutMs ?? defaultTransferIdleTimeoutMs,
      pace: transferPaceOf(config.limits.uploadPace),
      agents: subgraphAgents,
      authorize: authorizeUpload,
      recheckIntervalMs: Math.max(1_000, deps.tenantCacheTtlMs),
    }),
  );
  app.get(
    '/downloads/:service/:id',
    downloadProxy({
      targets: new Map(config.subgraphs.filter((s) => (config.downloadTargets ?? []).includes(s.name)).map((s) => [s.name, s.url.replace(/\/graphql$/, '')])),
      agents: subgraphAgents,
      idleTimeoutMs: config.limits.transferIdleTimeoutMs ?? defaultTransferIdleTimeoutMs,
      pace: transferPaceOf(config.limits.downloadPace),
      authorize: authorizeDownload,
      recheckIntervalMs: Math.max(1_000, deps.tenantCacheTtlMs),
    }),
  );
  // The transfer paths exist for one method each: another is a 405 with Allow (a POST to an
  // uploadUrl is a common client mistake), not a 404 that reads as a wrong URL.
  app.all('/uploads/:service/:id', (_req, reply) => {
    reply.setHeader('allow', 'PUT');
    sendError(reply, new TesseraError('METHOD_NOT_ALLOWED', 'An upload URL takes PUT with the file as the body.'));
  });
  app.all('/downloads/:service/:id', (_req, reply) => {
    reply.setHeader('allow', 'GET, HEAD');
    sendError(reply, new TesseraError('METHOD_NOT_ALLOWED', 'A download URL takes GET (or HEAD).'));
  });
  // GET /graphql only, on exactly that path: POST is served on plain node:http below. Apollo runs
  // the operation of the URL here, which is the one the pipeline measured; a body on any other
  // method or path would be an operation nothing measured.
  app.get(
    '/graphql',
    // Apollo's middleware insists on a parsed body; a GET's operation is in its URL, so nothing is read.
    (req, _reply, next) => {
      req.body = {};
      // Apollo is handed the very parameters the pipeline reads (searchOf(req.originalUrl)), encoded
      // again: it reads the search with url.parse, which ends it at a '#'. A fragment is never part
      // of a request target, but a raw one may hold it, and `?query=P#%0Aquery X {…}&operationName=X`
      // was then measured, charged and held to an API key's fields as X, while Apollo ran P.
      const search = searchOf(req.originalUrl);
      // "operationName=" names no operation (the pipeline reads it so); Apollo would look for one named "" (a 500).
      if (search.get('operationName') === '') search.delete('operationName');
      req.url = `${req.path}?${search.toString()}`;
      next();
    },
    expressMiddleware(server, {
      context: async ({ req, res }) => {
        try {
          const facts = expressFacts(req);
          const caller = await pipeline.admitCaller(facts);
          const context = await pipeline.graphql(caller, facts, operationFromSearch(searchOf(req.originalUrl)));
          releaseWithResponse(res, context.releaseSlot);
          // Its answer is paid by its size once sent, as on POST.
          onAnswerBytes(res, (sent) => pipeline.answered(caller, sent), { pace: answerPace });
          return context;
        } catch (error) {
          throw toContextError(error);
        }
      },
    }),
  );
  app.all('/graphql', (_req, reply) => {
    reply.setHeader('allow', 'GET, POST');
    sendError(reply, new TesseraError('METHOD_NOT_ALLOWED', '/graphql takes GET (queries in the URL) and POST (a JSON body).'));
  });
  // The predict route is served on plain node:http for POST (below); any other method gets a typed answer.
  app.all(predictRoutePath, (_req, reply) => {
    reply.setHeader('allow', 'POST');
    sendError(reply, new TesseraError('METHOD_NOT_ALLOWED', `${predictRoutePath} takes POST with a JSON body.`));
  });
  // Whatever no route answers: a typed JSON 404, like every other refusal (not express's HTML page).
  app.use((req, reply) => sendError(reply, new TesseraError('NOT_FOUND', `No route ${req.method} ${req.path}.`, { kind: 'Route' })));
  app.use(jsonErrorHandler((message, fields) => logger.error(message, fields)));

  // POST /graphql and POST /v1/predict (the hot paths) skip express; everything else (GET landing
  // page, CORS preflights, uploads, downloads, health) is served by the express app above.
  const graphqlPost = createGraphQLPostHandler(server, {
    maxBodyBytes,
    admit: (facts) => pipeline.admitCaller(facts),
    context: async (caller, facts, body, bytes) => {
      try {
        let incoming: IncomingOperation;
        try {
          incoming = operationFromBody(body, bytes);
        } catch (error) {
          // Parsed whole for nothing (a batch, a non-string query, …): paid as a refused document.
          await pipeline.refuseBody(caller, bytes, error);
          throw error;
        }
        return await pipeline.graphql(caller, facts, incoming);
      } catch (error) {
        throw toContextError(error);
      }
    },
    refuseBody: (caller, bytes, error) => pipeline.refuseBody(caller, bytes, error),
    answered: (caller, bytes) => pipeline.answered(caller, bytes),
    answerPace,
    singleFetch: singleFetch.answer,
    applyCors: (origin, setHeader) => applyCorsHeaders(deps.corsOrigins, origin, setHeader),
    factsOf,
  });
  const modelsSubgraph = config.subgraphs.find((subgraph) => subgraph.name === 'models');
  const predictPost = modelsSubgraph
    ? createPredictRoute({
        modelsUrl: modelsSubgraph.url.replace(/\/graphql$/, ''),
        fetch: createSubgraphFetcher(subgraphAgents, 'models'),
        maxBodyBytes,
        admitCaller: (facts) => pipeline.admitCaller(facts),
        admitPredict: (caller, bodyBytes) => pipeline.predict(caller, bodyBytes),
        answered: (caller, bytes) => pipeline.answered(caller, bytes),
        answerPace,
        sign,
        applyCors: (origin, setHeader) => applyCorsHeaders(deps.corsOrigins, origin, setHeader),
        factsOf,
        recordRequest: (observation) => requestMetrics.record(observation),
      })
    : undefined;
  const bodyTimeoutMs = config.limits.requestBodyTimeoutMs ?? defaultRequestBodyTimeoutMs;
  const answerHeaders = securityHeaders();
  const refusalHeaders = (origin: string | undefined) => [...answerHeaders, ...corsHeaderList(deps.corsOrigins, origin)];
  const route = (req: IncomingMessage, reply: ServerResponse): void => {
    // First, so every answer carries them: Apollo's, the single-fetch path's, express's, every refusal.
    applySecurityHeaders(reply, answerHeaders);
    closeOnUnreadBody(req, reply, refusedBodyDrainBytes);
    watchBodyDeadline(req, reply, bodyTimeoutMs, (origin, setHeader) => applyCorsHeaders(deps.corsOrigins, origin, setHeader));
    if (req.method === 'POST') {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/graphql' || path === '/graphql/') return graphqlPost(req, reply);
      if (path === predictRoutePath && predictPost) return predictPost(req, reply);
    }
    app(req, reply);
  };
  const http = await listen(
    route,
    config.port,
    config.host,
    config.publicTls === 'plaintext' ? undefined : { identity: { ...config.tls, ...(config.publicTls ?? {}) } },
    logger,
    // A request Node's parser refuses (400, 408, 431) is answered outside express: a browser on a
    // listed origin reads it only with the CORS headers, where its Origin can be read.
    // Node's whole-request timeout is off: it cut long uploads; bodies have their own deadlines
    // (watchBodyDeadline, and the upload stream's idle timeout).
    { refusalHeaders, requestTimeoutMs: 0 },
  );
  let refusedConnections = 0;
  let refusalLoggedAtMs = Number.NEGATIVE_INFINITY;
  const connections = limitConnectionsPerAddress(http.server, {
    perAddress: config.limits.connectionsPerAddress ?? defaultConnectionsPerAddress,
    trusted: trustedProxies,
    // One line a minute at most, with what was refused since: a flood of connections writes no flood of logs.
    onRefused: (address) => {
      refusedConnections += 1;
      if (Date.now() - refusalLoggedAtMs < 60_000) return;
      refusalLoggedAtMs = Date.now();
      logger.warn('connections refused: too many open from one client address', { address, refused: refusedConnections, perAddress: config.limits.connectionsPerAddress ?? defaultConnectionsPerAddress });
      refusedConnections = 0;
    },
  });
  const subscriptions = attachSubscriptionGateway(http.server, {
    logger,
    pipeline,
    sign,
    subgraphs: config.subgraphs,
    tls: config.tls,
    routing: () => subscriptionRouting,
    redis: deps.redis,
    publicUrl: config.publicUrl,
    // Live sockets follow suspensions at the pace of the tenant cache (at least once a second).
    tenantRecheck: { intervalMs: Math.max(1_000, deps.tenantCacheTtlMs), check: async (tenantId) => void (await directory.requireActive(tenantId)), checkAccess: createAccessRecheck(accessControl) },
    recordRequest: (observation) => requestMetrics.record(observation),
    pendingSocketsPerAddress: config.limits.pendingSocketsPerAddress,
    socketBufferBytes: config.limits.socketBufferBytes,
    keepAliveMs: config.limits.subscriptionKeepAliveMs,
    clientAddress,
    refusalHeaders,
  });
  logger.info('gateway listening', { url: `${http.url}/graphql` });
  return {
    ...http,
    graphqlUrl: `${http.url}/graphql`,
    flushRequestMetrics: () => requestMetrics.flush(),
    flushUsage: () => metering.recorder.flush(),
    syncRateLimits: async () => rateLimitSync?.syncNow(),
    operationsInFlight: (tenantId) => operationSlots.inFlight(tenantId),
    transfersInFlight: (tenantId) => transfers.inFlight(tenantId),
    flushAuthFailures: () => authFailureLog.flush(),
    flushApiKeyUsage: () => keyUsage.flush(),
    supergraphSdl: () => supergraphSdl,
    connectionsFrom: (address) => connections.open(address),
    preparedStats: () => ({ prepared: preparedOperations.size, singleFetchAnswered: singleFetch.stats.answered, singleFetchHandedToApollo: singleFetch.stats.handedToApollo }),
    close: async () => {
      await subscriptions.close();
      await rateLimitSync?.close();
      await http.close();
      await server.stop();
      await requestMetrics.close(); // the last partial bucket is written before the pool closes
      await authFailureLog.close(); // so are the failures still only counted
      await metering.close(); // and the usage metered last
      await keyUsage.close(); // and the keys' last use
      await accessChanges?.close();
      await tenantChanges?.close();
      subgraphAgents.close();
      await db.destroy();
    },
  };
}

/**
 * The query string of a request target, read without `new URL`: an absolute-form target with a host
 * no URL can hold (`GET http://x:99999/graphql?…`) reaches the route, and `new URL` would throw (a 500).
 */
function searchOf(target: string): URLSearchParams {
  const question = target.indexOf('?');
  return new URLSearchParams(question >= 0 ? target.slice(question + 1) : '');
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

/**
 * @apollo/gateway collects data of its own unless APOLLO_TELEMETRY_DISABLED is set: at construction
 * it probes the Alibaba, AWS, Azure and GCP instance-metadata endpoints (169.254.169.254,
 * metadata.google.internal …), and it sends the host's OS, CPU count and frequency, memory and
 * uptime to usage-reporting.api.apollographql.com every hour and at shutdown. Nothing the operator
 * configured asks for either, so it is off unless the operator sets the variable themselves.
 */
function disableApolloDataCollection(): void {
  process.env['APOLLO_TELEMETRY_DISABLED'] ??= 'true';
}
