import { auditModule, type AuditModuleOptions } from '@tessera/audit';
import { datasetsModule, type DatasetsModuleOptions } from '@tessera/datasets';
import { gatewayData } from '@tessera/gateway';
import { jobsModule, type JobsModuleOptions } from '@tessera/jobs';
import { metricsModule, type MetricsModuleOptions } from '@tessera/metrics';
import { modelsModule, type ModelsModuleOptions } from '@tessera/models';
import type { SubgraphModule } from '@tessera/service-kit';
import type { ServiceData } from '@tessera/tenancy';
import { tenantsModule, type TenantsModuleOptions } from '@tessera/tenants';
import { workersData } from '@tessera/workers';

/**
 * Everything the modules read from the process's configuration: the intersection of their own
 * options types , so a process builds every module from one object.
 */
export type CatalogOptions = ModelsModuleOptions & AuditModuleOptions & MetricsModuleOptions & TenantsModuleOptions & JobsModuleOptions & DatasetsModuleOptions;

/**
 * The subgraphs, in start order, which is also the order `tessera migrate` runs their migrations
 * in (a module's `data.migrations.after` aside). Adding one is its folder, one line here and its
 * compose/manifest block.
 */
export const subgraphModules = [datasetsModule, modelsModule, jobsModule, auditModule, metricsModule, tenantsModule] as const;

export type SubgraphName = (typeof subgraphModules)[number]['name'];
export const subgraphNames: readonly SubgraphName[] = subgraphModules.map((module) => module.name);

export function isSubgraphName(name: string | undefined): name is SubgraphName {
  return subgraphNames.some((known) => known === name);
}

/** A subgraph's module, as the catalog's options type sees it (each module reads its part of them). */
export function subgraphModule(name: SubgraphName): SubgraphModule<CatalogOptions, SubgraphName> {
  const module: SubgraphModule<CatalogOptions, SubgraphName> | undefined = subgraphModules.find((candidate) => candidate.name === name);
  if (!module) throw new Error(`no module for subgraph ${name}`);
  return module;
}

/** Every service's tables and migrations (the subgraphs', the gateway's, the workers'): what the migrate step runs and grants. */
export const serviceData: readonly ServiceData[] = [gatewayData, ...subgraphModules.map((module) => module.data), workersData];

/** Which ports each service calls: the composition root builds exactly these for it. */
export const portsCalledBy: Record<SubgraphName, ReadonlyArray<'datasets' | 'models' | 'jobs' | 'audit'>> = {
  datasets: [],
  models: [],
  jobs: ['datasets', 'models'],
  audit: [],
  metrics: ['jobs', 'datasets', 'models', 'audit'],
  tenants: [],
};

/**
 * The services that call a subgraph's ports: its mutual-TLS listener accepts their certificates
 * besides the gateway's (the port endpoint then checks each method's allow-list). The workers
 * call the jobs, datasets and models ports.
 */
export function portCallersOf(name: SubgraphName): string[] {
  const callers: string[] = subgraphNames.filter((caller) => portsCalledBy[caller].some((port) => port === name));
  return name === 'jobs' || name === 'datasets' || name === 'models' ? [...callers, 'workers'] : callers;
}
