import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from './resolver-map';
import { trace } from '@opentelemetry/api';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { createInternalContextVerifier, createShield, internalContextHeader, requestIdHeader, withFederationRules, type InternalContextVerifier, type RuleTree } from '@tessera/auth';
import { createErrorMasker, TesseraError, toClientError } from '@tessera/errors';
import { setTenantAttributes } from '@tessera/telemetry';
import { mountHealthRoutes } from './health-routes';
import { listen, type RunningHttpServer } from './http-server';
import type { ServiceRuntime } from './service-runtime';
import { compactJson } from './compact-json';
import { createSubgraphContext, type SubgraphContext } from './subgraph-context';
import { attachSubscriptionServer } from './subscription-server';
import { authorizationAuditPlugin, createAuthorizationFailureRecorder, createPortRefusalRecorder } from './authorization-audit';
import { responseHeadersPlugin } from './response-headers-plugin';
import { tracedPlainRequest, tracingMiddleware } from './tracing-middleware';
import { portRouter, type AnyPublishedPort } from './ports';
import { defaultInternalBodyTimeoutMs, watchInternalBodyDeadline } from './internal-body-deadline';
import { peerCertificateThumbprint, type ServerTls } from './tls';
import { createTenantChangeListener } from './tenant-change-listener';

export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext>;
  /** graphql-shield rule tree; anything not covered is denied. */
  rules: RuleTree;
  /** Extra HTTP routes (uploads, downloads), mounted under /internal; use `authenticate` in them. */
  routes?: (router: Router, tools: RouteTools) => void;
  /** Stops what the subgraph runs beside its requests (background loops); called on close. */
  close?: () => Promise<void>;
  /**
   * Starts what the subgraph runs beside its requests, once it listens. Building a definition has
   * no side effects (tests build one just to read its rules); starting it does.
   */
  start?: () => Promise<void> | void;
  /**
   * Runs when the tenants service announces that a tenant's record changed (tier, status, limits),
   * after the process's cached record of it is dropped (see tenant-change-listener.ts).
   */
  onTenantChanged?: (tenantId: string) => Promise<void>;
  /** Ports this service publishes to other services, at /internal/ports/<port>/<method> (see ports/). */
  ports?: ReadonlyArray<AnyPublishedPort>;
  /**
   * Hot internal routes served on plain node:http, before express (its router, middleware and
   * send() cost more CPU per call than a short handler does): the same tools, a server span, and
   * every other method on the path refused. Only for routes called per request at volume (predict).
   */
  plainRoutes?: ReadonlyArray<PlainRoute>;
}

/** A POST route under /internal served without express (see `SubgraphDefinition.plainRoutes`). */
export interface PlainRoute {
  /** The path under /internal, e.g. `/predict`. */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, tools: RouteTools): Promise<void>;
}

export interface RouteTools {
  runtime: ServiceRuntime;
  /** The same check as GraphQL requests: a valid gateway-signed context, or UNAUTHENTICATED. */
  authenticate(req: IncomingMessage): Promise<SubgraphContext>;
  /** Sends a TesseraError as `{ errors: [...] }` with its HTTP status; anything else is masked. */
  sendError(res: ServerResponse, error: unknown): void;
  /** Records a refused permission in the caller's audit trail, as the GraphQL path does for a FORBIDDEN field. */
  recordDenial(caller: SubgraphContext['caller'], error: unknown, field: string): Promise<void>;
}

export interface RunningSubgraph extends RunningHttpServer {
  name: string;
  schema: GraphQLSchema;
}

export function buildProtectedSchema(definition: Pick<SubgraphDefinition, 'typeDefs' | 'resolvers' | 'rules'>): GraphQLSchema {
  const schema = buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
  return applyMiddleware(schema, createShield(withFederationRules(schema, definition.rules)));
}

/**
 * Starts one subgraph: the same shape for all of them, always over mutual TLS (`tls`: its own
 * identity and the client identities it answers). Health and readiness need no context (any
 * allowed client certificate reaches them); GraphQL and internal routes answer only requests
 * carrying a gateway-signed context minted for this subgraph, unused, unexpired, and bound to the
 * client certificate of the connection it arrived on.
 */
/** `host` is the interface to bind (default 127.0.0.1; 0.0.0.0 in a container). */
export interface SubgraphServerOptions {
  /** How long a body other than a streamed upload's may take to arrive, from the request's start (default 60 000). */
  requestBodyTimeoutMs?: number | undefined;
  /** How long a streamed upload's body may move no bytes before its connection is cut (default 60 000: twice the gateway's idle timeout). */
  uploadStallMs?: number | undefined;
}

