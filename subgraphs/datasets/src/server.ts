import { join } from 'node:path';
import { loadSchemaFile, type SubgraphDefinition } from '@tessera/service-kit';
import type { DatasetsConfig } from './domain/datasets-config';
import { uploadRoutes } from './http/upload.route';
import { datasetResolvers } from './resolvers/dataset.resolver';
import { datasetRules } from './rules';

export { datasetEntities } from './data/dataset.entity';

export function datasetsSubgraph(config: DatasetsConfig): SubgraphDefinition {
  return {
    name: 'datasets',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: datasetResolvers(config),
    rules: datasetRules,
    routes: uploadRoutes(config),
  };
}

export const defaultDatasetsConfig: DatasetsConfig = {
  csv: { maxColumns: 1000, maxFieldBytes: 1024 * 1024, maxRows: 10_000_000 },
  uploadTtlSeconds: 15 * 60,
  maxPreviewRows: 100,
};
