import type { EntitySchema } from 'typeorm';
import type { ServiceData } from '@tessera/tenancy';
import type { PortClientOptions } from './ports/port-client';
import type { ServiceRuntime } from './service-runtime';
import type { SubgraphDefinition } from './subgraph-server';

/**
 * The variable groups a subgraph may need beyond what every subgraph reads. The platform defines
 * each group's variables (platform/src/environment.ts, which may import services; this library may
 * not): `storage` the object store and the key provider, `keys` the key provider alone (a service
 * that seals columns but keeps no objects), `auditChain` the checkpoint signing key, `alerting` the
 * webhook policy, `monitoring` anomaly detection, `erasure` the erasure grace period,
 * `modelUploads` the memory and validation threads of model uploads, `jobReconciler` how often the jobs
 * service looks for unfinished jobs no run holds any more, `jobRetry` the first wait before a job whose
 * dependency was unreachable is tried again, `csvUploads` where and how much of upload
 * bodies the datasets service holds until they are complete, `inference` the inference pools
 * (INFERENCE_*), `csvParsing` the CSV parsing threads (CSV_PARSE_*), `datasetReads` how much of stored
 * column profiles the datasets service opens for one request.
 */
export type EnvironmentGroup = 'storage' | 'keys' | 'auditChain' | 'alerting' | 'monitoring' | 'erasure' | 'members' | 'modelUploads' | 'jobReconciler' | 'jobRetry' | 'csvUploads' | 'inference' | 'csvParsing' | 'retention' | 'datasetReads';

/**
 * The port a subgraph publishes to other services (`@tessera/<name>/ports`), as the composition
 * roots wire it: the owner's implementation for callers in the same process, its HTTP client for
 * callers in another one. Both answer the same interface, so a caller never knows which it holds.
 */
export interface PublishedPortFace<Port = unknown, Options = unknown> {
  /** Every method: a process built without this port rejects each with SERVICE_UNAVAILABLE. */
  methods: readonly string[];
  /** For a caller in another process: POST /internal/ports/<name>/<method> over mutual TLS, signed as the caller. */
  client: (options: Omit<PortClientOptions, 'port'>) => Port;
  /** For a caller in this process: the implementation on the owner's runtime (its database account). */
  local: (runtime: ServiceRuntime, options: Options) => Port;
}

/**
 * A subgraph's one face to the platform: its name, its entities, the tables it owns and borrows
 * with the migrations that make them, the environment it needs, the port it publishes and the
 * ports it calls, and how to build it (its schema, shield rules and resolvers). The
 * platform's catalog is a list of these; it knows nothing else about a subgraph. `Options` is
 * what the module needs from the process's configuration (each module names only what it reads;
 * the catalog's options type must cover every module's).
 */
export interface SubgraphModule<Options = unknown, Name extends string = string, Published = unknown> {
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
  /**
   * `publishes`: its port, if other services read or write its data; `calls`: the subgraphs whose
   * ports it calls (the composition root hands it exactly those, and their listeners admit it).
   */
  ports: { publishes?: PublishedPortFace<Published, Options>; calls: readonly string[] };
  // A property, not a method: checked contravariantly, so a catalog whose options lack what a module reads does not compile.
  build: (runtime: ServiceRuntime, options: Options) => SubgraphDefinition;
}
