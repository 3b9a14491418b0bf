import { request as httpRequest } from 'node:http';
import type { Request, Response } from 'express';
import { internalContextHeader } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { injectTraceHeaders } from '@tessera/telemetry';
import { sendError } from './http-errors';

const uploadId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadProxyOptions {
  targets: Map<string, string>;
  maxUploadBytes: number;
  authorize(req: Request): Promise<string>;
}

/**
 * PUT /uploads/:service/:id — streams the request body to the owning subgraph's internal upload
 * route with the caller's signed context; nothing is buffered here, so memory stays flat
 * whatever the file size. The subgraph's typed answer is passed back unchanged.
 */
export function uploadProxy(options: UploadProxyOptions) {
  return async (req: Request, res: Response) => {
    try {
      const base = options.targets.get(String(req.params['service']));
      const id = String(req.params['id']);
      if (!base) throw errors.notFound('Upload target', String(req.params['service']));
      if (!uploadId.test(id)) throw errors.badInput('The upload id is not valid.', { field: 'uploadId' });
      const declared = Number(req.headers['content-length']);
      if (!Number.isFinite(declared)) throw errors.badInput('Send Content-Length with the upload.', { field: 'Content-Length' });
      if (declared > options.maxUploadBytes) throw errors.tooLarge(`Uploads are limited to ${options.maxUploadBytes} bytes.`);
      const token = await options.authorize(req);
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'content-length': String(declared),
        [internalContextHeader]: token,
        ...injectTraceHeaders({}),
      };
      await new Promise<void>((resolve, reject) => {
        const upstream = httpRequest(`${base}/internal/uploads/${id}`, { method: 'PUT', headers }, (reply) => {
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
