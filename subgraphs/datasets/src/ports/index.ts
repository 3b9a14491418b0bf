/**
 * The datasets service's published port: the only part of @tessera/datasets other services
 * import (`@tessera/datasets/ports`). Types and the HTTP client; the implementation stays here.
 */
import { createGrantPortClient, createPortClient, type GrantPortMethods, type PortClientOptions } from '@tessera/service-kit';
import { datasetJobPortMethods, datasetJobPortName, type DatasetJobPort } from './dataset-job-port';
import { datasetsPortMethods, type DatasetsPort } from './datasets-port';

export * from './datasets-port';
export * from './dataset-job-port';

export function datasetsPortClient(options: Omit<PortClientOptions, 'port'>): DatasetsPort {
  return createPortClient<DatasetsPort>(datasetsPortMethods, { ...options, port: 'datasets' });
}

/** The workers' client of the datasets-job port: every call carries the job's grant. */
export function datasetJobPortClient(options: Omit<PortClientOptions, 'port'>): GrantPortMethods<DatasetJobPort> {
  return createGrantPortClient<DatasetJobPort>(datasetJobPortMethods, { ...options, port: datasetJobPortName });
}
