/**
 * The models service's published port: the only part of @tessera/models other services import
 * (`@tessera/models/ports`). Types and the HTTP client; the implementation stays here.
 */
import { createPortClient, type PortClientOptions } from '@tessera/service-kit';
import { modelsPortMethods, type ModelsPort } from './models-port';

export * from './models-port';

export function modelsPortClient(options: Omit<PortClientOptions, 'port'>): ModelsPort {
  return createPortClient<ModelsPort>(modelsPortMethods, { ...options, port: 'models' });
}
