import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { internalContextHeader, uploadBodyRefusedHeader } from '@tessera/auth';
import { errors, isTesseraError, type TesseraError } from '@tessera/errors';
import { answerAndClose } from '@tessera/service-kit';
import { injectTraceHeaders } from '@tessera/telemetry';
import { sendError } from './http-errors';
import { releaseWithResponse } from './release-with-response';
import { assertIdentityEncoding } from './request-body';
import { drainUnreadBody } from './unread-body';
import { bodyTimedByStream } from './body-deadline';
import type { SubgraphAgents } from './subgraph-tls';
import { watchTransferPace, type TransferPace } from './transfer-pace';
import { isUploadCut, uploadBehind, uploadStalled } from './upload-cut';

const uploadId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadProxyOptions {
  /** Base URL (https) by subgraph name. */
  targets: Map<string, string>;
  /** The mutual-TLS pools to the subgraphs. */
  agents: SubgraphAgents;
  maxUploadBytes: number;
  /**
   * A body the subgraph refused from its first bytes is drained when declared at most this long
   * (the keep-alive connection stays usable) and otherwise left unread, its connection closed once
   * the answer is out — closeOnUnreadBody's bound.
   */
  drainableBytes: number;
  /** How long the body may send nothing before the upload is given up (and its connection to the subgraph freed). */
  idleTimeoutMs: number;
  /** How fast the body must arrive on average, and for how long at most (see transfer-pace.ts). */
  pace: TransferPace;
  /** Authenticates the caller, takes one of its tenant's transfer slots and signs its context for `subgraph`. */
  authorize(req: Request, subgraph: string): Promise<AuthorizedUpload>;
  /** How often an upload whose body is still arriving asks `stillAllowed` (the pace of the downloads' re-check). */
  recheckIntervalMs?: number | undefined;
}

export interface AuthorizedUpload {
  token: string;
  release(): void;
  /**
   * Throws FORBIDDEN (or UNAUTHENTICATED) once the caller may no longer write: its tenant suspended
   * or erased, its API key revoked or deleted, its membership changed, its credential expired.
   */
  stillAllowed?(): Promise<void>;
}

/**
 * PUT /uploads/:service/:id — streams the request body to the owning subgraph's internal upload
 * route over mutual TLS with the caller's context signed for that subgraph; nothing is buffered here, so memory stays flat
 * whatever the file size. The subgraph's typed answer is passed back unchanged.
 */
