import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { context as otelContext, trace } from '@opentelemetry/api';
import {
  GraphQLError,
  OperationTypeNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { InternalContextSigner, Principal } from '@tessera/auth';
import type { RequestObservation } from '@tessera/monitoring';
import { maxTimerMs, type Logger, type RedisConfig } from '@tessera/config';
import { createErrorMasker, isTesseraError, TesseraError } from '@tessera/errors';
import { endWithRefusal, maxSubscriptionMessageBytes, subscriptionCloseCodes, type RefusalHeaders, type TlsIdentity } from '@tessera/service-kit';
import { attributes, extractTraceContext, injectTraceHeaders, setTenantAttributes, SpanKind } from '@tessera/telemetry';
import type { SubgraphEndpoint } from '../gateway-config';
import { operationFromBody, type IncomingOperation } from '../pipeline/operation-request';
import type { RequestPipeline } from '../pipeline/request-pipeline';
import { clientAddressKey } from '../pipeline/client-address-key';
import type { ClientAddressOf } from '../request-facts';
import { authenticateConnection, type AuthenticatedConnection, toConnectionRefused } from './connection-auth';
import type { SubscriptionRouting } from './subscription-routing';
import { localSubscriptionSlots, SharedSubscriptionSlots, type SubscriptionSlots } from './shared-subscription-slots';
import { BoundedCounter } from '../pipeline/bounded-counter';
import { maxUnauthenticatedSocketsPerAddress, RefusalLogThrottle } from './subscription-limits';
import { codesOf, SubscriptionMetrics } from './subscription-metrics';
import { defaultSocketBufferBytes } from './socket-event-bytes';
import { UpstreamConnections } from './upstream-connections';
import { assertVariablesCoerce, relayedDocumentText, rootFieldOf } from './relayed-operation';

export interface SubscriptionGatewayOptions {
  logger: Logger;
  /** The gateway's request pipeline: `connect` at connection_init, `subscribe` for each operation (limits, cost). */
  pipeline: Pick<RequestPipeline, 'connect' | 'subscribe' | 'message'>;
  sign: InternalContextSigner;
  subgraphs: SubgraphEndpoint[];
  /** The gateway's identity for the mutual-TLS sockets to the subgraphs. */
  tls: TlsIdentity;
  /** The current supergraph routing (undefined until the first composition). */
  routing: () => SubscriptionRouting | undefined;
  /** Where the replicas count open subscriptions together; without it each replica counts its own. */
  redis?: RedisConfig | undefined;
  publicUrl: string | undefined;
  /**
   * Re-checks an open socket's tenant every `intervalMs` (`check` throws FORBIDDEN for a suspended
   * or erased tenant): a suspension ends live subscriptions too, not only new ones.
   */
  tenantRecheck?: {
    intervalMs: number;
    check(tenantId: string): Promise<void>;
    /** The caller still holds its access (membership and role, API key not revoked or expired); throws FORBIDDEN otherwise. */
    checkAccess?(principal: Principal): Promise<void>;
  };
  /** Counts each subscription operation in the tenant's request metrics (see subscription-metrics.ts). */
  recordRequest?: (observation: RequestObservation) => void;
  /** Sockets one client address may hold before their connection_init is accepted (default maxUnauthenticatedSocketsPerAddress). */
  pendingSocketsPerAddress?: number | undefined;
  /**
   * Bytes of relayed events one client socket may hold unread in the gateway, over all its
   * subscriptions (default defaultSocketBufferBytes); past it the subscription whose event does not
   * fit ends with SLOW_CONSUMER, as one more than its count behind does.
   */
  socketBufferBytes?: number | undefined;
  /** How often each socket is pinged, and how long its pong may take (default subscriptionKeepAliveMs). */
  keepAliveMs?: number | undefined;
  /** The client a socket's upgrade request comes from, through the trusted proxies (request-facts.ts). */
  clientAddress: ClientAddressOf;
  /** Headers of a refused upgrade for its Origin (the security headers, CORS for a listed origin), as on the HTTP refusals. */
  refusalHeaders?: RefusalHeaders | undefined;
}

export interface SubscriptionGateway {
  close(): Promise<void>;
}

/** What one client socket holds once `connection_init` was accepted. */
interface Session {
  connection: AuthenticatedConnection;
  upstream: UpstreamConnections;
  expiry: NodeJS.Timeout | undefined;
  recheck: NodeJS.Timeout | undefined;
  /** Open subscriptions by client id, so a leaving client releases them all. */
  operations: Map<string, { end(): void }>;
  /** `connection_init` payload: a client may put its `traceparent` there instead of in each operation. */
  connectionParams: Readonly<Record<string, unknown>> | undefined;
  metrics: SubscriptionMetrics;
  /** Set when the socket closed: a slot acquired after that is given back at once. */
  ended: boolean;
  /** Gives back this socket's place among its tenant's sockets on this replica. */
  releaseSocket: () => void;
}

type SocketExtra = Record<PropertyKey, unknown> & { socket: WebSocket; request: IncomingMessage; session?: Session };

/** Carried from onSubscribe to subscribe through graphql-ws's ExecutionArgs.contextValue. */
interface RelayPlan {
  /** The client's id of the operation on its socket. */
  id: string;
  session: Session;
  subgraph: string;
  /** The root field, e.g. `jobProgress` (names the span; the operation name is the client's and unbounded). */
  field: string;
  payload: SubscribePayload;
  release: () => void;
}

/**
 * What may wait in this process for a client to read before its socket is dropped. Relayed events
 * wait for the socket (a slow reader ends in SLOW_CONSUMER), but replies to the client's own
 * messages do not: a pong echoes its ping's payload (up to a message's size), so a client that
 * sends and never reads would have the gateway buffer all it sends, before connection_init too.
 */
export const maxUnsentBytes = 4 * maxSubscriptionMessageBytes;

/**
 * graphql-ws pings every socket this often (a WebSocket ping frame) and closes one whose pong has
 * not come by the next ping. It is also what keeps an idle subscription open through a proxy that
 * closes a connection silent for longer than its read timeout (ingress-nginx: 60 s by default).
 */
export const subscriptionKeepAliveMs = 12_000;
/** The bounds of `keepAliveMs` (WS_KEEPALIVE_MS): a proxy in front needs a read timeout of at least twice it. */
export const subscriptionKeepAliveBoundsMs = { min: 1_000, max: 60_000 } as const;

/**
 * What a socket may send before its connection_init is accepted (a token and a few pings fit many
 * times over). graphql-ws parses every message, pings included, whose payload may be anything up to
 * a message's size: sockets without a token sending 1 MiB pings took another tenant's answers from
 * 9 ms to 730 ms, and a tenant's authenticated ones to over 4 s (those pay each message's size
 * from the tenant's cost units instead: `RequestPipeline.message`).
 */
export const maxBytesBeforeConnectionAccepted = 64 * 1024;

/**
 * Messages (ping and pong frames included) a socket may send before its connection_init is
 * accepted: a client sends that one message and waits for its ack. The bytes alone left the count
 * free: 64 KiB holds 4 000 small pings, each parsed and answered, and four clients without a token,
 * reconnecting for more, took another tenant's median answer from 6 ms to 120 ms (a TLS handshake
 * bought 4 000 messages' work).
 */
export const maxMessagesBeforeConnectionAccepted = 16;

/**
 * graphql-ws (graphql-transport-ws) on the gateway's own `/graphql`, next to Apollo's HTTP
 * handler, because @apollo/gateway does not execute subscriptions. Like Apollo Router's
 * WebSocket passthrough: authenticate the token at `connection_init` (the HTTP checks), validate
 * each operation against the supergraph (plus the depth limit), route it by its root field to
 * the subgraph that owns it, and relay next/error/complete over a subgraph socket opened with
 * the gateway-signed internal context. The client's socket closes 4401 'Token expired' when its
 * access token does.
 */
export function attachSubscriptionGateway(server: Server, options: SubscriptionGatewayOptions): SubscriptionGateway {
  const logger = options.logger.child({ component: 'subscriptions' });
  const tracer = trace.getTracer('tessera-gateway');
  const slots: SubscriptionSlots = options.redis
    ? new SharedSubscriptionSlots({ redis: options.redis, logger })
    : localSubscriptionSlots();
  const sockets = new BoundedCounter();
  const unauthenticated = new BoundedCounter();
  const pendingSocketsPerAddress = options.pendingSocketsPerAddress ?? maxUnauthenticatedSocketsPerAddress;
  /** Gives back a socket's place among its address's unauthenticated sockets (at connection_init accepted, or close). */
  const authenticating = new WeakMap<WebSocket, () => void>();
  /** Each authenticated socket's session: what its messages are charged to. */
  const sessionsBySocket = new WeakMap<WebSocket, Session>();
  const endpoints = new Map(options.subgraphs.map((s) => [s.name, s.url.replace(/^http/, 'ws')]));
  const mask = createErrorMasker({ log: (message, fields) => logger.error(message, fields) });
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxSubscriptionMessageBytes });
  wss.on('error', (error: NodeJS.ErrnoException) => logger.error('subscription server error', { error: error.message, errorCode: error.code }));
  // Upgrades are taken here, not by ws's own server mode: ws refuses a handshake (another path, a bad
  // key or version) with an untyped text/html 400 and none of the headers every other refusal carries
  // (nosniff, CORS for a listed origin). These refusals are typed JSON with them, like Node's parser's.
  const refuseUpgrade = (socket: Duplex, request: IncomingMessage, status: number, code: string, message: string, extra: Array<[string, string]> = []) =>
    endWithRefusal(socket, status, code, message, [...extra, ...(options.refusalHeaders?.(request.headers.origin) ?? [])]);
  wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
    if (request.method !== 'GET') return refuseUpgrade(socket, request, 405, 'METHOD_NOT_ALLOWED', 'A WebSocket handshake is a GET.');
    // ws names the versions it speaks to a client that asked for another (RFC 6455 §4.4).
    const versions: Array<[string, string]> = /version/i.test(error.message) ? [['sec-websocket-version', '13, 8']] : [];
    refuseUpgrade(socket, request, 400, 'BAD_REQUEST', `The WebSocket handshake is invalid (${error.message}).`, versions);
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node has taken its own error listener off the socket (ws adds one once it handles the upgrade).
    socket.on('error', () => socket.destroy());
    if ((request.url ?? '').split('?')[0] !== '/graphql') return refuseUpgrade(socket, request, 404, 'NOT_FOUND', 'WebSocket connections are served at /graphql only.');
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  };
  server.on('upgrade', onUpgrade);
  // Registered before graphql-ws's listeners, so each message is checked before it is answered.
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    dropUnansweredCloseBeforeAccepted(socket, (closing) => !sessionsBySocket.has(closing));
    const releaseUnauthenticated = unauthenticated.acquire(clientAddressKey(options.clientAddress(request)), pendingSocketsPerAddress);
    if (!releaseUnauthenticated) {
      // 1013 (try again later): graphql-ws clients retry it, as they should once the others authenticated.
      socket.close(1013, `Too many connections from your address are waiting for connection_init (at most ${pendingSocketsPerAddress}); retry shortly`);
      return;
    }
    authenticating.set(socket, releaseUnauthenticated);
    socket.once('close', releaseUnauthenticated);
    // graphql-ws reports each write that fails because the socket is gone as an internal error
    // (console.error and a stack, per message still waiting): a client that leaves with many replies
    // unread would have the gateway write that many. A write to a socket no longer open is dropped.
    const send = socket.send.bind(socket) as (data: string, callback: (error?: Error) => void) => void;
    socket.send = ((data: string, callback: (error?: Error) => void) =>
      send(data, (error) => callback(error && socket.readyState !== socket.OPEN ? undefined : error))) as WebSocket['send'];
    // The pong a client owes for the gateway's own keepalive ping (graphql-ws pings every socket) is
    // free, so a tenant whose cost units are spent keeps its idle sockets; any other pong is paid for.
    let pongsOwed = 0;
    const ping = socket.ping.bind(socket);
    socket.ping = ((...args: Parameters<WebSocket['ping']>) => {
      pongsOwed = 1;
      return ping(...args);
    }) as WebSocket['ping'];
    // Each message is admitted before any listener sees it (graphql-ws parses it): see admitMessage.
    const beforeAccepted = { bytes: 0, messages: 0 };
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'pong' && pongsOwed > 0) {
        pongsOwed -= 1;
        return emit(event, ...args);
      }
      // Ping and pong frames too: ws reads and answers them as it does messages, and a client may
      // send them unasked, empty, as fast as its connection carries them (ws has answered a ping
      // by the time this sees it; what is admitted here is the next frame).
      if (event === 'message' || event === 'ping' || event === 'pong') {
        const bytes = messageBytes(args[0]);
        if (!sessionsBySocket.has(socket)) {
          beforeAccepted.bytes += bytes;
          beforeAccepted.messages += 1;
        }
        if (!admitMessage(socket, bytes, beforeAccepted)) return false;
      }
      return emit(event, ...args);
    }) as WebSocket['emit'];
    socket.on('message', () => {
      if (socket.bufferedAmount <= maxUnsentBytes) return;
      logger.warn('subscription socket dropped: the client reads nothing of what it asks for', { bufferedBytes: socket.bufferedAmount });
      // Not close(): its frame would wait behind what the client does not read.
      socket.terminate();
    });
  });

  /**
   * Whether graphql-ws gets a message: a socket being closed gets none; one without an accepted
   * connection_init at most `maxBytesBeforeConnectionAccepted` in all (1009 past it) in at most
   * `maxMessagesBeforeConnectionAccepted` messages (1008 past it); an authenticated one pays each
   * message (a unit, or its size past the first KiB) from its tenant's cost units (4430 when spent).
   */
  const admitMessage = (socket: WebSocket, bytes: number, beforeAccepted: { bytes: number; messages: number }): boolean => {
    if (socket.readyState !== socket.OPEN) return false;
    const session = sessionsBySocket.get(socket);
    if (!session) {
      if (beforeAccepted.bytes > maxBytesBeforeConnectionAccepted) {
        closeAndStopReading(socket, 1009, `At most ${maxBytesBeforeConnectionAccepted} bytes may be sent before connection_init is accepted`);
        return false;
      }
      if (beforeAccepted.messages > maxMessagesBeforeConnectionAccepted) {
        // 1008: policy violation (1009 says a message was too big).
        closeAndStopReading(socket, 1008, `At most ${maxMessagesBeforeConnectionAccepted} messages may be sent before connection_init is accepted`);
        return false;
      }
      return true;
    }
    try {
      options.pipeline.message({ principal: session.connection.principal, tenant: session.connection.tenant, requestId: 'ws-message' }, bytes);
      return true;
    } catch (error) {
      const retryAfter = isTesseraError(error) ? error.extensions['retryAfterSeconds'] : undefined;
      const code = isTesseraError(error) ? error.code : 'RATE_LIMITED';
      closeAndStopReading(socket, subscriptionCloseCodes.rateLimited, `${code}: your tenant's cost units are spent (a message pays its size)${typeof retryAfter === 'number' ? `; retry in ${retryAfter} s` : ''}`);
      return false;
    }
  };

  const refuse = (socket: WebSocket, error: unknown) => {
    const refusal = toConnectionRefused(error);
    // A refused token (4401, 4403) is in the security log already, counted per address and minute
    // by the pipeline as for HTTP, and 4430 is the address guard's refusal, silent over HTTP too. A
    // line per socket here would let anyone without a token write this log as fast as they open
    // sockets (150 lines a second from one client).
    if (refusal.closeCode === subscriptionCloseCodes.unavailable) logger.info('subscription socket refused', { closeCode: refusal.closeCode, reason: refusal.reason });
    socket.close(refusal.closeCode, refusal.reason);
  };
  // A tenant at its socket limit can be refused in a loop: one line a minute says so.
  const socketLimitLog = new RefusalLogThrottle(60_000);

  const endSession = async (session: Session) => {
    session.ended = true;
    session.releaseSocket();
    clearTimeout(session.expiry);
    clearInterval(session.recheck);
    for (const operation of session.operations.values()) operation.end();
    session.operations.clear();
    session.metrics.endAll();
    await session.upstream.close();
  };

  const scheduleExpiry = (socket: WebSocket, session: Session) => {
    const remaining = session.connection.expiresAtMs - Date.now();
    if (!Number.isFinite(remaining)) return;
    session.expiry = setTimeout(() => {
      if (Date.now() < session.connection.expiresAtMs) return scheduleExpiry(socket, session);
      logger.info('subscription socket closed: token expired', { tenantId: session.connection.tenant.id });
      socket.close(subscriptionCloseCodes.unauthorized, 'Token expired');
    }, Math.min(Math.max(remaining, 0), maxTimerMs));
    session.expiry.unref();
  };

  const scheduleTenantRecheck = (socket: WebSocket, session: Session) => {
    const recheck = options.tenantRecheck;
    if (!recheck) return;
    const tenantId = session.connection.tenant.id;
    session.recheck = setInterval(() => {
      recheck.check(tenantId).then(
        () => undefined,
        (error: unknown) => {
          // Only a definite "not active" closes the socket; a database hiccup does not.
          if (isTesseraError(error) && error.code === 'FORBIDDEN') {
            logger.info('subscription socket closed: tenant no longer active', { tenantId });
            clearInterval(session.recheck);
            socket.close(subscriptionCloseCodes.forbidden, 'Forbidden: the tenant is suspended');
          }
        },
      );
      // A removed member, a changed role, a revoked or expired key: the socket closes too.
      assertAccessHeld(socket, session).catch(() => undefined);
    }, recheck.intervalMs);
    session.recheck.unref();
  };

  /**
   * The socket's caller still holds its access (membership, role, key), read from the access cache
   * the tenants service's announcements keep current; if not, the socket closes (4403) and this
   * throws. Run on the periodic re-check and before each new operation, so a `subscribe` sent after
   * a revocation is refused like the next HTTP request, not admitted until the next re-check.
   */
  const assertAccessHeld = async (socket: WebSocket, session: Session): Promise<void> => {
    try {
      await options.tenantRecheck?.checkAccess?.(session.connection.principal);
    } catch (error) {
      if (isTesseraError(error) && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED')) {
        logger.info('subscription socket closed: access withdrawn', { tenantId: session.connection.tenant.id });
        clearInterval(session.recheck);
        // After the refused operation's error message went out (graphql-ws sends nothing on a closing socket).
        setImmediate(() => socket.close(subscriptionCloseCodes.forbidden, 'Forbidden: access withdrawn'));
      }
      throw error;
    }
  };

  const disposable = useServer<Record<string, unknown>, SocketExtra>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        try {
          const connection = await authenticateConnection(options.pipeline, ctx.connectionParams, ctx.extra.request, options.clientAddress);
          // Closed while its token was checked: onClose has run already and would never end a session made now
          // (its re-check timer and socket count would outlive it).
          if (socket.readyState !== socket.OPEN) return false;
          authenticating.get(socket)?.();
          const tenant = connection.tenant;
          // The connection itself pays a unit, as an HTTP request does: a tenant whose units are spent
          // is refused here, not handed a socket whose every message will be refused (reconnecting in
          // a loop was otherwise the one thing a spent tenant could still do for free).
          try {
            options.pipeline.message({ principal: connection.principal, tenant, requestId: 'ws-connect' }, 0);
          } catch (error) {
            const retryAfter = isTesseraError(error) ? error.extensions['retryAfterSeconds'] : undefined;
            const code = isTesseraError(error) ? error.code : 'RATE_LIMITED';
            socket.close(subscriptionCloseCodes.rateLimited, `${code}: your tenant's cost units are spent${typeof retryAfter === 'number' ? `; retry in ${retryAfter} s` : ''}`);
            return false;
          }
          const releaseSocket = sockets.acquire(tenant.id, tenant.limits.maxOpenSubscriptions);
          if (!releaseSocket) {
            const heldBack = socketLimitLog.take(tenant.id);
            if (heldBack !== undefined) logger.info('subscription socket refused: too many sockets', { tenantId: tenant.id, limit: tenant.limits.maxOpenSubscriptions, notLoggedSinceLast: heldBack });
            socket.close(
              subscriptionCloseCodes.tooManySockets,
              `Too many connections: your tenant has ${tenant.limits.maxOpenSubscriptions} open sockets here (maxOpenSubscriptions)`,
            );
            return false;
          }
          const publicUrl = options.publicUrl ?? `http://${ctx.extra.request.headers.host ?? 'localhost'}`;
          const session: Session = {
            connection,
            upstream: new UpstreamConnections(endpoints, connection.principal, options.sign, publicUrl, options.tls, options.socketBufferBytes ?? defaultSocketBufferBytes),
            expiry: undefined,
            recheck: undefined,
            operations: new Map(),
            connectionParams: ctx.connectionParams,
            metrics: new SubscriptionMetrics(connection.tenant.id, options.recordRequest),
            ended: false,
            releaseSocket,
          };
          ctx.extra.session = session;
          sessionsBySocket.set(socket, session);
          scheduleExpiry(socket, session);
          scheduleTenantRecheck(socket, session);
          return true;
        } catch (error) {
          refuse(socket, error);
          return false;
        }
      },

      onSubscribe: async (ctx, id, payload) => {
        const session = ctx.extra.session;
        if (!session) return [new GraphQLError('The connection is not authenticated.', { extensions: { code: 'UNAUTHENTICATED' } })];
        // The gateway is closing this socket (expiry, withdrawn access, suspension): ws still delivers
        // what a client that ignores the close frame sends for up to 30 s, and none of it may be
        // charged, counted or relayed under the access being withdrawn.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return [new GraphQLError('The connection is closing.', { extensions: { code: 'UNAUTHENTICATED' } })];
        session.metrics.begin(id);
        try {
          await assertAccessHeld(ctx.extra.socket, session);
          return await plan(session, id, payload);
        } catch (error) {
          const refusal = toGraphQLError(error);
          // Refused here, the operation never starts (graphql-ws sends the error and no complete).
          session.metrics.failed(id, [isTesseraError(refusal) ? refusal.code : 'INTERNAL_SERVER_ERROR']);
          session.metrics.end(id);
          return [refusal];
        }
      },

      // Not executed here: relayed to the subgraph that owns the root field.
      subscribe: (args: ExecutionArgs) => {
        const relay = args.contextValue as RelayPlan;
        const { session, subgraph, field, payload, release } = relay;
        const { principal, tenant } = session.connection;
        const parent = extractTraceContext(traceCarrier(payload.extensions, session.connectionParams));
        const span = tracer.startSpan(
          `gateway subscribe ${field}`,
          { kind: SpanKind.SERVER, attributes: { [attributes.service]: 'gateway', 'tessera.subgraph': subgraph } },
          parent,
        );
        setTenantAttributes(span, { ...principal, tenantId: tenant.id });
        try {
          // The subgraph's span becomes a child of this one: the trace runs client → gateway → subgraph.
          const extensions = { ...(payload.extensions ?? {}), ...injectTraceHeaders({}, trace.setSpan(otelContext.active(), span)) };
          // graphql-ws only iterates what this returns; the results are formatted already (see onNext).
          const relayed = session.upstream.relay(subgraph, { ...payload, extensions }, release) as unknown as AsyncIterable<ExecutionResult>;
          session.metrics.relayed(relay.id);
          return relayed;
        } catch (error) {
          // A throw here would close the whole socket (4500): answer this operation only.
          release();
          const failure = toGraphQLError(error);
          session.metrics.failed(relay.id, [isTesseraError(failure) ? failure.code : 'INTERNAL_SERVER_ERROR']);
          return { errors: [failure] };
        } finally {
          span.end();
        }
      },

      // Relayed results are already formatted (and masked) by the subgraph: pass them through as they are.
      onNext: (ctx, id, _payload, _args, result) => {
        const formatted = result as FormattedExecutionResult;
        if (formatted.errors) ctx.extra.session?.metrics.failed(id, codesOf(formatted.errors));
        return formatted;
      },

      onError: (ctx, id, _payload, errors) => {
        const masked = errors.map((error) => {
          const source = error.originalError instanceof GraphQLError ? error.originalError : error;
          return mask(source.toJSON(), source);
        });
        ctx.extra.session?.metrics.failed(id, codesOf(masked));
        return masked;
      },

      onComplete: (ctx, id) => {
        ctx.extra.session?.operations.get(id)?.end();
        ctx.extra.session?.operations.delete(id);
        ctx.extra.session?.metrics.end(id);
      },

      onClose: async (ctx) => {
        const session = ctx.extra.session;
        if (session) await endSession(session);
      },
      isProd: true,
    },
    wss,
    options.keepAliveMs ?? subscriptionKeepAliveMs,
  );

  /** Validates and routes one operation; throws typed errors the client receives as an `error` message. */
  async function plan(session: Session, id: string, payload: SubscribePayload): Promise<ExecutionArgs> {
    const routing = options.routing();
    if (!routing) throw new TesseraError('SERVICE_UNAVAILABLE', 'The gateway has not loaded the schema yet; retry shortly.');
    // The pipeline's operation limits and cost, as for HTTP (the operation analysed once, linear time).
    const { document, operation, prepared } = await options.pipeline.subscribe(
      { principal: session.connection.principal, tenant: session.connection.tenant, requestId: id, allowedOperations: session.connection.allowedOperations },
      operationFromPayload(payload),
    );
    // Validated once per prepared operation, against the schema it was prepared for (the current one).
    const validationErrors = prepared.validate();
    if (validationErrors.length > 0) throw new TesseraError('GRAPHQL_VALIDATION_FAILED', validationErrors.map((e) => e.message).join(' '));
    if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
      throw new TesseraError('BAD_REQUEST', 'This WebSocket serves subscriptions only; send queries and mutations with HTTP POST /graphql.');
    }
    const field = rootFieldOf(operation, document);
    const subgraph = field ? routing.owners.get(field) : undefined;
    if (!field || !subgraph) throw new TesseraError('GRAPHQL_VALIDATION_FAILED', `No service serves the subscription field ${JSON.stringify(field)}.`);
    assertVariablesCoerce(routing.apiSchema, operation, payload.variables);
    session.metrics.identify(id, operation.name?.value ?? null);

    const tenantId = session.connection.tenant.id;
    // The tenant's own limit (maxOpenSubscriptions), counted across replicas when Redis is there.
    const release = await slots.acquire(tenantId, session.connection.tenant.limits.maxOpenSubscriptions);
    if (session.ended) {
      // The socket closed while the slot was being taken: nothing will ever release it otherwise.
      release();
      throw new TesseraError('BAD_REQUEST', 'The connection closed.');
    }
    const relayEnded = () => {
      release();
      session.operations.delete(id);
    };
    // Fallback for a socket that closes before graphql-ws hands the relay its iterator.
    session.operations.set(id, { end: release });
    // What was validated here is what the subgraph runs: the parsed operation (and its fragments), re-printed.
    // A persisted document's id stays here: the subgraph gets the text.
    // The operation is named as the relayed document names it: the client's name, when it gave one,
    // is the operation's; an empty one (no name, as the pipeline reads it, and as over HTTP) reached
    // the subgraph as "", which names no operation there (INTERNAL_SERVER_ERROR).
    const { documentId: _documentId, extensions, operationName: _operationName, ...request } = payload as SubscribePayload & { documentId?: unknown };
    const { persistedQuery: _persistedQuery, ...otherExtensions } = extensions ?? {};
    const relay: RelayPlan = {
      id,
      session,
      subgraph,
      field,
      payload: {
        ...request,
        ...(operation.name ? { operationName: operation.name.value } : {}),
        ...(extensions ? { extensions: otherExtensions } : {}),
        query: relayedDocumentText(document, operation),
      },
      release: relayEnded,
    };
    return { schema: routing.apiSchema, document, operationName: payload.operationName || null, variableValues: payload.variables ?? null, contextValue: relay };
  }

  return {
    close: async () => {
      server.off('upgrade', onUpgrade);
      await disposable.dispose();
      await slots.close();
    },
  };
}

