import type { EntitySchema } from 'typeorm';
import type { ServiceData } from '@tessera/tenancy';
import type { ServiceRuntime } from './service-runtime';
import type { SubgraphDefinition } from './subgraph-server';

/**
 * The variable groups a subgraph may need beyond what every subgraph reads. The platform defines
 * each group's variables (platform/src/environment.ts, which may import services; this library may
 * not): `storage` the object store and the master key, `auditChain` the checkpoint signing key,
 * `alerting` the webhook policy, `monitoring` anomaly detection.
 */
export type EnvironmentGroup = 'storage' | 'auditChain' | 'alerting' | 'monitoring';

/**
 * A subgraph's one face to the platform: its name, its entities, the tables it owns and borrows
 * with the migrations that make them, the environment it needs, and how to build it. The
 * platform's catalog is a list of these; it knows nothing else about a subgraph. `Options` is
 * what the module needs from the process's configuration (each module names only what it reads;
 * the catalog's options type must cover every module's).
 */
export interface SubgraphModule<Options = unknown, Name extends string = string> {
  name: Name;
  entities: EntitySchema[];
  /**
   * Its tables (tenant and control plane), their access class, what it publishes and borrows, and
   * `data.migrations`: its own migrations (src/migrations/{tenant,control}), run by `tessera migrate`.
   */
  data: ServiceData;
  /**
   * The variable groups its process reads besides the base every subgraph has: its environment
   * schema is the base plus these and nothing else, so its container holds only these secrets.
   */
  environment: readonly EnvironmentGroup[];
  // A property, not a method: checked contravariantly, so a catalog whose options lack what a module reads does not compile.
  build: (runtime: ServiceRuntime, options: Options) => SubgraphDefinition;
}