export async function startSubgraph(
  definition: SubgraphDefinition,
  runtime: ServiceRuntime,
  port: number,
  host: string | undefined,
  tls: ServerTls,
  options: SubgraphServerOptions = {},
): Promise<RunningSubgraph> {
  const schema = buildProtectedSchema(definition);
  const verifyContext: InternalContextVerifier = await createInternalContextVerifier(runtime.config.internalContextPublicKey, { audience: definition.name });
  const logger = runtime.logger.child({ service: definition.name });
  const server = new ApolloServer<SubgraphContext>({
    schema,
    formatError: createErrorMasker({ log: (message, fields) => logger.error(message, fields) }),
    // Traces go through OpenTelemetry, not Apollo's inline (ftv1) traces.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), authorizationAuditPlugin(runtime, definition.name, logger), responseHeadersPlugin],
    includeStacktraceInErrorResponses: false,
    // Compact JSON (Apollo pretty-prints by default): the reader is the gateway, not a person.
    stringifyResult: compactJson,
    // Shutdown is ours (main.ts / the launcher): Apollo's own handler re-raises the signal mid-cleanup.
    stopOnTerminationSignals: false,
  });
  await server.start();

  const authenticate = async (req: IncomingMessage): Promise<SubgraphContext> => {
    const header = req.headers[internalContextHeader];
    const requestId = req.headers[requestIdHeader];
    const caller = await verifyContext(Array.isArray(header) ? header[0] : header, {
      peerCertificateThumbprint: peerCertificateThumbprint(req.socket),
      requestIdHint: typeof requestId === 'string' ? requestId : undefined,
    });
    const publicUrl = req.headers['x-tessera-public-url'];
    const context = createSubgraphContext(caller, logger, runtime.scopes, typeof publicUrl === 'string' ? publicUrl : undefined);
    if (caller.kind === 'user') setTenantAttributes(trace.getActiveSpan(), { ...caller, tenantId: caller.tenantId });
    return context;
  };

  const sendError = (res: ServerResponse, error: unknown) => {
    const reply = toClientError(error);
    if (reply !== error) logger.error('internal route failed', { code: reply.code, error: error instanceof Error ? error.stack : String(error) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = reply.httpStatus;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(reply.toResponseBody()));
  };

  const recordDenials = createAuthorizationFailureRecorder(runtime, definition.name, logger);
  const recordDenial = async (caller: SubgraphContext['caller'], error: unknown, field: string): Promise<void> => {
    if (!(error instanceof TesseraError) || error.code !== 'FORBIDDEN') return;
    await recordDenials(caller, [new GraphQLError(error.message, { path: [field], extensions: { code: error.code } })], undefined);
  };

  const app = express();
  app.disable('x-powered-by');
  // The gateway never revalidates a subgraph's answer: hashing each body for an ETag is wasted CPU.
  app.set('etag', false);
  mountHealthRoutes(app, definition.name, runtime.db);
  app.use(tracingMiddleware(definition.name));
  // Service-to-service calls: authenticated as a service (not through the gateway's context).
  if (definition.ports?.length) app.use('/internal/ports', portRouter(definition.ports, runtime.verifyServiceToken, logger, { tenants: runtime.directory, recordRefusal: createPortRefusalRecorder(runtime, definition.name) }));
  if (definition.routes) {
    const router = express.Router();
    definition.routes(router, { runtime, authenticate, sendError, recordDenial });
    app.use('/internal', router);
  }
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => {
        try {
          return await authenticate(req);
        } catch (error) {
          // Apollo turns `extensions.http` into the response status and strips it from the body.
          if (error instanceof TesseraError) {
            throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: error.httpStatus } } });
          }
          throw error;
        }
      },
    }),
  );

  const tools: RouteTools = { runtime, authenticate, sendError, recordDenial };
  const plainRoutes = new Map((definition.plainRoutes ?? []).map((route) => [`/internal${route.path}`, route]));
  const bodyTimeoutMs = options.requestBodyTimeoutMs ?? defaultInternalBodyTimeoutMs;
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    watchInternalBodyDeadline(req, res, bodyTimeoutMs, options.uploadStallMs);
    const route = plainRoutes.size > 0 ? plainRoutes.get((req.url ?? '').split('?')[0]!) : undefined;
    if (!route) return void app(req as Request, res as Response);
    tracedPlainRequest(definition.name, req, res, () => {
      if (req.method !== 'POST') {
        req.resume();
        res.setHeader('allow', 'POST');
        return sendError(res, new TesseraError('BAD_REQUEST', `${req.url ?? ''} takes POST.`));
      }
      route.handle(req, res, tools).catch((error: unknown) => sendError(res, error));
    });
  };
  // No limit on receiving a whole request (Node's is 5 minutes): an upload the gateway streams here
  // takes as long as its client sends, and the gateway's idle timeout is what cuts a stalled one
  // (it then cuts this stream too). Every other body has its own deadline (watchInternalBodyDeadline).
  // Headers keep Node's headersTimeout.
  const http = await listen(serve, port, host, tls, logger, { requestTimeoutMs: 0 });
  // Every process that caches tenant records hears of their changes (ports check the tier, scopes the status).
  const tenantChanges = createTenantChangeListener({ redis: runtime.config.redis, directory: runtime.directory, logger, onChanged: definition.onTenantChanged });
  try {
    await tenantChanges.start();
    await definition.start?.();
  } catch (error) {
    await tenantChanges.close();
    await http.close();
    await server.stop();
    throw error;
  }
  // Subscriptions: graphql-ws on the same /graphql path, for subgraphs that declare any.
  const subscriptions = schema.getSubscriptionType() ? attachSubscriptionServer(http.server, schema, runtime, logger, definition.name, verifyContext) : undefined;
  // Idempotent: a test may stop one subgraph early (e.g. to take the audit service down) and the platform stops it again.
  let closing: Promise<void> | undefined;
  return {
    ...http,
    name: definition.name,
    schema,
    close: () =>
      (closing ??= (async () => {
        await subscriptions?.close();
        await http.close();
        await server.stop();
        await tenantChanges.close();
        await definition.close?.();
      })()),
  };
}
