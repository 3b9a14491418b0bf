import { join } from 'node:path';
import { loadSchemaFile, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import type { DatasetsConfig } from './domain/datasets-config';
import { uploadRoutes } from './http/upload.route';
import { datasetResolvers } from './resolvers/dataset.resolver';
import { datasetRules } from './rules';
import { createDatasetsPort, publishedDatasetsPort } from './ports/datasets-port.impl';

export { datasetEntities } from './data/dataset.entity';

/** With a runtime it also publishes its port to other processes (a schema-only build publishes none). */
export function datasetsSubgraph(config: DatasetsConfig, runtime?: Pick<ServiceRuntime, 'scopes'>): SubgraphDefinition {
  return {
    name: 'datasets',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: datasetResolvers(config),
    rules: datasetRules,
    routes: uploadRoutes(config),
    ports: runtime ? [publishedDatasetsPort(createDatasetsPort(runtime.scopes))] : [],
  };
}

export const defaultDatasetsConfig: DatasetsConfig = {
  csv: { maxColumns: 1000, maxFieldBytes: 1024 * 1024, maxRows: 10_000_000 },
  uploadTtlSeconds: 15 * 60,
  maxPreviewRows: 100,
};
