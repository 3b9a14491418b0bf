import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { openRedis, readRingSignals, sharedPool, type RingSignals } from '@tessera/job-queue';
import { startTestStack, type TestStack } from '@tessera/testing';
import { startHealthServer } from '@tessera/workers';

jest.setTimeout(120_000);

/**
 * A worker's probe port (`/_readiness`, `/_scaling`) answers anyone who reaches it: a flood of
 * requests must not become a flood of database questions (each takes a connection of the
 * worker's pool, which its jobs need) nor of Redis reads (`/_scaling` costs five commands per
 * tenant of the ring, on the Redis every tenant shares).
 */
describe('worker health server', () => {
  let stack: TestStack;
  let redis: Redis;
  let server: Server;
  let url: string;
  const asked = { db: 0, ping: 0, signals: 0 };
  let failing = false;

  beforeAll(async () => {
    stack = await startTestStack();
    const db: DataSource = stack.platform.runtime.db;
    redis = openRedis(await stack.workers.redis(), 'health-test', 'request');
    const prefix = stack.config.redis.keyPrefix;
    const countedDb = { query: (sql: string) => ((asked.db += 1), db.query(failing ? 'SELECT 1 FROM no_such_table_here' : sql)) };
    const countedRedis = { ping: () => ((asked.ping += 1), redis.ping()) };
    const signals = (): Promise<RingSignals> => ((asked.signals += 1), readRingSignals(redis, prefix, sharedPool(stack.config.regions[0]!)));
    server = await startHealthServer(0, '127.0.0.1', countedDb, countedRedis, signals);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    redis?.disconnect();
    await stack?.stop();
  });

  const ask = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers a flood of readiness and scaling requests with one question of each per second', async () => {
    const startedAt = Date.now();
    const [ready, scaling] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, () => ask('/_readiness'))),
      Promise.all(Array.from({ length: 200 }, () => ask('/_scaling'))),
    ]);
    expect(new Set(ready.map((a) => `${a.status} ${String(a.body['status'])}`))).toEqual(new Set(['200 ready']));
    expect(new Set(scaling.map((a) => `${a.status} ${String(a.body['ring'])}`))).toEqual(new Set([`200 shared-${stack.config.regions[0]!}`]));
    // One question per second of the flood (a loaded machine may take more than a second to send 400 requests).
    const seconds = 1 + Math.floor((Date.now() - startedAt) / 1_000);
    for (const count of Object.values(asked)) expect(count).toBeLessThanOrEqual(seconds);
    expect(asked.db).toBe(asked.ping);

    // A second later the probes ask again, and a failing database is reported.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    failing = true;
    expect(await ask('/_readiness')).toEqual({ status: 503, body: { status: 'not ready', service: 'worker' } });
    const afterFailure = asked.db;
    expect(await ask('/_health')).toEqual({ status: 200, body: { status: 'ok', service: 'worker' } });
    expect(asked.db).toBe(afterFailure);
  });
});
