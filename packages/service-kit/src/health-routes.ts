import type { Express } from 'express';
import type { DataSource } from 'typeorm';

/** How long one readiness answer is reused: probes come every few seconds, anyone may ask. */
export const readinessReuseMs = 1_000;

/**
 * Liveness and readiness, unauthenticated as probes need them. Readiness asks the database, so
 * it is asked at most once per `readinessReuseMs` however many requests arrive: the route is open
 * to anyone who reaches the port, and each answer used to take a connection of the service's pool.
 */
export function mountHealthRoutes(app: Express, service: string, db: Pick<DataSource, 'query'>): void {
  const readiness = sharedReadiness(db);
  app.get('/_health', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/_readiness', async (_req, res) => {
    if (await readiness()) res.json({ status: 'ready', service });
    else res.status(503).json({ status: 'not ready', service });
  });
}

function sharedReadiness(db: Pick<DataSource, 'query'>): () => Promise<boolean> {
  return sharedProbe(() =>
    db.query('SELECT 1').then(
      () => true,
      () => false,
    ),
  );
}

/**
 * `probe`'s answer shared by every caller for `reuseMs` from the moment it was asked (a probe still
 * running is joined, not asked again): for routes anyone who reaches the port may call, so a flood
 * of requests costs one question per `reuseMs`, not one per request.
 */
export function sharedProbe<T>(probe: () => Promise<T>, reuseMs: number = readinessReuseMs): () => Promise<T> {
  let last: { answer: Promise<T>; atMs: number } | undefined;
  return () => {
    if (!last || Date.now() - last.atMs >= reuseMs) {
      const answer = probe();
      answer.catch(() => undefined); // a caller may come after it failed; no unhandled rejection meanwhile
      last = { answer, atMs: Date.now() };
    }
    return last.answer;
  };
}
