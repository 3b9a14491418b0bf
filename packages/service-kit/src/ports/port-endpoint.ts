import express, { type Router } from 'express';
import { parseRoles, type Principal, type ServiceTokenVerifier } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { errors, toClientError } from '@tessera/errors';
import { isTenantId } from '@tessera/tenancy';
import { callerServiceOf } from './caller-service';
import type { AnyPublishedPort, WireActor } from './port-definition';

/** Port inputs are ids and small records; a trained model (base64 ONNX) is the largest. */
const maxBodyBytes = 16 * 1024 * 1024;

/**
 * `POST /internal/ports/<port>/<method>` for each published port. Order matters: the calling
 * service is authenticated before anything else is read, then the method's allow-list decides,
 * then the body's actor becomes a Principal of exactly one tenant, which the owner scopes by.
 * A grant port takes no actor at all: its body carries the job grant, which the owner verifies.
 */
export function portRouter(ports: ReadonlyArray<AnyPublishedPort>, verify: ServiceTokenVerifier | undefined, logger: Logger): Router {
  const router = express.Router();
  const byName = new Map(ports.map((port) => [port.name, port]));
  router.post('/:port/:method', express.text({ type: () => true, limit: maxBodyBytes }), async (req, res) => {
    try {
      const portName = String(req.params['port']);
      const method = String(req.params['method']);
      const rawBody = typeof req.body === 'string' ? req.body : '';
      const caller = await callerServiceOf(req, portName, rawBody, verify);
      const port = byName.get(portName);
      const allowed = port ? ((port.callers as Record<string, readonly string[] | undefined>)[method] ?? []) : [];
      const run = port ? (port.implementation as Record<string, ((authority: unknown, input: unknown) => Promise<unknown>) | undefined>)[method] : undefined;
      if (!port || !run || !Object.prototype.hasOwnProperty.call(port.callers, method)) throw errors.notFound('PortMethod', `${portName}.${method}`);
      if (!allowed.includes(caller)) {
        logger.warn('port call refused: caller not allowed', { port: portName, method, caller });
        throw errors.forbidden(`The ${caller} service may not call ${portName}.${method}.`);
      }
      const body = 'authority' in port ? parseGrantBody(rawBody) : parseBody(rawBody);
      const result = await run.call(port.implementation, 'grant' in body ? body.grant : body.actor, body.input);
      res.status(200).json({ result: result === undefined ? null : result });
    } catch (error) {
      const reply = toClientError(error);
      if (reply !== error) logger.error('port call failed', { error: error instanceof Error ? error.stack : String(error) });
      if (!res.headersSent) res.status(reply.httpStatus).json(reply.toResponseBody());
    }
  });
  return router;
}

function parseBody(raw: string): { actor: Principal; input: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw errors.badInput('A port call body is JSON.');
  }
  if (!isRecord(body) || !isRecord(body['actor'])) throw errors.badInput('A port call names its actor.');
  return { actor: toPrincipal(body['actor'] as Partial<WireActor>), input: body['input'] ?? null };
}

/**
 * A grant port's body: the grant (verified by the owner) and the input. An actor is refused, not
 * ignored: a caller that names whom it acts for is not calling the way a job run does.
 */
function parseGrantBody(raw: string): { grant: unknown; input: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw errors.badInput('A port call body is JSON.');
  }
  if (!isRecord(body)) throw errors.badInput('A port call body is a JSON object.');
  if ('actor' in body) throw errors.forbidden('A job acts only as its grant says: this port takes no actor. (actor-refused)');
  return { grant: body['grant'], input: body['input'] ?? null };
}

function toPrincipal(actor: Partial<WireActor>): Principal {
  if (typeof actor.tenantId !== 'string' || !isTenantId(actor.tenantId)) throw errors.badInput('A port call acts for one tenant.', { field: 'actor.tenantId' });
  if (typeof actor.subject !== 'string' || actor.subject.length === 0 || actor.subject.length > 255) throw errors.badInput('A port call names its subject.', { field: 'actor.subject' });
  if (typeof actor.requestId !== 'string' || actor.requestId.length > 128) throw errors.badInput('A port call carries a request id.', { field: 'actor.requestId' });
  return {
    kind: 'user',
    tenantId: actor.tenantId,
    subject: actor.subject,
    roles: parseRoles(actor.roles),
    clientId: typeof actor.clientId === 'string' ? actor.clientId : undefined,
    requestId: actor.requestId,
    sourceIp: undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

