import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { SubgraphModule } from '@tessera/service-kit';
import type { CsvParsePoolOptions } from '@tessera/tabular';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from './server';
import { datasetsData } from './tables';
import type { UploadSpoolOptions } from './domain/upload-spool';
import { datasetsPortClient, datasetsPortMethods, type DatasetsPort } from './ports';
import { createDatasetsPort } from './ports/datasets-port.impl';

export interface DatasetsModuleOptions {
  /** `verifyKey`: the jobs service's public key, which job grants are checked against. */
  jobGrantKeys?: JobGrantKeys;
  /** The CSV parsing threads (uploads and previews: the CSV_PARSE_* variables, read with the service's environment); defaults when omitted. */
  csvParsing?: CsvParsePoolOptions;
  /** Where upload bodies wait until they have all arrived (the CSV_UPLOAD_SPOOL_* variables, read with the service's environment); defaults when omitted. */
  uploadSpool?: UploadSpoolOptions;
}

export const datasetsModule = {
  name: 'datasets',
  entities: datasetEntities as EntitySchema[],
  data: datasetsData,
  // Stores and reads the tenant's encrypted objects.
  environment: ['storage', 'csvUploads', 'csvParsing'],
  ports: { publishes: { methods: datasetsPortMethods, client: datasetsPortClient, local: (runtime) => createDatasetsPort(runtime.scopes) }, calls: [] },
  build: (runtime, options) =>
    datasetsSubgraph(
      defaultDatasetsConfig,
      runtime,
      options.jobGrantKeys,
      options.csvParsing ?? {},
      options.uploadSpool ?? {},
    ),
} satisfies SubgraphModule<DatasetsModuleOptions, 'datasets', DatasetsPort>;
