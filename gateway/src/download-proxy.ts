import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { internalContextHeader } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { injectTraceHeaders } from '@tessera/telemetry';
import { sendError } from './http-errors';
import { releaseWithResponse } from './release-with-response';
import type { SubgraphAgents } from './subgraph-tls';

const fileId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The caller's internal context, and where the bytes served to it are counted. */
export interface AuthorizedDownload {
  token: string;
  /** Called with each chunk's size of a successful (2xx) answer as it is streamed. */
  countBytes(bytes: number): void;
  /** Gives the tenant's transfer slot back. */
  release(): void;
}

export interface DownloadProxyOptions {
  /** Base URL (https) by subgraph name. */
  targets: Map<string, string>;
  /** The mutual-TLS pools to the subgraphs. */
  agents: SubgraphAgents;
  /** How long a client may take nothing of the file before the download is cut (and its connection to the subgraph freed). */
  idleTimeoutMs: number;
  /** Authenticates the caller, takes one of its tenant's transfer slots and signs its context for `subgraph`. */
  authorize(req: Request, subgraph: string): Promise<AuthorizedDownload>;
}

/**
 * GET /downloads/:service/:id — the mirror of the upload proxy: authenticates the caller like any
 * GraphQL request, then streams the owning subgraph's `/internal/downloads/:id` answer (decrypted
 * file bytes, or a typed error) back unchanged, without buffering.
 */
export function downloadProxy(options: DownloadProxyOptions) {
  return async (req: Request, res: Response) => {
    try {
      const service = String(req.params['service']);
      const base = options.targets.get(service);
      const id = String(req.params['id']);
      if (!base) throw errors.notFound('Download target', service);
      if (!fileId.test(id)) throw errors.badInput('The download id is not valid.', { field: 'id' });
      const { token, countBytes, release } = await options.authorize(req, service);
      // The slot is the tenant's until the file is out; a client already gone gets nothing.
      if (!releaseWithResponse(res, release)) return;
      await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const upstream = httpsRequest(`${base}/internal/downloads/${id}`, { method: 'GET', headers: { [internalContextHeader]: token, ...injectTraceHeaders({}) }, agent: options.agents.agent(service) }, (reply) => {
          res.status(reply.statusCode ?? 502);
          for (const header of ['content-type', 'content-length', 'content-disposition', 'x-content-sha256']) {
            const value = reply.headers[header];
            if (typeof value === 'string') res.setHeader(header, value);
          }
          // From here the pace is the client's, and the stream holds a connection of the pool all
          // tenants share: a client that takes nothing for idleTimeoutMs loses the download.
          idle = setTimeout(() => {
            upstream.destroy();
            res.destroy();
          }, options.idleTimeoutMs);
          const timer = idle;
          reply.on('data', () => timer.refresh());
          res.on('drain', () => timer.refresh());
          res.once('finish', () => clearTimeout(timer));
          // Counted as they pass, so a download cut short is metered for what was actually sent.
          if ((reply.statusCode ?? 502) < 300) reply.on('data', (chunk: Buffer) => countBytes(chunk.length));
          reply.pipe(res);
          reply.on('end', resolve);
          reply.on('error', reject);
        });
        upstream.on('error', reject);
        res.on('close', () => {
          clearTimeout(idle);
          upstream.destroy();
        });
        upstream.end();
      });
    } catch (error) {
      sendError(res, error);
    }
  };
}
