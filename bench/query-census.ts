/**
 * Counts the MySQL statements this process sends (mysql2's diagnostics channels, so nothing is
 * patched) grouped by statement shape, and reads the server-wide counters that include every
 * other client: MariaDB's `Questions` and Redis's commands processed.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

export interface QueryCensus {
  seconds: number;
  total: number;
  /** Statements per shape (literals, numbers and schema names folded). */
  shapes: Map<string, number>;
}

interface QueryContext {
  query?: unknown;
}

/** A statement with what differs between tenants and calls folded away, so one shape is one kind of statement. */
export function statementShape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/tenant_[a-z0-9_]+/g, 'tenant_…')
    .replace(/tessera_test_[0-9a-f]+/g, 'tessera_test_…')
    .replace(/\b\d+(\.\d+)?\b/g, 'N')
    .trim()
    .slice(0, 140);
}

/** Counts this process's statements for `ms`. */
export async function countQueries(ms: number): Promise<QueryCensus> {
  const shapes = new Map<string, number>();
  let total = 0;
  const onStart = (message: unknown) => {
    total += 1;
    const query = (message as QueryContext).query;
    const shape = typeof query === 'string' ? statementShape(query) : '(unknown)';
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  };
  // The start events of mysql2's tracing channels `mysql2:query` and `mysql2:execute`.
  const channels = ['tracing:mysql2:query:start', 'tracing:mysql2:execute:start'];
  for (const channel of channels) subscribe(channel, onStart);
  const started = performance.now();
  try {
    await sleep(ms);
  } finally {
    for (const channel of channels) unsubscribe(channel, onStart);
  }
  return { seconds: (performance.now() - started) / 1000, total, shapes };
}

/** MariaDB's statement counter (every client of the server, this one's reads included). */
export async function mysqlQuestions(adminQuery: <T>(sql: string) => Promise<T>): Promise<number> {
  const rows = await adminQuery<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number(rows[0]?.Value ?? NaN);
}

/** Redis's `total_commands_processed` (every client of the server). */
export async function redisCommands(redis: Redis): Promise<number> {
  const match = /total_commands_processed:(\d+)/.exec(await redis.info('stats'));
  return Number(match?.[1] ?? NaN);
}
