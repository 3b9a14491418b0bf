import type { Router } from 'express';
import { isTesseraError, type TesseraError } from '@tessera/errors';
import { answerAndClose, type RouteTools } from '@tessera/service-kit';
import { ModelDownloadService } from '../domain/model-download.service';
import { ModelUploadService, type ModelUploadCapacity } from '../domain/model-upload.service';
import type { ModelsConfig } from '../domain/models-config';
import { isUploadHoldCut } from '../domain/upload-hold';

/**
 * A refusal to be retried (no upload memory free) comes before a byte was read: the body is not
 * drained (the client sends it again later, whole), the connection is closed after the answer.
 */
function isRetryableRefusal(error: unknown): error is TesseraError {
  return isTesseraError(error) && (error.code === 'RATE_LIMITED' || error.code === 'SERVICE_UNAVAILABLE');
}

/**
 * The models subgraph's internal HTTP routes, reached only through the gateway (which verifies
 * the user's token and signs the context; `authenticate` checks that signature):
 * - PUT /internal/uploads/:uploadId — the bytes of a staged ONNX upload;
 * - GET /internal/downloads/:versionId — a version's ONNX file, decrypted, streamed.
 * Ids are looked up in the caller's own tenant schema only.
 */
export function modelFileRoutes(config: ModelsConfig, uploadCapacity: ModelUploadCapacity) {
  return (router: Router, tools: RouteTools) => {
    router.put('/uploads/:uploadId', async (req, res) => {
      try {
        const ctx = await tools.authenticate(req);
        const service = new ModelUploadService(await ctx.scope(), config, uploadCapacity);
        const header = req.headers['content-length'];
        const contentLength = header === undefined ? undefined : Number(header);
        const result = await service.receive(String(req.params['uploadId']), req, Number.isFinite(contentLength) ? contentLength : undefined);
        res.status(200).json({ data: { uploadId: result.uploadId, byteSize: result.byteSize, sha256: result.sha256, inputs: result.info.inputs, outputs: result.info.outputs } });
      } catch (error) {
        if (isUploadHoldCut(error)) return answerAndClose(req, res, 408, error);
        if (isRetryableRefusal(error) && !req.complete) {
          res.setHeader('connection', 'close');
          const retryAfter = error.extensions['retryAfterSeconds'];
          if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
        } else {
          req.resume();
        }
        tools.sendError(res, error);
      }
    });

    // Registered before the GET, which Express would otherwise run for a HEAD too: the file's
    // headers alone, without reading, decrypting or auditing the file (no byte of it leaves).
    router.head('/downloads/:versionId', async (req, res) => {
      try {
        const ctx = await tools.authenticate(req);
        const head = await new ModelDownloadService(await ctx.scope()).head(String(req.params['versionId']));
        res.status(200);
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(head.byteSize));
        res.setHeader('content-disposition', `attachment; filename="${head.filename}"`);
        res.setHeader('x-content-sha256', head.sha256);
        res.end();
      } catch (error) {
        tools.sendError(res, error);
      }
    });

    router.get('/downloads/:versionId', async (req, res) => {
      try {
        const ctx = await tools.authenticate(req);
        const download = await new ModelDownloadService(await ctx.scope()).open(String(req.params['versionId']));
        res.status(200);
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-length', String(download.byteSize));
        res.setHeader('content-disposition', `attachment; filename="${download.filename}"`);
        res.setHeader('x-content-sha256', download.sha256);
        // Not `pipeline`, which destroys the response on any error: one before the first byte (a
        // failed key lookup) still gets a typed JSON answer from sendError.
        download.content.on('error', (error) => tools.sendError(res, error));
        // A client that goes away destroys the object stream (and its object-store response).
        res.once('close', () => download.content.destroy());
        download.content.pipe(res);
      } catch (error) {
        tools.sendError(res, error);
      }
    });
  };
}