export function uploadProxy(options: UploadProxyOptions) {
  return async (req: Request, res: Response) => {
    // Set once the caller's right to write was withdrawn while its body arrived: answered with that refusal.
    let withdrawn: TesseraError | undefined;
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
      const { token, release, stillAllowed } = await options.authorize(req, service);
      // The slot is the tenant's until its answer is out and its body is in; a client already gone
      // has nothing left to send, and the rest of a body left unread (refused by the subgraph from
      // its first bytes) is never read: its connection closes once the answer is out.
      let bodyLeftUnread = false;
      if (!releaseWithResponse(res, () => (bodyLeftUnread ? release() : afterBody(req, release)))) return;
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'content-length': String(declared),
        [internalContextHeader]: token,
        ...injectTraceHeaders({}),
      };
      await new Promise<void>((resolve, reject) => {
        let answered = false;
        let recheck: NodeJS.Timeout | undefined;
        const upstream = httpsRequest(`${base}/internal/uploads/${id}`, { method: 'PUT', headers, agent: options.agents.agent(service) }, (reply) => {
          answered = true;
          res.status(reply.statusCode ?? 502);
          res.setHeader('content-type', reply.headers['content-type'] ?? 'application/json');
          const retryAfter = reply.headers['retry-after'];
          if (typeof retryAfter === 'string') res.setHeader('retry-after', retryAfter);
          // A refusal to retry later (429, 503: the subgraph holds no memory for it now) comes before
          // any byte was read, and an upload the subgraph cut for taking too long (408: its hold on
          // the upload memory is up) is one the client will send again too: the rest is not
          // drained, the connection is closed once the answer is out (closeOnUnreadBody).
          const retryLater = reply.statusCode === 429 || reply.statusCode === 503 || reply.statusCode === 408;
          // So is a large body the subgraph refused from its first bytes (not CSV, say) and reads
          // no further: draining it would hold the tenant's transfer slot for the whole file.
          const bodyRefused = reply.headers[uploadBodyRefusedHeader] === '1' && declared > options.drainableBytes;
          const leaveUnread = retryLater || bodyRefused;
          if (!req.complete && !leaveUnread) drainUnreadBody(req);
          if (!req.complete && bodyRefused) bodyLeftUnread = true;
          reply.pipe(res);
          reply.on('end', () => {
            // Answered before the whole body came (a refused id): the rest is not wanted, and the
            // pooled connection to the subgraph must not wait for a client that may never send it.
            // The rest is drained here, on the caller's slot and within the idle timeout.
            if (!req.complete) {
              req.unpipe(upstream);
              upstream.destroy();
              if (!leaveUnread) req.resume();
            }
            resolve();
          });
          reply.on('error', reject);
        });
        // Each stream holds a connection of the pool all tenants share, and at the subgraph memory
        // or spool bytes all tenants share: a body that stops arriving gives them up after
        // idleTimeoutMs, one that arrives too slowly once it falls behind the pace (the subgraph
        // sees the upload cut short and discards it, releasing what it held).
        const giveUp = (error: TesseraError) => {
          clearTimeout(idle);
          clearInterval(recheck);
          pace.stop();
          // Answered already (early), and the rest of the body is too slow: nothing more to say.
          if (answered || res.headersSent) return void req.socket.destroy();
          upstream.destroy(error);
        };
        const idle = setTimeout(() => giveUp(uploadStalled(options.idleTimeoutMs)), options.idleTimeoutMs);
        let received = 0;
        const pace = watchTransferPace(options.pace, () => received, (behind) => giveUp(uploadBehind(options.pace, behind)));
        req.on('data', (chunk: Buffer) => {
          idle.refresh();
          received += chunk.length;
        });
        // A large body arrives for as long as the pace allows (hours at the slowest): the caller's
        // right to write is asked again while it does, as an open download's right to read is, so a
        // suspended or erased tenant, a revoked key, a changed membership or an expired credential
        // stops filling the tenant's spool. Only a definite refusal ends it; a database hiccup does
        // not. The subgraph sees the upload cut short and discards it (the upload stays pending).
        if (stillAllowed && options.recheckIntervalMs) {
          recheck = setInterval(() => {
            stillAllowed().catch((error: unknown) => {
              if (!isTesseraError(error) || (error.code !== 'FORBIDDEN' && error.code !== 'UNAUTHENTICATED')) return;
              withdrawn = error;
              giveUp(error);
            });
          }, options.recheckIntervalMs);
          recheck.unref();
        }
        bodyTimedByStream(req);
        afterBody(req, () => {
          clearTimeout(idle);
          clearInterval(recheck);
          pace.stop();
        });
        // Once the answer has begun, it decides (the subgraph may close its side of a refused body).
        upstream.on('error', (error) => {
          if (!answered) reject(error);
        });
        req.on('aborted', () => upstream.destroy());
        req.pipe(upstream);
      });
    } catch (error) {
      if (isUploadCut(error)) return answerAndClose(req, res, 408, error);
      // The rest of a body its sender may no longer write is not read: answered, then closed.
      if (withdrawn !== undefined && error === withdrawn) return answerAndClose(req, res, withdrawn.httpStatus, withdrawn);
      req.resume();
      sendError(res, error);
    }
  };
}

/**
 * Calls `done` once the request's body is in or its connection is gone (the socket's close: a
 * request whose answer is out is no longer closed with its connection).
 */
function afterBody(req: Request, done: () => void): void {
  if (req.complete || req.socket.destroyed) return done();
  // Whichever comes first takes the other listener away: a keep-alive connection carries many
  // uploads, and a close listener left per upload would pile up on its socket.
  const finish = () => {
    req.off('end', finish);
    req.socket.off('close', finish);
    done();
  };
  req.once('end', finish);
  req.socket.once('close', finish);
}
