import type { JobGrantToken, Principal } from '@tessera/auth';

/**
 * A port: what one service publishes for others to call, as plain async methods taking the acting
 * principal (whose `tenantId` the owner scopes everything by) and one JSON-serialisable input.
 * The same interface is implemented in-process by the owner and by the HTTP client.
 */
export type PortMethods<P> = { [K in keyof P]: P[K] extends (actor: Principal, input: infer I) => Promise<infer O> ? (actor: Principal, input: I) => Promise<O> : never };

/** The services that may call anything at all: the names their certificates (CN) and tokens carry. */
export type ServiceName = 'gateway' | 'workers' | 'datasets' | 'models' | 'jobs' | 'audit' | 'metrics' | 'tenants';

/**
 * A port as its owner publishes it: the implementation and, per method, the services allowed to
 * call it. A method missing from `callers` cannot be called across processes at all.
 */
export interface PublishedPort<P> {
  name: string;
  implementation: PortMethods<P>;
  callers: { readonly [K in keyof P]: readonly ServiceName[] };
}

/** The JSON body of one port call. */
export interface PortCallBody {
  actor: WireActor;
  input: unknown;
}

/** The acting principal on the wire: who the caller acts for, never more than a Principal holds. */
export interface WireActor {
  tenantId: string;
  subject: string;
  roles: string[];
  clientId?: string | undefined;
  requestId: string;
}

export function toWireActor(actor: Principal): WireActor {
  if (!actor.tenantId) throw new Error('a port call acts for a tenant');
  return { tenantId: actor.tenantId, subject: actor.subject, roles: actor.roles, clientId: actor.clientId, requestId: actor.requestId };
}

/**
 * A port whose methods act on a job grant instead of an actor: the caller (a worker) names nobody;
 * the owner verifies the grant and derives the tenant, the principal and what may be touched from
 * it. The body carries `grant`, never `actor`.
 */
export type GrantPortMethods<P> = { [K in keyof P]: P[K] extends (grant: JobGrantToken, input: infer I) => Promise<infer O> ? (grant: JobGrantToken, input: I) => Promise<O> : never };

export interface PublishedGrantPort<P> {
  name: string;
  authority: 'job-grant';
  implementation: GrantPortMethods<P>;
  callers: { readonly [K in keyof P]: readonly ServiceName[] };
}

/** Either kind of published port, as a subgraph lists them. */
export type AnyPublishedPort = PublishedPort<unknown> | PublishedGrantPort<unknown>;

/** The JSON body of one call of a grant port. */
export interface GrantPortCallBody {
  grant: JobGrantToken;
  input: unknown;
}
