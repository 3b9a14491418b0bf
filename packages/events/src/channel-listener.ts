import { Redis } from 'ioredis';
import { redisConnectionOptions, resubscribeAfterReconnect, subscriberConnectionOptions, type RedisConfig } from '@tessera/config';

export interface ChannelListenerOptions {
  /** The connection's name (CLIENT SETNAME), after the key prefix. */
  name: string;
  channel: string;
  onMessage: (message: string) => void;
  /**
   * Called when the subscription is back after an interruption (a reconnect): messages published
   * meanwhile were lost, so the listener must assume it missed some.
   */
  onResubscribed: () => void;
  /** The subscription was refused (or Redis was unreachable at start). */
  onRefused: (error: unknown) => void;
}

export interface ChannelListener {
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One Redis connection subscribed to one platform-wide channel (announcements such as a tenant's
 * changed record). Subscribed again after every reconnect, which is reported, since what was
 * published in between is gone.
 */
export function createChannelListener(redis: RedisConfig, options: ChannelListenerOptions): ChannelListener {
  const client = new Redis(redis.url, { ...redisConnectionOptions(redis), ...subscriberConnectionOptions, connectionName: `${redis.keyPrefix}:${options.name}`, lazyConnect: true });
  client.on('error', () => undefined); // reconnects by itself
  let connectedOnce = false;
  client.on('message', (channel: string, message: string) => {
    if (channel === options.channel) options.onMessage(message);
  });
  client.on('ready', () => {
    if (connectedOnce) options.onResubscribed();
    connectedOnce = true;
  });
  resubscribeAfterReconnect(client, () => [options.channel], (error) => options.onRefused(error));
  return {
    async start() {
      try {
        await client.connect();
        await client.subscribe(options.channel);
      } catch (error) {
        // Whatever is published until the connection is back is missed: its next ready reports it.
        connectedOnce = true;
        options.onRefused(error);
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
