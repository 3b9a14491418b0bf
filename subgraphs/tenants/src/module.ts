import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { tenantsEntities, tenantsSubgraph } from './server';
import { tenantsData } from './tables';
import type { AuditChainConfig } from '@tessera/config';
import type { RewrapperOptions } from './domain/data-key-rewrapper';
import type { ReencryptionOwner, ReencryptorOptions } from './domain/object-reencryptor';

/** The one method of each owner's port the tenants service calls (typed here: audit's package depends on this one). */
type ReencryptionPort = Pick<ReencryptionOwner, 'reencryptObjects'>;

export interface TenantsModuleOptions {
  /** Regions this deployment can hold tenant data in. */
  regions: string[];
  /** The background rewrap's batch size and pace (defaults: 100 keys, no pause). */
  keyRewrap?: RewrapperOptions | undefined;
  /** The audit signing key signs erasure receipts; without it erasures are requested but never carried out. */
  auditChain?: AuditChainConfig | undefined;
  /** The background re-encryption's batch size and pace (defaults: 20 objects per owner, no pause). */
  reencryption?: ReencryptorOptions | undefined;
  /** The owners of encrypted data (datasets, models, jobs, audit), whose ports re-encrypt a tenant's data in their processes. */
  ports: { datasets: ReencryptionPort; models: ReencryptionPort; jobs: ReencryptionPort; audit: ReencryptionPort };
}

export const tenantsModule = {
  name: 'tenants',
  entities: tenantsEntities as EntitySchema[],
  data: tenantsData,
  // Creates and removes a tenant's bucket and data keys, and administers the key-encryption key.
  environment: ['storage'],
  // Re-encryption of a tenant's objects runs in their owners' processes, through these ports.
  ports: { calls: ['datasets', 'models', 'jobs', 'audit'] },
  build: (runtime, options) =>
    tenantsSubgraph(runtime, {
      regions: options.regions,
      rewrap: options.keyRewrap,
      reencryption: options.reencryption,
      owners: [
        { name: 'datasets', reencryptObjects: (actor, input) => options.ports.datasets.reencryptObjects(actor, input) },
        { name: 'models', reencryptObjects: (actor, input) => options.ports.models.reencryptObjects(actor, input) },
        { name: 'jobs', reencryptObjects: (actor, input) => options.ports.jobs.reencryptObjects(actor, input) },
        { name: 'audit', reencryptObjects: (actor, input) => options.ports.audit.reencryptObjects(actor, input) },
      ],
      signingKey: options.auditChain?.signingKey,
      verifyKeys: options.auditChain?.verifyKeys,
    }),
} satisfies SubgraphModule<TenantsModuleOptions, 'tenants'>;
