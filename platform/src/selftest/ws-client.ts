/**
 * Just enough of the graphql-transport-ws protocol to open one subscription and record what comes
 * back within a window: the self-test needs to see every frame (including a refusal's close code),
 * not a client library's retries.
 */
import WebSocket from 'ws';
import type { GraphQLError } from './http-client';

export interface SubscriptionOutcome {
  /** `next` payloads, as received. */
  events: unknown[];
  errors: GraphQLError[];
  completed: boolean;
  /** Set when the server closed the socket (e.g. 4401 for a refused `connection_init`). */
  closeCode?: number;
  closeReason?: string;
  acknowledged: boolean;
}

export function subscribeOnce(
  wsUrl: string,
  bearer: string | undefined,
  query: string,
  variables: Record<string, unknown>,
  options: { ca?: string | undefined; windowMs: number; whileOpen?: () => Promise<void> },
): Promise<SubscriptionOutcome> {
  return new Promise((resolve) => {
    const outcome: SubscriptionOutcome = { events: [], errors: [], completed: false, acknowledged: false };
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', options.ca ? { ca: options.ca } : {});
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(finish, options.windowMs);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {} })));
    socket.on('message', (data) => {
      let message: { type?: string; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'connection_ack') {
        outcome.acknowledged = true;
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        // What should not reach this subscriber happens now (e.g. the other tenant's job changes).
        if (options.whileOpen) void options.whileOpen().catch(() => undefined);
      } else if (message.type === 'next') {
        outcome.events.push(message.payload);
        const payload = message.payload as { errors?: GraphQLError[] } | undefined;
        if (payload?.errors) outcome.errors.push(...payload.errors);
      } else if (message.type === 'error') {
        outcome.errors.push(...((message.payload as GraphQLError[] | undefined) ?? []));
        finish();
      } else if (message.type === 'complete') {
        outcome.completed = true;
        finish();
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    });
    socket.on('close', (code, reason) => {
      outcome.closeCode = code;
      outcome.closeReason = reason.toString('utf8');
      finish();
    });
    socket.on('error', (error) => {
      outcome.closeReason = error.message;
      finish();
    });
  });
}
