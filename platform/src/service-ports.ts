import type { JWK } from 'jose';
import { createServiceTokenSigner } from '@tessera/auth';
import { ConfigError } from '@tessera/config';
import { createDatasetsPort } from '@tessera/datasets';
import { datasetsPortClient, type DatasetsPort } from '@tessera/datasets/ports';
import { createJobsPort } from '@tessera/jobs';
import { jobsPortClient, type JobsPort } from '@tessera/jobs/ports';
import { createModelsPort } from '@tessera/models';
import { modelsPortClient, type ModelsPort } from '@tessera/models/ports';
import type { PortVariables, ServiceName, ServiceRuntime } from '@tessera/service-kit';

/** The ports one service may call, as the composition root hands them over (in-process or HTTP). */
export interface ServicePorts {
  datasets: DatasetsPort;
  models: ModelsPort;
  jobs: JobsPort;
}

/**
 * Every service in this process: callers use the owners' implementations directly, each still
 * entering data through the actor's TenantScope, exactly as over HTTP.
 */
export function inProcessPorts(runtime: Pick<ServiceRuntime, 'scopes' | 'events'>): ServicePorts {
  return { datasets: createDatasetsPort(runtime.scopes), models: createModelsPort(runtime.scopes), jobs: createJobsPort({ scopes: runtime.scopes, events: runtime.events }) };
}

/**
 * One service per process: the ports it calls are HTTP clients signed with its own key. Only the
 * owners it calls need a URL; a client for an owner without one fails at the first call, and a
 * caller that needs a port without SERVICE_KEY refuses to start.
 */
export async function remotePorts(service: ServiceName, env: PortVariables, needs: ReadonlyArray<keyof ServicePorts>): Promise<Partial<ServicePorts>> {
  if (needs.length === 0) return {};
  if (!env.SERVICE_KEY) throw new ConfigError([`SERVICE_KEY: required (the ${service} service calls the ${needs.join(', ')} port(s))`]);
  const sign = await createServiceTokenSigner(service, env.SERVICE_KEY as JWK);
  const urlOf = (variable: 'DATASETS_PORT_URL' | 'MODELS_PORT_URL' | 'JOBS_PORT_URL') => {
    const value = env[variable];
    if (!value) throw new ConfigError([`${variable}: required (the ${service} service calls this port)`]);
    return value;
  };
  const ports: Partial<ServicePorts> = {};
  if (needs.includes('datasets')) ports.datasets = datasetsPortClient({ baseUrl: urlOf('DATASETS_PORT_URL'), sign });
  if (needs.includes('models')) ports.models = modelsPortClient({ baseUrl: urlOf('MODELS_PORT_URL'), sign });
  if (needs.includes('jobs')) ports.jobs = jobsPortClient({ baseUrl: urlOf('JOBS_PORT_URL'), sign });
  return ports;
}
