import { randomUUID } from 'node:crypto';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import WebSocket, { type ClientOptions } from 'ws';
import { internalContextHeader, type InternalContextSigner, type Principal } from '@tessera/auth';
import { errors, isErrorCode } from '@tessera/errors';
import { BoundedEventQueue, slowConsumerBytesError } from '@tessera/events';
import type { SubgraphConnectionParams, TlsIdentity } from '@tessera/service-kit';
import { subgraphTlsOptions } from '../subgraph-tls';
import { releasedOnNext, SocketEventBytes, type WeighedEvent } from './socket-event-bytes';

export type RelayedResult = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** Results buffered per relayed subscription before a slow client is cut off (SLOW_CONSUMER). */
const relayBufferSize = 256;

/**
 * How long a subgraph socket stays open once its last subscription ended (it closes with the client
 * socket in any case). Closed at once, as it was, every subscription after the previous one ended
 * opened a new one — a mutual-TLS handshake on both sides, a signed context checked by the subgraph —
 * for the 10-odd cost units of a subscribe: eight clients subscribing to a missing job in a loop, at
 * a quarter of their tenant's rate, took another tenant's median answer from 7 ms to 85 ms.
 */
export const upstreamIdleCloseMs = 30_000;

/**
 * The subgraph sockets of one client socket: at most one per subgraph, opened on the first
 * subscription routed there and shared by the following ones, each over mutual TLS (the gateway's
 * client certificate, the subgraph's name checked) with a freshly minted internal context for this
 * client's principal and that subgraph (the same signer as HTTP). Closed with the client.
 * The events relayed to the client socket and not yet taken by it are bounded in bytes too
 * (`maxBufferedBytes`, over all its subscriptions), as well as per subscription in events.
 */
export class UpstreamConnections {
  private readonly clients = new Map<string, Client>();
  private closed = false;
  /** Bytes of relayed events this client socket holds in the gateway. */
  readonly buffered: SocketEventBytes;

  constructor(
    private readonly endpoints: ReadonlyMap<string, string>,
    private readonly principal: Principal,
    private readonly sign: InternalContextSigner,
    private readonly publicUrl: string,
    private readonly tls: TlsIdentity,
    maxBufferedBytes: number,
  ) {
    this.buffered = new SocketEventBytes(maxBufferedBytes);
  }

  /** Starts `payload` on `subgraph`; the iterator's `return()` sends `complete` upstream. */
  relay(subgraph: string, payload: SubscribePayload, onEnd: () => void): AsyncIterableIterator<RelayedResult> {
    if (this.closed) throw errors.unavailable('The connection is closing.');
    const client = this.clientFor(subgraph);
    let dispose: (() => void) | undefined;
    const buffered = this.buffered;
    const results = new BoundedEventQueue<WeighedEvent<RelayedResult>>({
      capacity: relayBufferSize,
      overflow: 'error',
      onEnd: () => {
        dispose?.();
        onEnd();
      },
      onDiscard: (events) => {
        for (const event of events) buffered.release(event.bytes);
      },
    });
    dispose = client.subscribe(payload, {
      next: (result) => {
        if (results.isEnded) return;
        // As the client will get it (graphql-ws writes the result as JSON in its `next` message).
        const bytes = Buffer.byteLength(JSON.stringify(result));
        // Over the socket's bound this subscription ends as over its count: what it holds is given back.
        if (!buffered.take(bytes)) return results.abandon(slowConsumerBytesError(buffered.maxBytes));
        results.push({ value: result, bytes });
        // Pushed onto a full queue: it ended (SLOW_CONSUMER) without taking this event.
        if (results.isEnded) buffered.release(bytes);
      },
      error: (error) => results.fail(relayError(subgraph, error)),
      complete: () => results.end(),
    });
    return releasedOnNext(results, buffered);
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }

  private clientFor(subgraph: string): Client {
    const existing = this.clients.get(subgraph);
    if (existing) return existing;
    const url = this.endpoints.get(subgraph);
    if (!url) throw errors.unavailable(`No endpoint is configured for the ${subgraph} service.`);
    const client = createClient<SubgraphConnectionParams>({
      url,
      // ws hands these to tls.connect as they are (its ClientOptions types checkServerIdentity differently).
      webSocketImpl: mutualTlsWebSocket(subgraphTlsOptions(this.tls, subgraph) as ClientOptions),
      lazy: true,
      lazyCloseTimeout: upstreamIdleCloseMs,
      // A lost subgraph socket ends the client's subscriptions with an error; the client resubscribes.
      retryAttempts: 0,
      connectionAckWaitTimeout: 10_000,
      connectionParams: async () => ({
        [internalContextHeader]: await this.sign({ ...this.principal, requestId: randomUUID() }, subgraph),
        'x-tessera-public-url': this.publicUrl,
      }),
    });
    this.clients.set(subgraph, client);
    return client;
  }
}

/** A `ws` WebSocket class that connects with `tls` (graphql-ws constructs it with url and protocol only). */
function mutualTlsWebSocket(tls: ClientOptions) {
  return class MutualTlsWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, tls);
    }
  };
}

/**
 * What a client sees when the subgraph side fails: the subgraph's own typed errors pass through
 * (their registered code kept), a dropped subgraph socket becomes SERVICE_UNAVAILABLE.
 */
function relayError(subgraph: string, error: unknown): GraphQLError {
  if (Array.isArray(error) && error.length > 0) {
    const first = error[0] as GraphQLFormattedError;
    const code = first.extensions?.['code'];
    return new GraphQLError(first.message, { extensions: isErrorCode(code) ? { ...first.extensions, code } : { code: 'INTERNAL_SERVER_ERROR' } });
  }
  const closeCode = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'none';
  return new GraphQLError(`The ${subgraph} service ended the subscription (close ${closeCode}); subscribe again.`, {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
}
