import type { EntitySchema } from 'typeorm';
import { auditEntities, auditSubgraph, type AlertingConfig } from '@tessera/audit';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from '@tessera/datasets';
import { jobEntities, jobsSubgraph } from '@tessera/jobs';
import { metricsSubgraph } from '@tessera/metrics';
import { modelEntities, modelsSubgraph, type ModelServing } from '@tessera/models';
import type { AuditChainConfig } from '@tessera/config';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { ServiceRuntime, SubgraphDefinition } from '@tessera/service-kit';
import { tenantsSubgraph } from '@tessera/tenants';
import { absentPort, type ServicePorts } from './service-ports';

export const subgraphNames = ['datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export interface CatalogOptions {
  regions: string[];
  /** The process's one ModelServing (inference pools + stats), where the models subgraph runs. */
  modelServing?: ModelServing;
  /** The audit service's hash-chain relay and checkpoint signing (AUDIT_* variables). */
  auditChain?: AuditChainConfig;
  /** The audit service's alerting, incl. the webhook allow-list (WEBHOOK_ALLOWED_PRIVATE_RANGES); defaults when omitted. */
  alerting?: AlertingConfig;
  /** Anomaly detection settings of the metrics service (defaults when omitted). */
  monitoring?: MonitoringOptions;
  /** The other services' ports this one calls (see `portsCalledBy`); in-process or HTTP clients. */
  ports?: Partial<ServicePorts>;
}

/** Which ports each service calls: the composition root builds exactly these for it. */
export const portsCalledBy: Record<SubgraphName, ReadonlyArray<keyof ServicePorts>> = {
  datasets: [],
  models: [],
  jobs: ['datasets', 'models'],
  audit: [],
  metrics: ['jobs', 'datasets', 'models'],
  tenants: [],
};

/** The port `name` as given, or one that answers SERVICE_UNAVAILABLE (a build made only to read rules). */
function portOf<K extends keyof ServicePorts>(options: CatalogOptions, name: K): ServicePorts[K] {
  return options.ports?.[name] ?? absentPort(name);
}

/** How to build each subgraph, in one table, shared by the single-process and per-service runs. */
export const subgraphCatalog: Record<SubgraphName, { entities: EntitySchema[]; build(runtime: ServiceRuntime, options: CatalogOptions): SubgraphDefinition }> = {
  datasets: { entities: datasetEntities as EntitySchema[], build: (runtime) => datasetsSubgraph(defaultDatasetsConfig, runtime) },
  models: { entities: modelEntities as EntitySchema[], build: (runtime, options) => modelsSubgraph({ serving: options.modelServing, runtime }) },
  jobs: { entities: jobEntities as EntitySchema[], build: (runtime, options) => jobsSubgraph(runtime, { datasets: portOf(options, 'datasets'), models: portOf(options, 'models') }) },
  audit: { entities: auditEntities as EntitySchema[], build: (runtime, options) => auditSubgraph(runtime, options.alerting, options.auditChain) },
  metrics: { entities: [], build: (runtime, options) => metricsSubgraph(runtime, options.monitoring?.anomalies, { jobs: portOf(options, 'jobs'), datasets: portOf(options, 'datasets'), models: portOf(options, 'models') }) },
  tenants: { entities: [], build: (runtime, options) => tenantsSubgraph(runtime, { regions: options.regions }) },
};
