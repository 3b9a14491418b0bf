import type { EntitySchema } from 'typeorm';
import type { ServiceData } from '@tessera/tenancy';
import type { ServiceRuntime } from './service-runtime';
import type { SubgraphDefinition } from './subgraph-server';

/**
 * A subgraph's one face to the platform: its name, its entities, the tables it owns and borrows,
 * and how to build it. The platform's catalog is a list of these; it knows nothing else about a
 * subgraph. `Options` is what the module needs from the process's configuration (each module
 * names only what it reads; the catalog's options type must cover every module's).
 */
export interface SubgraphModule<Options = unknown, Name extends string = string> {
  name: Name;
  entities: EntitySchema[];
  /** Its tables (tenant and control plane), their access class, what it publishes and borrows. */
  data: ServiceData;
  // A property, not a method: checked contravariantly, so a catalog whose options lack what a module reads does not compile.
  build: (runtime: ServiceRuntime, options: Options) => SubgraphDefinition;
}
