import { Redis, type RedisOptions } from 'ioredis';
import { redisConnectionOptions, resubscribeAfterReconnect, subscriberConnectionOptions, type RedisConfig } from '@tessera/config';
import { BoundedEventQueue, type OverflowPolicy } from './bounded-event-queue';
import { tenantChannel, type EventTopic } from './event-channel';

export interface SubscribeOptions {
  /** Events buffered for this subscriber before the overflow policy applies (default 256). */
  bufferSize?: number;
  overflow?: OverflowPolicy;
}

/** A live stream of one tenant's events on one topic; `return()` unsubscribes. */
export interface EventSubscription<T> extends AsyncIterableIterator<T> {
  /**
   * Resolves once Redis confirmed the SUBSCRIBE: events published after this are delivered.
   * Await it before reading a snapshot (e.g. a job's row) so no event falls between the two.
   */
  readonly ready: Promise<void>;
}

export interface EventBus {
  /** Publishes to every subscriber of (tenant, topic) on any replica; resolves with the number of receiving connections. */
  publish(tenantId: string, topic: EventTopic, payload: object): Promise<number>;
  subscribe<T = Record<string, unknown>>(tenantId: string, topic: EventTopic, options?: SubscribeOptions): EventSubscription<T>;
  /** Ends every open subscription and closes both Redis connections. */
  close(): Promise<void>;
}

const defaultBufferSize = 256;

interface ChannelState {
  queues: Set<BoundedEventQueue<unknown>>;
  subscribed: Promise<void>;
}

/**
 * Redis pub/sub per tenant. One connection publishes; one connection per bus (one bus per
 * process) carries every subscription of the process, multiplexed by channel: a thousand
 * subscribers cost one socket. Both connect on first use, so a process that never publishes
 * or subscribes opens nothing. ioredis reconnects after a Redis restart and the bus subscribes to
 * its channels again (resubscribeAfterReconnect; a refusal fails those subscribers instead of ending
 * the process). Events published while Redis was down are lost: pub/sub is not a queue; job state
 * lives in MySQL.
 */
export function createEventBus(redis: RedisConfig): EventBus {
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  let closed = false;
  const channels = new Map<string, ChannelState>();

  const connect = (name: string, extra: RedisOptions = {}) =>
    new Redis(redis.url, {
      ...redisConnectionOptions(redis),
      connectionName: `${redis.keyPrefix}:${name}`,
      // Fail a command after a few reconnect attempts instead of queueing forever.
      maxRetriesPerRequest: 3,
      ...extra,
    });

  const subscriberConnection = (): Redis => {
    if (subscriber) return subscriber;
    // No ready check (INFO) on the subscriber: a SUBSCRIBE issued while the connection is being
    // established can reach Redis before ioredis's INFO, which Redis then refuses ("Connection in
    // subscriber mode") and ioredis fails the SUBSCRIBE with it (redis/ioredis#2037). The check
    // only waits for a Redis still loading its dataset, which pub/sub does not read.
    const connection = connect('events-subscriber', { enableReadyCheck: false, ...subscriberConnectionOptions });
    resubscribeAfterReconnect(connection, () => [...channels.keys()], (error, refused) => {
      for (const channel of refused) for (const queue of channels.get(channel)?.queues ?? []) queue.fail(error);
    });
    connection.on('message', (channel: string, message: string) => {
      const state = channels.get(channel);
      if (!state) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        return; // not ours: every publisher here sends JSON
      }
      for (const queue of state.queues) queue.push(payload);
    });
    connection.on('error', () => undefined); // reconnects by itself; subscribers see nothing until it is back
    subscriber = connection;
    return connection;
  };

  const release = (channel: string, queue: BoundedEventQueue<unknown>) => {
    const state = channels.get(channel);
    if (!state || !state.queues.delete(queue) || state.queues.size > 0) return;
    channels.delete(channel);
    // The connection processes commands in order: a later SUBSCRIBE of the same channel comes after this.
    if (!closed) subscriber?.unsubscribe(channel).catch(() => undefined);
  };

  return {
    async publish(tenantId, topic, payload) {
      if (closed) throw new Error('the event bus is closed');
      const channel = tenantChannel(redis.keyPrefix, tenantId, topic);
      if (!publisher) {
        publisher = connect('events-publisher');
        publisher.on('error', () => undefined);
      }
      return publisher.publish(channel, JSON.stringify(payload));
    },

    subscribe<T>(tenantId: string, topic: EventTopic, options: SubscribeOptions = {}): EventSubscription<T> {
      if (closed) throw new Error('the event bus is closed');
      const channel = tenantChannel(redis.keyPrefix, tenantId, topic);
      const queue: BoundedEventQueue<unknown> = new BoundedEventQueue<unknown>({
        capacity: Math.max(1, options.bufferSize ?? defaultBufferSize),
        overflow: options.overflow ?? 'error',
        onEnd: () => release(channel, queue),
      });
      let state = channels.get(channel);
      if (!state) {
        const connection = subscriberConnection();
        state = { queues: new Set(), subscribed: connection.subscribe(channel).then(() => undefined) };
        channels.set(channel, state);
      }
      state.queues.add(queue);
      const ready = state.subscribed.catch((error: unknown) => {
        queue.fail(error);
        throw error;
      });
      ready.catch(() => undefined); // the failure reaches the consumer through next()
      return Object.assign(queue as unknown as BoundedEventQueue<T>, { ready }) as EventSubscription<T>;
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const state of channels.values()) for (const queue of state.queues) queue.end();
      channels.clear();
      await Promise.all([publisher, subscriber].map((connection) => connection?.quit().catch(() => connection.disconnect())));
    },
  };
}
