import { createServer, type Server } from 'node:http';
import type { RingSignals } from '@tessera/job-queue';
import { sharedProbe } from '@tessera/service-kit';

/**
 * `/_health` (process up) and `/_readiness` (MySQL and Redis answer), for container health checks;
 * `/_scaling`: this worker's own ring's signals (counts only, no tenant id), read with its own
 * Redis user, for an autoscaler (KEDA's metrics-api scaler). Plain HTTP on LISTEN_HOST: reachable
 * only where the operator exposes it (loopback by default; in Kubernetes, the cluster network).
 * Whoever reaches the port may ask, so each answer is shared for a second (`sharedProbe`): a
 * flood of requests asks the database, Redis and the ring's queues once a second, where each
 * request used to take a connection of the worker's pool (which its jobs need) and read five keys
 * per tenant of the ring from the Redis every tenant shares.
 */
export async function startHealthServer(port: number, host: string, db: { query(sql: string): Promise<unknown> }, redis: { ping(): Promise<string> }, signals: () => Promise<RingSignals>): Promise<Server> {
  const readiness = sharedProbe(() =>
    Promise.all([db.query('SELECT 1'), redis.ping()]).then(
      () => true,
      () => false,
    ),
  );
  const scaling = sharedProbe(signals);
  const server = createServer((req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/_health') return reply(200, { status: 'ok', service: 'worker' });
    if (req.url === '/_readiness') {
      void readiness().then((ready) => (ready ? reply(200, { status: 'ready', service: 'worker' }) : reply(503, { status: 'not ready', service: 'worker' })));
      return;
    }
    if (req.url === '/_scaling') {
      scaling().then(
        (ring) => reply(200, ring),
        () => reply(503, { status: 'not ready', service: 'worker' }),
      );
      return;
    }
    reply(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
