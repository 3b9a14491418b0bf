import type { Router } from 'express';
import { uploadBodyRefusedHeader } from '@tessera/auth';
import type { RouteTools } from '@tessera/service-kit';
import type { DatasetsServiceConfig } from '../domain/datasets-config';
import { DatasetUploadService, UploadRefusedEarly } from '../domain/dataset-upload.service';

/**
 * PUT /internal/uploads/:uploadId — the bytes of a staged upload, as the gateway forwards them.
 * Authenticated exactly like GraphQL (gateway-signed context); the upload id is looked up in the
 * caller's own tenant schema only.
 */
export function uploadRoutes(config: DatasetsServiceConfig) {
  return (router: Router, tools: RouteTools) => {
    router.put('/uploads/:uploadId', async (req, res) => {
      try {
        const ctx = await tools.authenticate(req);
        const service = new DatasetUploadService(await ctx.scope(), config);
        const header = req.headers['content-length'];
        const contentLength = header === undefined ? undefined : Number(header);
        const result = await service.receive(String(req.params['uploadId']), req, Number.isFinite(contentLength) ? contentLength : undefined);
        res.status(200).json({ data: result });
      } catch (error) {
        if (error instanceof UploadRefusedEarly) {
          // The gateway stops sending the rest once it has the answer (and stops reading it from a
          // caller sending a large body). What it sent before is read and dropped after the answer,
          // so this pooled connection is left at a request boundary for the next one.
          res.setHeader(uploadBodyRefusedHeader, '1');
          res.once('finish', () => req.resume());
          return tools.sendError(res, error.answer);
        }
        tools.sendError(res, error);
      }
    });
  };
}
