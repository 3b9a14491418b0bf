import { redisConnectionOptions } from '@tessera/config';
import { redisAccountFromEnvironment, redisConfigAs } from '@tessera/redis-acl';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createEventBus, type EventBus, type EventSubscription } from '../src';

// The local Redis has its ACL on: these tests talk to it directly, as its admin (or REDIS_URL without ACL).
const account = redisAccountFromEnvironment();
const redisUrl = account.url;
// The CA of a rediss:// Redis (the local one: the local CA), as a deployment's REDIS_TLS_CA_FILE.
const tls = { tlsCaFile: account.tlsCaFile };

/** Reads `count` items, or fails the test if they do not arrive (a stuck stream must not hang jest). */
async function take<T>(subscription: EventSubscription<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  while (items.length < count) {
    const next = await subscription.next();
    if (next.done) break;
    items.push(next.value);
  }
  return items;
}

async function subscriberChannels(prefix: string): Promise<string[]> {
  const admin = new Redis(redisUrl, redisConnectionOptions(account));
  try {
    return ((await admin.pubsub('CHANNELS', `${prefix}:*`)) as string[]).sort();
  } finally {
    admin.disconnect();
  }
}

describe('event bus (real Redis)', () => {
  let keyPrefix: string;
  let bus: EventBus;
  let publisherBus: EventBus;

  beforeEach(() => {
    keyPrefix = `ttest-${randomBytes(4).toString('hex')}`;
    bus = createEventBus({ url: redisUrl, keyPrefix, ...tls });
    // A second bus stands in for another process (the worker) publishing.
    publisherBus = createEventBus({ url: redisUrl, keyPrefix, ...tls });
  });
  afterEach(async () => {
    await bus.close();
    await publisherBus.close();
  });

  it('delivers a tenant\'s events on its channel, and never another tenant\'s or another topic\'s', async () => {
    const acme = bus.subscribe<{ n: number; tenant: string }>('acme', 'jobs');
    const globex = bus.subscribe<{ n: number; tenant: string }>('globex', 'jobs');
    await Promise.all([acme.ready, globex.ready]);
    expect(await subscriberChannels(keyPrefix)).toEqual([`${keyPrefix}:tenant:acme:jobs`, `${keyPrefix}:tenant:globex:jobs`]);

    for (let n = 0; n < 20; n++) {
      await Promise.all([
        publisherBus.publish('acme', 'jobs', { n, tenant: 'acme' }),
        publisherBus.publish('globex', 'jobs', { n, tenant: 'globex' }),
        publisherBus.publish('acme', 'alerts', { n, tenant: 'acme-alerts' }),
      ]);
    }
    const acmeEvents = await take(acme, 20);
    const globexEvents = await take(globex, 20);
    expect(acmeEvents.map((e) => e.tenant)).toEqual(Array(20).fill('acme'));
    expect(acmeEvents.map((e) => e.n)).toEqual([...Array(20).keys()]);
    expect(globexEvents.map((e) => e.tenant)).toEqual(Array(20).fill('globex'));
  });

  it('multiplexes subscribers of one channel over one SUBSCRIBE, and unsubscribes after the last return()', async () => {
    const first = bus.subscribe('acme', 'jobs');
    const second = bus.subscribe('acme', 'jobs');
    await Promise.all([first.ready, second.ready]);
    expect(await publisherBus.publish('acme', 'jobs', { n: 1 })).toBe(1); // one receiving connection for both
    expect(await take(first, 1)).toEqual([{ n: 1 }]);
    expect(await take(second, 1)).toEqual([{ n: 1 }]);

    await first.return!();
    expect(await publisherBus.publish('acme', 'jobs', { n: 2 })).toBe(1);
    expect(await take(second, 1)).toEqual([{ n: 2 }]);
    expect(await first.next()).toEqual({ value: undefined, done: true });

    await second.return!();
    let channels = await subscriberChannels(keyPrefix);
    for (let i = 0; i < 50 && channels.length > 0; i++) channels = await subscriberChannels(keyPrefix);
    expect(channels).toEqual([]);
    expect(await publisherBus.publish('acme', 'jobs', { n: 3 })).toBe(0);
  });

  it('a slow consumer whose buffer overflows gets SLOW_CONSUMER and the others keep receiving', async () => {
    const slow = bus.subscribe('acme', 'jobs', { bufferSize: 3 });
    const fast = bus.subscribe('acme', 'jobs', { bufferSize: 100 });
    await Promise.all([slow.ready, fast.ready]);
    for (let n = 0; n < 10; n++) await publisherBus.publish('acme', 'jobs', { n });
    expect((await take(fast, 10)).length).toBe(10);
    await expect(slow.next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', extensions: { reason: 'SLOW_CONSUMER' } });
    await publisherBus.publish('acme', 'jobs', { n: 10 });
    expect(await take(fast, 1)).toEqual([{ n: 10 }]);
  });

  it('refuses malformed tenant ids and unknown topics instead of naming a shared channel', async () => {
    await expect(bus.publish('acme:tenant:globex', 'jobs', {})).rejects.toThrow(/malformed tenant id/);
    expect(() => bus.subscribe('*', 'jobs')).toThrow(/malformed tenant id/);
    expect(() => bus.subscribe('acme', 'everything' as 'jobs')).toThrow(/unknown event topic/);
  });

  it('close() ends open subscriptions', async () => {
    const sub = bus.subscribe('acme', 'alerts');
    await sub.ready;
    const pending = sub.next();
    await bus.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    await expect(bus.publish('acme', 'alerts', {})).rejects.toThrow(/closed/);
  });

  it('subscriptions opened while the subscriber connection is still being established all succeed and receive', async () => {
    // Fresh buses, so every round races SUBSCRIBEs against the connection handshake: without the
    // subscriber's ready check disabled, ioredis fails some of them ("Connection in subscriber mode").
    const failures: unknown[] = [];
    for (let round = 0; round < 30; round++) {
      const fresh = createEventBus({ url: redisUrl, keyPrefix, ...tls });
      try {
        const subscriptions = await Promise.all(
          Array.from({ length: 10 }, (_, n) =>
            new Promise<void>((resolve) => setTimeout(resolve, (n * (round % 5)) / 4)).then(() => fresh.subscribe<{ n: number }>(`tenant${n}`, 'jobs')),
          ),
        );
        const settled = await Promise.allSettled(subscriptions.map((s) => s.ready));
        failures.push(...settled.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])));
        if (failures.length > 0) break;
        await Promise.all(subscriptions.map((_, n) => publisherBus.publish(`tenant${n}`, 'jobs', { n })));
        expect(await Promise.all(subscriptions.map(async (s) => (await take(s, 1))[0]?.n))).toEqual([...Array(10).keys()]);
      } finally {
        await fresh.close();
      }
    }
    expect(failures).toEqual([]);
  });

  /** The admin's view of the bus's subscriber connection (its client id), once it is connected. */
  async function subscriberClientId(prefix: string): Promise<string | undefined> {
    const admin = new Redis(redisUrl, redisConnectionOptions(account));
    try {
      const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      return /id=(\d+) .*name=(\S+)/.exec(list.split('\n').find((line) => line.includes(`name=${prefix}:events-subscriber `)) ?? '')?.[1];
    } finally {
      admin.disconnect();
    }
  }

  it('after its connection is dropped, the bus subscribes its channels again and events arrive', async () => {
    const subscription = bus.subscribe<{ n: number }>('acme', 'jobs');
    await subscription.ready;
    const before = await subscriberClientId(keyPrefix);
    expect(before).toBeDefined();
    const admin = new Redis(redisUrl, redisConnectionOptions(account));
    try {
      await admin.call('CLIENT', 'KILL', 'ID', before!);
    } finally {
      admin.disconnect();
    }
    // Subscribed again on a new connection: the channel is back, and an event published now arrives.
    for (let i = 0; i < 100 && (await subscriberChannels(keyPrefix)).length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscriberChannels(keyPrefix)).toEqual([`${keyPrefix}:tenant:acme:jobs`]);
    expect(await subscriberClientId(keyPrefix)).not.toBe(before);
    await publisherBus.publish('acme', 'jobs', { n: 7 });
    expect(await take(subscription, 1)).toEqual([{ n: 7 }]);
    subscription.return?.();
  });

  it('a subscription Redis refuses after a reconnect fails its subscribers with the refusal, and the process goes on', async () => {
    // A user of its own, whose channels the admin takes away: Redis then drops its subscriber connection.
    const user = `ttest-events-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(16).toString('hex');
    const admin = new Redis(redisUrl, redisConnectionOptions(account));
    let restricted: EventBus | undefined;
    try {
      await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${keyPrefix}:*`, `&${keyPrefix}:*`, '+@all');
      restricted = createEventBus(redisConfigAs({ url: redisUrl, keyPrefix, ...tls }, user, password));
      const subscription = restricted.subscribe<{ n: number }>('acme', 'jobs');
      await subscription.ready;
      await admin.call('ACL', 'SETUSER', user, 'resetchannels');
      await expect(subscription.next()).rejects.toThrow(/NOPERM/);
    } finally {
      await restricted?.close();
      await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
      admin.disconnect();
    }
  });
});
