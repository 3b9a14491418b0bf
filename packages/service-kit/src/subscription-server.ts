import type { Server } from 'node:http';
import { context as otelContext, type Context as TraceContext } from '@opentelemetry/api';
import { GraphQLError, subscribe as graphqlSubscribe, type ExecutionArgs, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import type { Context as WsContext, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { internalContextHeader, type Caller, type InternalContextVerifier } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { createErrorMasker, isTesseraError } from '@tessera/errors';
import { extractTraceContext, setTenantAttributes, SpanKind, withSpan } from '@tessera/telemetry';
import { createAuthorizationFailureRecorder } from './authorization-audit';
import type { ServiceRuntime } from './service-runtime';
import { createSubgraphContext, type SubgraphContext } from './subgraph-context';
import { peerCertificateThumbprint } from './tls';

/**
 * WebSocket close codes of the platform's subscription endpoints (gateway and subgraphs).
 * 4401/4403 follow the graphql-ws convention; the reason string says what was wrong.
 */
export const subscriptionCloseCodes = {
  /** No, a malformed, a forged or an expired credential (the reason says which; 'Token expired' mid-stream). */
  unauthorized: 4401,
  /** A valid credential that may not subscribe here (suspended or unknown tenant, no tenant). */
  forbidden: 4403,
  /** A dependency (identity provider, database) could not be reached while authenticating. */
  unavailable: 4503,
  /** Too many failed authentications from the client's address, or (authenticated) the tenant's cost units spent by what its socket sent; the reason says when to retry (graphql-ws already uses 4429 for a second connection_init). */
  rateLimited: 4430,
  /** The tenant already holds as many authenticated sockets on this gateway replica as it may (its maxOpenSubscriptions). */
  tooManySockets: 4431,
} as const;

/** How the gateway hands its signed context to a subgraph: the HTTP header names, as `connection_init` payload keys. */
export type SubgraphConnectionParams = Record<string, unknown> & {
  [internalContextHeader]?: string;
  'x-tessera-public-url'?: string;
};

type SocketState = Record<PropertyKey, unknown> & {
  caller?: Caller;
  publicUrl?: string;
};

/** One WebSocket message at most (a subscribe with its query and variables): as for HTTP GraphQL bodies. */
export const maxSubscriptionMessageBytes = 1024 * 1024;

export interface SubscriptionServer {
  close(): Promise<void>;
}

/**
 * graphql-ws (graphql-transport-ws) on `/graphql` of a subgraph's HTTP server, for subgraphs
 * whose schema has a Subscription type, on the subgraph's mutual-TLS server. The socket is accepted
 * only with a valid gateway-signed context in `connection_init` (the same hop checks as HTTP requests), otherwise closed 4401/4403.
 * Operations run against the same shielded schema with the same SubgraphContext, so every
 * rule that guards a query guards a subscription too. A context is built per operation (not per
 * socket), so a suspended tenant's next subscribe is refused even on an old socket.
 */
export function attachSubscriptionServer(
  server: Server,
  schema: GraphQLSchema,
  runtime: ServiceRuntime,
  logger: Logger,
  serviceName: string,
  verifyContext: InternalContextVerifier,
): SubscriptionServer {
  // The same body limit as HTTP GraphQL requests (ws would accept 100 MiB messages by default).
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: maxSubscriptionMessageBytes });
  // ws re-emits the HTTP server's errors here; graphql-ws listens only once, and a second would end the process.
  wss.on('error', (error: NodeJS.ErrnoException) => logger.error('subscription server error', { error: error.message, errorCode: error.code }));
  const mask = createErrorMasker({ log: (message, fields) => logger.error(message, fields) });
  const traceParents = new WeakMap<SubgraphContext, TraceContext>();
  // A subscribe refused by a shield rule is an authorization failure like any other: audited.
  const recordDenials = createAuthorizationFailureRecorder(runtime, serviceName, logger);

  const maskAll = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      // An error thrown mid-stream reaches us wrapped by graphql-ws, without the typed extensions.
      const source = error.originalError instanceof GraphQLError && isTesseraError(error.originalError) ? error.originalError : error;
      return mask(source.toJSON(), source);
    });

  const disposable = useServer<SubgraphConnectionParams, SocketState>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const socket = ctx.extra.socket;
        try {
          const token = params[internalContextHeader];
          // The same hop checks as HTTP: this subgraph's audience, once, bound to this socket's client certificate.
          const caller = await verifyContext(typeof token === 'string' ? token : undefined, { peerCertificateThumbprint: peerCertificateThumbprint(ctx.extra.request.socket) });
          if (caller.kind !== 'user' || !caller.tenantId) {
            socket.close(subscriptionCloseCodes.forbidden, 'Forbidden: subscriptions need a tenant user');
            return false;
          }
          ctx.extra.caller = caller;
          const publicUrl = params['x-tessera-public-url'];
          if (typeof publicUrl === 'string') ctx.extra.publicUrl = publicUrl;
          return true;
        } catch (error) {
          logger.warn('subscription socket refused', { reason: error instanceof Error ? error.message : String(error) });
          socket.close(subscriptionCloseCodes.unauthorized, 'Unauthorized: this service only accepts connections from the Tessera gateway');
          return false;
        }
      },
      context: (ctx: WsContext<SubgraphConnectionParams, SocketState>, _id: string, payload: SubscribePayload) => {
        const caller = ctx.extra.caller;
        if (!caller) throw new Error('subscribe before an authenticated connection_init'); // graphql-ws acks only after onConnect
        const subgraphContext = createSubgraphContext(caller, logger, runtime.scopes, ctx.extra.publicUrl);
        traceParents.set(subgraphContext, traceParentOf(payload));
        return subgraphContext;
      },
      // Opens this service's span for setting the subscription up (rules, the resolver's checks), as a
      // child of the gateway's; events later flow outside it.
      subscribe: (args: ExecutionArgs) => {
        const ctx = args.contextValue as SubgraphContext;
        return withSpan(
          `tessera-${serviceName}`,
          `${serviceName} subscribe`,
          { kind: SpanKind.SERVER, parent: traceParents.get(ctx) ?? otelContext.active(), attributes: { 'tessera.service': serviceName } },
          async (span) => {
            if (ctx.caller.kind === 'user') setTenantAttributes(span, ctx.caller);
            try {
              return await graphqlSubscribe(args);
            } catch (error) {
              // graphql-js throws on some operations it cannot run (a root field that selects nothing);
              // thrown here it would close the socket with 4500, and every other subscription on it.
              logger.warn('subscription could not start', { error: error instanceof Error ? error.message : String(error) });
              return { errors: [new GraphQLError('The subscription could not be started: it selects no event stream.', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] };
            }
          },
        );
      },
      onNext: async (_ctx, _id, payload, args, result): Promise<FormattedExecutionResult | void> => {
        if (!result.errors) return;
        await recordDenials((args.contextValue as SubgraphContext).caller, result.errors, payload.operationName ?? undefined);
        return { ...(result as FormattedExecutionResult), errors: maskAll(result.errors) };
      },
      onError: (_ctx, _id, _payload, errors) => maskAll(errors),
      // Never put internal error messages in close reasons, whatever NODE_ENV says.
      isProd: true,
    },
    wss,
  );

  return {
    close: async () => {
      await disposable.dispose();
    },
  };
}

/** The W3C trace context the gateway put in the operation's `extensions` (per operation, not per socket). */
function traceParentOf(payload: SubscribePayload): TraceContext {
  const extensions = payload.extensions ?? {};
  const carrier: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = extensions[key];
    if (typeof value === 'string') carrier[key] = value;
  }
  return extractTraceContext(carrier);
}
