/**
 * The models service's published port: the only part of @tessera/models other services import
 * (`@tessera/models/ports`). Types and the HTTP client; the implementation stays here.
 */
import { createGrantPortClient, createPortClient, type GrantPortMethods, type PortClientOptions } from '@tessera/service-kit';
import { modelJobPortMethods, modelJobPortName, type ModelJobPort } from './model-job-port';
import { modelsPortMethods, type ModelsPort } from './models-port';

export * from './models-port';
export * from './model-job-port';

export function modelsPortClient(options: Omit<PortClientOptions, 'port'>): ModelsPort {
  return createPortClient<ModelsPort>(modelsPortMethods, { ...options, port: 'models' });
}

/** The workers' client of the models-job port: every call carries the job's grant. */
export function modelJobPortClient(options: Omit<PortClientOptions, 'port'>): GrantPortMethods<ModelJobPort> {
  return createGrantPortClient<ModelJobPort>(modelJobPortMethods, { ...options, port: modelJobPortName });
}
