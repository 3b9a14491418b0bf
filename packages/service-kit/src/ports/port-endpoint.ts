import express, { type Router } from 'express';
import { decodeJwt } from 'jose';
import { parseRoles, type Principal, type ServiceTokenVerifier } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { errors, toClientError } from '@tessera/errors';
import { isTenantId, type TenantRecord } from '@tessera/tenancy';
import { callerServiceOf, type PortCaller } from './caller-service';
import { dedicatedWorkerRefusal, sharedPoolRefusal, workerRegionRefusal, type WorkerTenantRefusal } from './dedicated-worker-admission';
import type { AnyPublishedPort, WireActor } from './port-definition';

/** Port inputs are ids and small records; a trained model (base64 ONNX) is the largest. */
const maxBodyBytes = 16 * 1024 * 1024;

/**
 * A worker's call refused for the tenant it named: a dedicated tenant's worker named another
 * tenant's job, or its own tenant is gone, not active, or no longer on the dedicated tier; or the
 * shared pool named a tenant on the dedicated tier; or the tenant's region is not the one the
 * worker's certificate names.
 */
export interface PortTenantRefusal {
  caller: PortCaller;
  port: string;
  method: string;
  /** The tenant the call named (the actor's, or the grant's), null when the grant named none. */
  requestedTenantId: string | null;
  reason: WorkerTenantRefusal;
}

/** Where such refusals are recorded (the platform security log); a failure to record is logged, never answered. */
export type PortRefusalRecorder = (refusal: PortTenantRefusal) => Promise<void>;

/**
 * What a port endpoint checks a confined caller against: the owner's tenant directory (its cached
 * records, TENANT_CACHE_TTL_MS, the same the owner's scopes read, so the check adds no database
 * round trip while a record is cached), and where refusals are recorded.
 */
export interface PortConfinement {
  tenants: { find(tenantId: string): Promise<TenantRecord | undefined> };
  recordRefusal?: PortRefusalRecorder | undefined;
}

const refusalMessages: Record<WorkerTenantRefusal, (caller: PortCaller, requested: string | null) => string> = {
  'tenant-not-served': (caller) => `The ${caller.identity} workers act only for tenant ${caller.tenantId}'s jobs.`,
  'tenant-unknown': (caller) => `The ${caller.identity} workers' tenant is not known.`,
  'tenant-inactive': (caller) => `The ${caller.identity} workers' tenant is not active.`,
  'tenant-not-dedicated': (caller) => `Tenant ${caller.tenantId} is not on the dedicated tier: the shared pool runs its jobs, not the ${caller.identity} workers.`,
  'tenant-dedicated': (_caller, requested) => `Tenant ${requested} is on the dedicated tier: only its own workers run its jobs, not the shared pool.`,
  'tenant-other-region': (caller, requested) =>
    caller.region === undefined
      ? `The ${caller.identity} workers' certificate names no region: they act for no tenant.`
      : `Tenant ${requested}'s jobs run only on workers of its region, not on the ${caller.identity} workers of ${caller.region}.`,
};

/**
 * `POST /internal/ports/<port>/<method>` for each published port. Order matters: the calling
 * service is authenticated before anything else is read, then the method's allow-list decides,
 * then the body's actor becomes a Principal of exactly one tenant, which the owner scopes by.
 * A grant port takes no actor at all: its body carries the job grant, which the owner verifies.
 */
