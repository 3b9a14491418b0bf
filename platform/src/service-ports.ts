import type { JWK } from 'jose';
import { createServiceTokenSigner, type JobGrantKeys } from '@tessera/auth';
import { createAuditPort } from '@tessera/audit';
import { auditPortClient, auditPortMethods, type AuditPort } from '@tessera/audit/ports';
import { ConfigError } from '@tessera/config';
import { createDatasetsPort } from '@tessera/datasets';
import { datasetsPortClient, datasetsPortMethods, type DatasetsPort } from '@tessera/datasets/ports';
import { errors } from '@tessera/errors';
import { createJobsPort } from '@tessera/jobs';
import { jobsPortClient, jobsPortMethods, type JobsPort } from '@tessera/jobs/ports';
import { createModelsPort } from '@tessera/models';
import { modelsPortClient, modelsPortMethods, type ModelsPort } from '@tessera/models/ports';
import { mutualTlsPortFetch, type PortVariables, type ServiceName, type ServiceRuntime, type TlsIdentity } from '@tessera/service-kit';

/** The ports one service may call, as the composition root hands them over (in-process or HTTP). */
export interface ServicePorts {
  datasets: DatasetsPort;
  models: ModelsPort;
  jobs: JobsPort;
  audit: AuditPort;
}

/**
 * Every service in this process: callers use the owners' implementations directly, each on the
 * owner's runtime (the owner's database account), still entering data through the actor's
 * TenantScope exactly as over HTTP.
 */
export function inProcessPorts(
  owners: {
    datasets: Pick<ServiceRuntime, 'scopes'>;
    models: Pick<ServiceRuntime, 'scopes'>;
    jobs: Pick<ServiceRuntime, 'scopes' | 'events'>;
    audit: Pick<ServiceRuntime, 'scopes'>;
  },
  jobGrantKeys: JobGrantKeys = {},
): ServicePorts {
  return {
    datasets: createDatasetsPort(owners.datasets.scopes),
    models: createModelsPort(owners.models.scopes),
    jobs: createJobsPort({ scopes: owners.jobs.scopes, events: owners.jobs.events, jobGrantSigningKey: jobGrantKeys.signingKey }),
    audit: createAuditPort(owners.audit.scopes),
  };
}

/** The ports a service was given, completed with ports that answer SERVICE_UNAVAILABLE. */
export function withAbsentPorts(given: Partial<ServicePorts>): ServicePorts {
  return { datasets: given.datasets ?? absentPort('datasets'), models: given.models ?? absentPort('models'), jobs: given.jobs ?? absentPort('jobs'), audit: given.audit ?? absentPort('audit') };
}

/**
 * One service per process: the ports it calls are HTTP clients signed with its own key. Only the
 * owners it calls need a URL; a client for an owner without one fails at the first call, and a
 * caller that needs a port without SERVICE_KEY refuses to start.
 */
export async function remotePorts(service: ServiceName, env: PortVariables, needs: ReadonlyArray<keyof ServicePorts>, identity: TlsIdentity): Promise<Partial<ServicePorts>> {
  if (needs.length === 0) return {};
  if (!env.SERVICE_KEY) throw new ConfigError([`SERVICE_KEY: required (the ${service} service calls the ${needs.join(', ')} port(s))`]);
  const sign = await createServiceTokenSigner(service, env.SERVICE_KEY as JWK);
  const urlOf = (variable: 'DATASETS_PORT_URL' | 'MODELS_PORT_URL' | 'JOBS_PORT_URL' | 'AUDIT_PORT_URL') => {
    const value = env[variable];
    if (!value) throw new ConfigError([`${variable}: required (the ${service} service calls this port)`]);
    return value;
  };
  const ports: Partial<ServicePorts> = {};
  if (needs.includes('datasets')) ports.datasets = datasetsPortClient({ baseUrl: urlOf('DATASETS_PORT_URL'), sign, fetch: mutualTlsPortFetch(identity, 'datasets') });
  if (needs.includes('models')) ports.models = modelsPortClient({ baseUrl: urlOf('MODELS_PORT_URL'), sign, fetch: mutualTlsPortFetch(identity, 'models') });
  if (needs.includes('jobs')) ports.jobs = jobsPortClient({ baseUrl: urlOf('JOBS_PORT_URL'), sign, fetch: mutualTlsPortFetch(identity, 'jobs') });
  if (needs.includes('audit')) ports.audit = auditPortClient({ baseUrl: urlOf('AUDIT_PORT_URL'), sign, fetch: mutualTlsPortFetch(identity, 'audit') });
  return ports;
}

const methodsOf = { datasets: datasetsPortMethods, models: modelsPortMethods, jobs: jobsPortMethods, audit: auditPortMethods } as const;

/**
 * A port this build was not given (a definition built only to read its schema or rules): every
 * call is SERVICE_UNAVAILABLE, so a miswired process fails loudly at the first use, never silently.
 */
export function absentPort<K extends keyof ServicePorts>(name: K): ServicePorts[K] {
  const port: Record<string, () => Promise<never>> = {};
  for (const method of methodsOf[name]) port[method] = () => Promise.reject(errors.unavailable(`This process was built without the ${name} port.`));
  return port as unknown as ServicePorts[K];
}
