import type { Express } from 'express';
import type { DataSource } from 'typeorm';

/** `/_health` (the process is up) and `/_readiness` (its database answers), the same for every service. */
export function mountHealthRoutes(app: Express, service: string, db: DataSource): void {
  app.get('/_health', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/_readiness', async (_req, res) => {
    try {
      await db.query('SELECT 1');
      res.json({ status: 'ready', service });
    } catch {
      res.status(503).json({ status: 'not ready', service });
    }
  });
}