export function portRouter(ports: ReadonlyArray<AnyPublishedPort>, verify: ServiceTokenVerifier | undefined, logger: Logger, confinement: PortConfinement): Router {
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
      if (!allowed.includes(caller.service)) {
        logger.warn('port call refused: caller not allowed', { port: portName, method, caller: caller.identity });
        throw errors.forbidden(`The ${caller.service} service may not call ${portName}.${method}.`);
      }
      const body = 'authority' in port ? parseGrantBody(rawBody) : parseBody(rawBody);
      const refusal = await workerTenantRefusal(caller, body, confinement);
      if (refusal) {
        logger.warn('port call refused: the caller does not serve that tenant now', { port: portName, method, caller: caller.identity, tenant: refusal.requested, reason: refusal.reason });
        await confinement.recordRefusal?.({ caller, port: portName, method, requestedTenantId: refusal.requested, reason: refusal.reason }).catch((error: unknown) =>
          logger.error('could not record a refused port call', { error: error instanceof Error ? error.message : String(error) }),
        );
        throw errors.forbidden(`${refusalMessages[refusal.reason](caller, refusal.requested)} (${refusal.reason})`, { reason: refusal.reason });
      }
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

/**
 * Which tenant's jobs a worker may act for, checked before the owner reads anything. A caller
 * confined to one tenant (a dedicated tenant's worker): the tenant the call names must be that one
 * — a grant is checked on its claims here and verified by the owner, so a grant that passes both is
 * one the jobs service signed for this tenant — and that tenant must still be one its dedicated
 * workers serve (it exists, is active, is dedicated). The shared pool: the tenant it names must not
 * be on the dedicated tier, whose data only the tenant's own workers process. Either way the
 * tenant's current region must be the one the worker's certificate names (data residency). All
 * read the tenant's current record from the owner's directory, whose entry a change drops at once
 * (announced).
 */
async function workerTenantRefusal(
  caller: PortCaller,
  body: { grant: unknown } | { actor: Principal },
  confinement: PortConfinement,
): Promise<{ reason: WorkerTenantRefusal; requested: string | null } | undefined> {
  if (caller.service !== 'workers') return undefined;
  const requested = 'grant' in body ? grantTenantOf(body.grant) : (body.actor.tenantId ?? null);
  if (caller.tenantId !== undefined) {
    if (requested !== caller.tenantId) return { reason: 'tenant-not-served', requested };
    const tenant = await confinement.tenants.find(caller.tenantId);
    const reason = dedicatedWorkerRefusal(tenant) ?? workerRegionRefusal(tenant, caller.region);
    return reason === undefined ? undefined : { reason, requested };
  }
  // A grant whose claim names no tenant is the owner's to refuse when it verifies it.
  if (requested === null) return undefined;
  const tenant = await confinement.tenants.find(requested);
  const reason = sharedPoolRefusal(tenant) ?? workerRegionRefusal(tenant, caller.region);
  return reason === undefined ? undefined : { reason, requested };
}

function parseBody(raw: string): { actor: Principal; input: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw errors.badInput('A port call body is JSON.');
  }
  if (!isRecord(body) || !isRecord(body['actor'])) throw errors.badInput('A port call names its actor.');
  return { actor: toPrincipal(body['actor'] as Partial<WireActor>), input: portInput(body['input']) };
}

/**
 * Every port method takes a record of named arguments: a call without one gets `{}` (each method
 * then names the argument it misses), and one that is not a JSON object is BAD_USER_INPUT before the
 * method runs. Before, `input: null` or a string reached the method, whose first read of an argument
 * threw a TypeError: INTERNAL_SERVER_ERROR.
 */
function portInput(input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (!isRecord(input)) throw errors.badInput("A port call's input is a JSON object of named arguments.", { field: 'input' });
  return input;
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
  return { grant: body['grant'], input: portInput(body['input']) };
}

/**
 * The tenant a grant names, read without verifying it (the owner verifies it next); null when
 * unreadable or not a tenant id. Unverified, it is the caller's own text: only a well-formed id may
 * go on into the security log and the process log (a claim of megabytes would otherwise be kept).
 */
function grantTenantOf(grant: unknown): string | null {
  if (typeof grant !== 'string') return null;
  try {
    const tenant = decodeJwt(grant)['tid'];
    return typeof tenant === 'string' && isTenantId(tenant) ? tenant : null;
  } catch {
    return null;
  }
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

