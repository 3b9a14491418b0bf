/**
 * The datasets service's published port: the only part of @tessera/datasets other services
 * import (`@tessera/datasets/ports`). Types and the HTTP client; the implementation stays here.
 */
import { createPortClient, type PortClientOptions } from '@tessera/service-kit';
import { datasetsPortMethods, type DatasetsPort } from './datasets-port';

export * from './datasets-port';

export function datasetsPortClient(options: Omit<PortClientOptions, 'port'>): DatasetsPort {
  return createPortClient<DatasetsPort>(datasetsPortMethods, { ...options, port: 'datasets' });
}