/**
 * graphql-ws has already checked the payload's JSON shape (it requires the text, so a socket never
 * names a document by its hash alone); the pipeline checks the rest as for a POST body: a trusted-only
 * gateway refuses text outside its manifest here too.
 */
function operationFromPayload(payload: SubscribePayload): IncomingOperation {
  return operationFromBody(payload);
}

function traceCarrier(...sources: Array<Readonly<Record<string, unknown>> | null | undefined>): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const source of sources) {
    for (const key of ['traceparent', 'tracestate']) {
      const value = source?.[key];
      if (typeof value === 'string' && !(key in carrier)) carrier[key] = value;
    }
  }
  return carrier;
}

function toGraphQLError(error: unknown): GraphQLError {
  if (isTesseraError(error)) return error;
  if (error instanceof GraphQLError) return error;
  return new TesseraError('INTERNAL_SERVER_ERROR', 'Unexpected error.');
}

/** The size of a ws 'message' event's data (a Buffer, an ArrayBuffer or fragments). */
function messageBytes(data: unknown): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part: unknown) => sum + messageBytes(part), 0);
  return typeof data === 'string' ? Buffer.byteLength(data) : 0;
}

/**
 * Closes a socket refused for what it sends and reads nothing more from it: ws would otherwise read
 * (decrypt, unmask) whatever a client ignoring the close frame sends for up to 30 s, waiting for its
 * close frame. The connection is dropped a second later, once the close frame had time to leave.
 */
function closeAndStopReading(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  socket.pause();
  setTimeout(() => socket.terminate(), closeFrameGraceMs).unref();
}

const closeFrameGraceMs = 1_000;

/**
 * The gateway's own close of a socket whose connection_init was never accepted (graphql-ws's 4408
 * when it comes too late, 4401, 1013, 1009) waits for the client's close frame, and ws waits up to
 * 30 s for it: a client ignoring the close kept its socket, and its place among its address's
 * waiting sockets, ten times as long as the 3 s the init timeout promises. Such a socket gets a
 * second for its client to answer, then the connection is dropped. An authenticated socket's close
 * is left as ws does it: its own tenant's place is what it holds.
 */
function dropUnansweredCloseBeforeAccepted(socket: WebSocket, unaccepted: (socket: WebSocket) => boolean): void {
  const close = socket.close.bind(socket);
  socket.close = ((code?: number, reason?: string | Buffer) => {
    close(code, reason);
    if (unaccepted(socket)) setTimeout(() => socket.terminate(), closeFrameGraceMs).unref();
  }) as WebSocket['close'];
}
