import type { EntitySchema } from 'typeorm';
import { auditEntities, auditSubgraph } from '@tessera/audit';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from '@tessera/datasets';
import { jobEntities, jobsSubgraph } from '@tessera/jobs';
import { metricsSubgraph } from '@tessera/metrics';
import { modelEntities, modelsSubgraph } from '@tessera/models';
import type { ServiceRuntime, SubgraphDefinition } from '@tessera/service-kit';
import { tenantsSubgraph } from '@tessera/tenants';

export const subgraphNames = ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export interface CatalogOptions {
  regions: string[];
}

/** How to build each subgraph, in one table, shared by the single-process and per-service runs. */
export const subgraphCatalog: Record<SubgraphName, { entities: EntitySchema[]; build(runtime: ServiceRuntime, options: CatalogOptions): SubgraphDefinition }> = {
  datasets: { entities: datasetEntities as EntitySchema[], build: () => datasetsSubgraph(defaultDatasetsConfig) },
  models: { entities: modelEntities as EntitySchema[], build: () => modelsSubgraph() },
  jobs: { entities: jobEntities as EntitySchema[], build: () => jobsSubgraph() },
  audit: { entities: auditEntities as EntitySchema[], build: () => auditSubgraph() },
  metrics: { entities: [], build: () => metricsSubgraph() },
  tenants: { entities: [], build: (runtime, options) => tenantsSubgraph(runtime, { regions: options.regions }) },
};
