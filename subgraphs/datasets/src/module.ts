import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { SubgraphModule } from '@tessera/service-kit';
import type { CsvParsePoolOptions } from '@tessera/tabular';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from './server';
import { datasetsData } from './tables';
import type { UploadSpoolOptions } from './domain/upload-spool';
import type { ProfileResultsPort } from './domain/profile-results';
import { datasetsPortClient, datasetsPortMethods, type DatasetsPort } from './ports';
import { createDatasetsPort } from './ports/datasets-port.impl';

export interface DatasetsModuleOptions {
  /** `verifyKey`: the jobs service's public key, which job grants are checked against. */
  jobGrantKeys?: JobGrantKeys;
  /** The CSV parsing threads (uploads and previews: the CSV_PARSE_* variables, read with the service's environment); defaults when omitted. */
  csvParsing?: CsvParsePoolOptions;
  /** Where upload bodies wait until they have all arrived (the CSV_UPLOAD_SPOOL_* variables, read with the service's environment); defaults when omitted. */
  uploadSpool?: UploadSpoolOptions;
  /** Bytes of stored column profiles opened for one request (DATASET_PROFILE_BYTES_PER_REQUEST); the default when omitted. */
  datasetReads?: { maxProfileBytesPerRequest: number };
  /** The jobs port, of which it calls only `clearProfileResults` (after a delete). */
  ports: { jobs: ProfileResultsPort };
}

export const datasetsModule = {
  name: 'datasets',
  entities: datasetEntities as EntitySchema[],
  data: datasetsData,
  // Stores and reads the tenant's encrypted objects.
  environment: ['storage', 'csvUploads', 'csvParsing', 'datasetReads'],
  // It calls the jobs port once a dataset is deleted: its versions' profile results are cleared there.
  ports: { publishes: { methods: datasetsPortMethods, client: datasetsPortClient, local: (runtime) => createDatasetsPort(runtime.scopes) }, calls: ['jobs'] },
  build: (runtime, options) =>
    datasetsSubgraph(
      options.datasetReads ? { ...defaultDatasetsConfig, maxProfileBytesPerRequest: options.datasetReads.maxProfileBytesPerRequest } : defaultDatasetsConfig,
      runtime,
      options.jobGrantKeys,
      options.csvParsing ?? {},
      options.uploadSpool ?? {},
      { clearProfileResults: (actor, input) => options.ports.jobs.clearProfileResults(actor, input) },
    ),
} satisfies SubgraphModule<DatasetsModuleOptions, 'datasets', DatasetsPort>;
