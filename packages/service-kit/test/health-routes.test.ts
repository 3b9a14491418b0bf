import express from 'express';
import type { DataSource } from 'typeorm';
import { startTestStack, type TestStack } from '@tessera/testing';
import { listen, mountHealthRoutes, type RunningHttpServer } from '../src';
import { readinessReuseMs } from '../src/health-routes';

jest.setTimeout(60_000);

/** The probes' routes on a real database: readiness asks it once per second at most, whoever asks. */
describe('health routes', () => {
  let stack: TestStack;
  let server: RunningHttpServer;
  let questions = 0;
  let failing = false;

  beforeAll(async () => {
    stack = await startTestStack();
    const db: DataSource = stack.platform.runtime.db;
    // The real pool, counted; `failing` asks a table that is not there (the database says no).
    const counted = { query: (sql: string) => ((questions += 1), db.query(failing ? 'SELECT 1 FROM no_such_table_here' : sql)) } as Pick<DataSource, 'query'>;
    const app = express();
    mountHealthRoutes(app, 'probe-test', counted);
    server = await listen(app, 0);
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  const ask = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, body: (await response.json()) as { status: string } };
  };

  it('answers a flood of readiness requests with one database question per second', async () => {
    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 200 }, () => ask('/_readiness')));
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.body.status}`))).toEqual(new Set(['200 ready']));
    // One question per second of the flood: on a loaded machine 200 requests can take more than a second to send.
    expect(questions).toBeLessThanOrEqual(1 + Math.floor((Date.now() - startedAt) / readinessReuseMs));
    await new Promise((resolve) => setTimeout(resolve, readinessReuseMs + 100));
    failing = true;
    const before = questions;
    expect(await ask('/_readiness')).toEqual({ status: 503, body: { status: 'not ready', service: 'probe-test' } });
    expect(questions).toBe(before + 1);
    expect(await ask('/_health')).toEqual({ status: 200, body: { status: 'ok', service: 'probe-test' } });
    expect(questions).toBe(before + 1);
  });
});
