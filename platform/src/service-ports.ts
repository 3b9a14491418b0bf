import type { JWK } from 'jose';
import { createServiceTokenSigner } from '@tessera/auth';
import { ConfigError } from '@tessera/config';
import { errors } from '@tessera/errors';
import { mutualTlsPortFetch, type ServiceName, type ServiceRuntime, type TlsIdentity } from '@tessera/service-kit';
import { portOwnerNames, publishedPort, type CatalogOptions, type PortOwnerName, type ServicePorts } from './subgraph-catalog';

export type { ServicePorts } from './subgraph-catalog';

/** The variable naming the base URL of an owner's port in a caller's environment, e.g. JOBS_PORT_URL. */
export function portUrlVariable(owner: PortOwnerName): string {
  return `${owner.toUpperCase()}_PORT_URL`;
}

/** What a caller's environment holds for its port calls: its key, and the owners' URLs by `portUrlVariable`. */
export type PortCallerVariables = { SERVICE_KEY?: unknown } & Partial<Record<string, unknown>>;

/**
 * Every service in this process: callers use the owners' implementations directly, each on the
 * owner's runtime (the owner's database account), still entering data through the actor's
 * TenantScope exactly as over HTTP. An owner's implementation that calls another owner's port
 * (jobs: the datasets port) gets these same in-process ports.
 */
export function inProcessPorts(owners: Record<PortOwnerName, ServiceRuntime>, options: Omit<CatalogOptions, 'ports'>): ServicePorts {
  const ports: Partial<Record<PortOwnerName, unknown>> = {};
  // An owner that calls another port reads it from `ports` at the call, once every port is here.
  const withPorts = { ...options, ports } as unknown as CatalogOptions;
  for (const owner of portOwnerNames) ports[owner] = publishedPort(owner).local(owners[owner], withPorts);
  return ports as ServicePorts;
}

/** The ports a service was given, completed with ports that answer SERVICE_UNAVAILABLE. */
export function withAbsentPorts(given: Partial<ServicePorts>): ServicePorts {
  const ports: Partial<Record<PortOwnerName, unknown>> = {};
  for (const owner of portOwnerNames) ports[owner] = given[owner] ?? absentPort(owner);
  return ports as ServicePorts;
}

/**
 * One service per process: the ports it calls are HTTP clients signed with its own key. Only the
 * owners it calls need a URL; a caller that needs a port without SERVICE_KEY or the owner's URL
 * refuses to start.
 */
export async function remotePorts(service: ServiceName, env: PortCallerVariables, needs: readonly PortOwnerName[], identity: TlsIdentity): Promise<Partial<ServicePorts>> {
  if (needs.length === 0) return {};
  if (!env.SERVICE_KEY) throw new ConfigError([`SERVICE_KEY: required (the ${service} service calls the ${needs.join(', ')} port(s))`]);
  const missing = needs.map(portUrlVariable).filter((variable) => typeof env[variable] !== 'string' || env[variable] === '');
  if (missing.length > 0) throw new ConfigError(missing.map((variable) => `${variable}: required (the ${service} service calls this port)`));
  const sign = await createServiceTokenSigner(service, env.SERVICE_KEY as JWK);
  const ports: Partial<Record<PortOwnerName, unknown>> = {};
  for (const owner of needs) ports[owner] = publishedPort(owner).client({ baseUrl: env[portUrlVariable(owner)] as string, sign, fetch: mutualTlsPortFetch(identity, owner) });
  return ports as Partial<ServicePorts>;
}

/**
 * A port this build was not given (a definition built only to read its schema or rules): every
 * call is SERVICE_UNAVAILABLE, so a miswired process fails loudly at the first use, never silently.
 */
export function absentPort<K extends PortOwnerName>(name: K): ServicePorts[K] {
  const port: Record<string, () => Promise<never>> = {};
  for (const method of publishedPort(name).methods) port[method] = () => Promise.reject(errors.unavailable(`This process was built without the ${name} port.`));
  return port as unknown as ServicePorts[K];
}
