import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { internalContextHeader } from '@tessera/auth';
import { errors, isTesseraError } from '@tessera/errors';
import { injectTraceHeaders } from '@tessera/telemetry';
import { sendError } from './http-errors';
import { releaseWithResponse } from './release-with-response';
import type { SubgraphAgents } from './subgraph-tls';
import { watchTransferPace, type PaceWatch, type TransferPace } from './transfer-pace';

const fileId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The caller's internal context, and where the bytes served to it are counted. */
export interface AuthorizedDownload {
  token: string;
  /** Called with each chunk's size of a successful (2xx) answer as it is streamed. */
  countBytes(bytes: number): void;
  /** Gives the tenant's transfer slot back. */
  release(): void;
  /**
   * Throws FORBIDDEN (or UNAUTHENTICATED) once the caller may no longer read the file: its tenant
   * suspended or erased, its API key revoked or deleted, its membership changed. Asked every
   * `recheckIntervalMs` while the file streams.
   */
  stillAllowed?(): Promise<void>;
}

export interface DownloadProxyOptions {
  /** Base URL (https) by subgraph name. */
  targets: Map<string, string>;
  /** The mutual-TLS pools to the subgraphs. */
  agents: SubgraphAgents;
  /** How long a client may take nothing of the file before the download is cut (and its connection to the subgraph freed). */
  idleTimeoutMs: number;
  /** How fast the client must take the file on average, and for how long at most (see transfer-pace.ts). */
  pace: TransferPace;
  /** Authenticates the caller, takes one of its tenant's transfer slots and signs its context for `subgraph`. */
  authorize(req: Request, subgraph: string): Promise<AuthorizedDownload>;
  /** How often a streaming download asks `stillAllowed` (the pace of the subscriptions' re-check). */
  recheckIntervalMs?: number | undefined;
}

/**
 * GET /downloads/:service/:id — the mirror of the upload proxy: authenticates the caller like any
 * GraphQL request, then streams the owning subgraph's `/internal/downloads/:id` answer (decrypted
 * file bytes, or a typed error) back unchanged, without buffering. A HEAD is sent on as a HEAD (the
 * file's headers only: nothing read, metered or audited as a download).
 */
export function downloadProxy(options: DownloadProxyOptions) {
  return async (req: Request, res: Response) => {
    try {
      const service = String(req.params['service']);
      const base = options.targets.get(service);
      const id = String(req.params['id']);
      if (!base) throw errors.notFound('Download target', service);
      if (!fileId.test(id)) throw errors.badInput('The download id is not valid.', { field: 'id' });
      const { token, countBytes, release, stillAllowed } = await options.authorize(req, service);
      // The slot is the tenant's until the file is out; a client already gone gets nothing.
      if (!releaseWithResponse(res, release)) return;
      await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        let pace: PaceWatch | undefined;
        let recheck: NodeJS.Timeout | undefined;
        const stopWatching = () => {
          clearTimeout(idle);
          clearInterval(recheck);
          pace?.stop();
        };
        // A HEAD stays a HEAD: the subgraph answers the file's headers without reading the file.
        const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
        const upstream = httpsRequest(`${base}/internal/downloads/${id}`, { method, headers: { [internalContextHeader]: token, ...injectTraceHeaders({}) }, agent: options.agents.agent(service) }, (reply) => {
          res.status(reply.statusCode ?? 502);
          for (const header of ['content-type', 'content-length', 'content-disposition', 'x-content-sha256']) {
            const value = reply.headers[header];
            if (typeof value === 'string') res.setHeader(header, value);
          }
          // From here the pace is the client's, and the stream holds a connection of the pool all
          // tenants share (and at the subgraph an object-store connection and a decrypting
          // stream): a client that takes nothing for idleTimeoutMs, or takes the file slower than
          // the pace, loses the download. The answer has begun, so no status can be sent any more:
          // the connection is destroyed, and the client sees a body short of its Content-Length;
          // the subgraph sees its request gone and releases what it held.
          const cut = () => {
            stopWatching();
            upstream.destroy();
            res.destroy();
          };
          idle = setTimeout(cut, options.idleTimeoutMs);
          const timer = idle;
          // What the client has taken: the bytes handed to its response less those still queued
          // there. `pipe` reads the subgraph only as the response accepts, so a client that stops
          // reading shows here once the kernel's buffers towards it are full (a few MiB at most,
          // credited once: beyond the kernel nothing tells what the client has read).
          let handed = 0;
          pace = watchTransferPace(options.pace, () => Math.max(0, handed - res.writableLength), cut);
          // A download is as long-lived as a subscription (minutes at the slowest pace allowed):
          // the caller's right to the file is asked again while it streams, like an open socket's,
          // so a suspended or erased tenant, a revoked or deleted key or a changed membership stops
          // reading the tenant's bytes. Only a definite refusal cuts it; a database hiccup does not.
          if (stillAllowed && options.recheckIntervalMs && method === 'GET') {
            recheck = setInterval(() => {
              stillAllowed().catch((error: unknown) => {
                if (isTesseraError(error) && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED')) cut();
              });
            }, options.recheckIntervalMs);
            recheck.unref();
          }
          reply.on('data', (chunk: Buffer) => {
            handed += chunk.length;
            timer.refresh();
          });
          res.on('drain', () => timer.refresh());
          res.once('finish', stopWatching);
          // Counted as they pass, so a download cut short is metered for what was actually sent.
          if ((reply.statusCode ?? 502) < 300) reply.on('data', (chunk: Buffer) => countBytes(chunk.length));
          reply.pipe(res);
          reply.on('end', resolve);
          reply.on('error', reject);
        });
        upstream.on('error', reject);
        res.on('close', () => {
          stopWatching();
          upstream.destroy();
        });
        upstream.end();
      });
    } catch (error) {
      sendError(res, error);
    }
  };
}
