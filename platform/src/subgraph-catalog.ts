import { auditModule } from '@tessera/audit';
import { datasetsModule } from '@tessera/datasets';
import { gatewayData } from '@tessera/gateway';
import { jobsModule } from '@tessera/jobs';
import { metricsModule } from '@tessera/metrics';
import { modelsModule } from '@tessera/models';
import type { PublishedPortFace, SubgraphModule } from '@tessera/service-kit';
import type { ServiceData } from '@tessera/tenancy';
import { tenantsModule } from '@tessera/tenants';
import { workerPortOwners, workersData } from '@tessera/workers';

/**
 * The subgraphs, in start order, which is also the order `tessera migrate` runs their migrations
 * in (a module's `data.migrations.after` aside). Adding one is its folder, one line here and its
 * compose/manifest block.
 */
export const subgraphModules = [datasetsModule, modelsModule, jobsModule, auditModule, metricsModule, tenantsModule] as const;

type CatalogModule = (typeof subgraphModules)[number];
export type SubgraphName = CatalogModule['name'];

type OptionsOf<M> = M extends { build: (runtime: never, options: infer O) => unknown } ? O : never;
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * Everything the modules read from the process's configuration: the intersection of their own
 * options types, so a process builds every module from one object.
 */
export type CatalogOptions = Intersection<OptionsOf<CatalogModule>>;

type PortOf<M> = M extends { ports: { publishes: PublishedPortFace<infer P, never> } } ? P : never;

/** The subgraphs that publish a port. */
export type PortOwnerName = { [M in CatalogModule as [PortOf<M>] extends [never] ? never : M['name']]: true } extends infer O ? keyof O & SubgraphName : never;

/** Every published port by its owner, as a caller holds them (in-process or HTTP clients). */
export type ServicePorts = { [M in CatalogModule as [PortOf<M>] extends [never] ? never : M['name']]: PortOf<M> };
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

/** The port each publishing subgraph offers, as its module describes it. */
export function publishedPort(owner: PortOwnerName): PublishedPortFace<unknown, CatalogOptions> {
  const face = subgraphModule(owner).ports.publishes;
  if (!face) throw new Error(`the ${owner} module publishes no port`);
  return face;
}

export const portOwnerNames: readonly PortOwnerName[] = subgraphNames.filter((name): name is PortOwnerName => subgraphModule(name).ports.publishes !== undefined);

function isPortOwner(name: string): name is PortOwnerName {
  return portOwnerNames.some((owner) => owner === name);
}

/** Which ports each subgraph calls (its module's `ports.calls`): the composition root builds exactly these for it. */
export const portsCalledBy = Object.fromEntries(
  subgraphModules.map((module) => {
    const unknown = module.ports.calls.filter((owner) => !isPortOwner(owner));
    if (unknown.length > 0) throw new Error(`the ${module.name} module calls ports nobody publishes: ${unknown.join(', ')}`);
    return [module.name, module.ports.calls as readonly PortOwnerName[]];
  }),
) as Record<SubgraphName, readonly PortOwnerName[]>;

/**
 * The services that call a subgraph's ports: its mutual-TLS listener accepts their certificates
 * besides the gateway's (the port endpoint then checks each method's allow-list).
 */
export function portCallersOf(name: SubgraphName): string[] {
  const callers: string[] = subgraphNames.filter((caller) => portsCalledBy[caller].some((port) => port === name));
  return workerPortOwners.some((owner) => owner === name) ? [...callers, 'workers'] : callers;
}
