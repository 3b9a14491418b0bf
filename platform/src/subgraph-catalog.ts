import type { AlertingConfig } from '@tessera/audit';
import { auditModule } from '@tessera/audit';
import { datasetsModule } from '@tessera/datasets';
import { gatewayData } from '@tessera/gateway';
import { jobsModule } from '@tessera/jobs';
import { metricsModule } from '@tessera/metrics';
import { modelsModule, type ModelServing, type ModelServingOptions } from '@tessera/models';
import type { AuditChainConfig } from '@tessera/config';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { SubgraphModule } from '@tessera/service-kit';
import type { ServiceData } from '@tessera/tenancy';
import { tenantsModule } from '@tessera/tenants';
import { workersData } from '@tessera/workers';

/** Everything any module reads from the process's configuration (each module takes its part). */
export interface CatalogOptions {
  regions: string[];
  /** A ModelServing the caller made and closes (the all-in-one process shares it with its tests). */
  modelServing?: ModelServing;
  inference?: ModelServingOptions;
  auditChain?: AuditChainConfig;
  alerting?: AlertingConfig;
  monitoring?: MonitoringOptions;
}

/** The subgraphs, in start order. Adding one is one line here (and its compose/manifest block). */
export const subgraphModules: ReadonlyArray<SubgraphModule<CatalogOptions>> = [datasetsModule, modelsModule, jobsModule, auditModule, metricsModule, tenantsModule];

export const subgraphNames = ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export function isSubgraphName(name: string | undefined): name is SubgraphName {
  return subgraphNames.some((known) => known === name);
}

export function subgraphModule(name: SubgraphName): SubgraphModule<CatalogOptions> {
  const module = subgraphModules.find((candidate) => candidate.name === name);
  if (!module) throw new Error(`no module for subgraph ${name}`);
  return module;
}

/** Every service's tables (the subgraphs', the gateway's, the workers'): what the migrate step grants. */
export const serviceData: readonly ServiceData[] = [gatewayData, ...subgraphModules.map((module) => module.data), workersData];
