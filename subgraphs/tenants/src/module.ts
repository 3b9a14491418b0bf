import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { tenantsEntities, tenantsSubgraph } from './server';
import { tenantsData } from './tables';
import type { ErasureAuthorityPort } from '@tessera/audit-client';
import type { ErasureConfig } from './erasure-environment';
import type { RewrapperOptions } from './domain/data-key-rewrapper';
import type { ReencryptionOwner, ReencryptorOptions } from './domain/object-reencryptor';
import type { FamilyKeyOwner, FamilyKeyRotatorOptions } from './domain/family-key-rotator';
import type { TenantMembersOptions } from './server';

/** The one method of each owner's port the tenants service calls (typed here: audit's package depends on this one). */
type ReencryptionPort = Pick<ReencryptionOwner, 'reencryptObjects'>;

export interface TenantsModuleOptions {
  /** Regions this deployment can hold tenant data in. */
  regions: string[];
  /** The background rewrap's batch size and pace (defaults: 100 keys, no pause). */
  keyRewrap?: RewrapperOptions | undefined;
  /** ERASURE_* variables: the grace period of an erasure request. */
  erasure?: ErasureConfig | undefined;
  /** The background re-encryption's batch size and pace (defaults: 20 objects per owner, no pause). */
  reencryption?: ReencryptorOptions | undefined;
  /** ROLE_SOURCE and INVITATION_TTL_HOURS (defaults: claims, 168 hours). */
  members?: TenantMembersOptions | undefined;
  /** The background re-encryption of one dataset's or model's objects after its key is rotated (defaults: 20 objects per call, no pause). */
  familyKeyRotation?: FamilyKeyRotatorOptions | undefined;
  /**
   * The owners of encrypted data (datasets, models, jobs, audit), whose ports re-encrypt a tenant's data in
   * their processes (jobs: its sealed job results); the audit port also signs erasure receipts and pseudonymises the security log.
   */
  ports: { datasets: ReencryptionPort & FamilyKeyOwner; models: ReencryptionPort & FamilyKeyOwner; jobs: ReencryptionPort; audit: ReencryptionPort & ErasureAuthorityPort };
}

export const tenantsModule = {
  name: 'tenants',
  entities: tenantsEntities as EntitySchema[],
  data: tenantsData,
  // Creates and removes a tenant's bucket and data keys, and administers the key-encryption key.
  environment: ['storage', 'erasure', 'members'],
  // Re-encryption of a tenant's objects runs in their owners' processes, through these ports; erasure's signatures come from the audit port.
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
      members: options.members,
      familyKeyOwners: { dataset: familyKeyOwner(options.ports.datasets), model: familyKeyOwner(options.ports.models) },
      familyKeyRotation: options.familyKeyRotation,
      erasureGraceHours: options.erasure?.graceHours,
      audit: { pseudonymiseSecurityLog: (actor, input) => options.ports.audit.pseudonymiseSecurityLog(actor, input), signErasureReceipt: (actor, input) => options.ports.audit.signErasureReceipt(actor, input) },
    }),
} satisfies SubgraphModule<TenantsModuleOptions, 'tenants'>;

/** An owner's family-key methods, called late: the port given may be completed after the module is built. */
function familyKeyOwner(port: FamilyKeyOwner): FamilyKeyOwner {
  return {
    familyKeyStatus: (actor, input) => port.familyKeyStatus(actor, input),
    rotateFamilyKey: (actor, input) => port.rotateFamilyKey(actor, input),
    reencryptFamilyObjects: (actor, input) => port.reencryptFamilyObjects(actor, input),
    destroyFamilyKeyVersion: (actor, input) => port.destroyFamilyKeyVersion(actor, input),
  };
}
