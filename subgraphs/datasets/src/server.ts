import { join } from 'node:path';
import { createJobGrantVerifier, type JobGrantKeys } from '@tessera/auth';
import { CsvParsePool, type CsvParsePoolOptions } from '@tessera/tabular';
import { loadSchemaFile, SealedColumnBackfill, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import { datasetSealedColumns } from './data/dataset-profile-seal';
import type { DatasetsConfig } from './domain/datasets-config';
import { profileResultsClearing, type ProfileResultsPort } from './domain/profile-results';
import { UploadSpool, type UploadSpoolOptions } from './domain/upload-spool';
import { uploadRoutes } from './http/upload.route';
import { datasetResolvers } from './resolvers/dataset.resolver';
import { datasetRules } from './rules';
import { createDatasetsPort, publishedDatasetsPort } from './ports/datasets-port.impl';
import { createDatasetJobPort, publishedDatasetJobPort } from './ports/dataset-job-port.impl';

export { datasetEntities } from './data/dataset.entity';

/**
 * With a runtime it also publishes its ports to other processes (a schema-only build publishes
 * none): the datasets port, and the datasets-job port, which accepts only grants verified with
 * `jobGrantKeys.verifyKey` (the jobs service's public key). `jobs`: the one jobs-port method it
 * calls, to clear the profile results of the versions a delete removed.
 */
export function datasetsSubgraph(
  config: DatasetsConfig,
  runtime?: Pick<ServiceRuntime, 'scopes'> & Partial<Pick<ServiceRuntime, 'tenants' | 'logger'>>,
  jobGrantKeys: JobGrantKeys = {},
  csvParsing: CsvParsePoolOptions = {},
  uploadSpooling: UploadSpoolOptions = {},
  jobs?: ProfileResultsPort,
): SubgraphDefinition {
  // Threads start on first use: a schema-only build starts none.
  const parsing = new CsvParsePool({
    ...csvParsing,
    onThreadLost: (info) => runtime?.logger?.error('CSV parsing thread died; its parse failed, the next one starts a new thread', info),
  });
  const uploadSpool = new UploadSpool({
    ...uploadSpooling,
    onDiskFailure: (cause) => runtime?.logger?.error('CSV upload spool could not write a body; the upload was refused and stays PENDING', { error: cause instanceof Error ? cause.message : String(cause) }),
  });
  const profileResults = profileResultsClearing(jobs, runtime?.logger);
  const services = { ...config, parsing, uploadSpool, profileResults };
  const catalog = runtime ? createDatasetsPort(runtime.scopes) : undefined;
  // Profiles stored before sealing are sealed once the service runs (the migrator holds no key).
  const backfill =
    runtime?.tenants && runtime.logger ? new SealedColumnBackfill({ scopes: runtime.scopes, tenants: runtime.tenants, logger: runtime.logger, specs: datasetSealedColumns }) : undefined;
  return {
    name: 'datasets',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: datasetResolvers(services),
    rules: datasetRules,
    routes: uploadRoutes(services),
    ports:
      runtime && catalog
        ? [publishedDatasetsPort(catalog), publishedDatasetJobPort(createDatasetJobPort({ scopes: runtime.scopes, verifyGrant: createJobGrantVerifier(jobGrantKeys.verifyKey), catalog }))]
        : [],
    start: () => backfill?.start(),
    close: async () => {
      profileResults.close();
      await backfill?.stop();
      await parsing.close();
      await uploadSpool.close();
    },
  };
}

export const defaultDatasetsConfig: DatasetsConfig = {
  csv: { maxColumns: 1000, maxFieldBytes: 1024 * 1024, maxRows: 10_000_000 },
  uploadTtlSeconds: 15 * 60,
  maxPreviewRows: 100,
  maxPreviewBytes: 1024 * 1024,
  maxPreviewReadBytes: 4 * 1024 * 1024,
  maxProfileBytesPerRequest: 8 * 1024 * 1024,
};
