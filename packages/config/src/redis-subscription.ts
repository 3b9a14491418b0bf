/** The part of an ioredis client the resubscription needs (this package does not depend on ioredis). */
export interface SubscribingClient {
  on(event: 'ready', listener: () => void): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
}

/**
 * Connection options for a subscriber. ioredis's own resubscription after a reconnect drops its
 * promise: a SUBSCRIBE that Redis refuses then (an ACL that no longer grants the channel) becomes an
 * unhandled rejection, which ends a Node process. resubscribeAfterReconnect does it instead.
 */
export const subscriberConnectionOptions = { autoResubscribe: false } as const;

/**
 * Whenever `client` is (re)connected, subscribes it to `channels()`: after a reconnect, and on a
 * first connection that came late (Redis was down when the owner subscribed). A SUBSCRIBE of a
 * channel the connection already has changes nothing, so the owner's own first SUBSCRIBE may
 * overlap. A refusal goes to `onRefused` instead of ending the process.
 */
export function resubscribeAfterReconnect(client: SubscribingClient, channels: () => readonly string[], onRefused: (error: unknown, channels: readonly string[]) => void): void {
  client.on('ready', () => {
    const list = channels();
    if (list.length === 0) return;
    client.subscribe(...list).catch((error: unknown) => onRefused(error, list));
  });
}
