import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { internalContextHeader } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { injectTraceHeaders } from '@tessera/telemetry';
import { sendError } from './http-errors';
import { assertIdentityEncoding } from './request-body';
import type { SubgraphAgents } from './subgraph-tls';

const uploadId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadProxyOptions {
  /** Base URL (https) by subgraph name. */
  targets: Map<string, string>;
  /** The mutual-TLS pools to the subgraphs. */
  agents: SubgraphAgents;
  maxUploadBytes: number;
  /** Authenticates the caller and signs its context for `subgraph`. */
  authorize(req: Request, subgraph: string): Promise<string>;
}

/**
 * PUT /uploads/:service/:id — streams the request body to the owning subgraph's internal upload
 * route over mutual TLS with the caller's context signed for that subgraph; nothing is buffered here, so memory stays flat
 * whatever the file size. The subgraph's typed answer is passed back unchanged.
 */
export function uploadProxy(options: UploadProxyOptions) {
  return async (req: Request, res: Response) => {
    try {
      const service = String(req.params['service']);
      const base = options.targets.get(service);
      const id = String(req.params['id']);
      if (!base) throw errors.notFound('Upload target', service);
      if (!uploadId.test(id)) throw errors.badInput('The upload id is not valid.', { field: 'uploadId' });
      const declared = Number(req.headers['content-length']);
      if (!Number.isFinite(declared)) throw errors.badInput('Send Content-Length with the upload.', { field: 'Content-Length' });
      assertIdentityEncoding(req.headers);
      if (declared > options.maxUploadBytes) throw errors.tooLarge(`Uploads are limited to ${options.maxUploadBytes} bytes.`);
      const token = await options.authorize(req, service);
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'content-length': String(declared),
        [internalContextHeader]: token,
        ...injectTraceHeaders({}),
      };
      await new Promise<void>((resolve, reject) => {
        const upstream = httpsRequest(`${base}/internal/uploads/${id}`, { method: 'PUT', headers, agent: options.agents.agent(service) }, (reply) => {
          res.status(reply.statusCode ?? 502);
          res.setHeader('content-type', reply.headers['content-type'] ?? 'application/json');
          reply.pipe(res);
          reply.on('end', resolve);
          reply.on('error', reject);
        });
        upstream.on('error', reject);
        req.on('aborted', () => upstream.destroy());
        req.pipe(upstream);
      });
    } catch (error) {
      req.resume();
      sendError(res, error);
    }
  };
}
