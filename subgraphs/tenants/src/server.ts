import { join } from 'node:path';
import type { GraphQLResolverMap } from '@tessera/service-kit';
import { loadSchemaFile, requireObjectStoreConfig, type ServiceRuntime, type SubgraphContext, type SubgraphDefinition } from '@tessera/service-kit';
import { SchemaManager, TenantProvisioner } from '@tessera/tenancy';
import { tenantResolvers } from './resolvers/tenant.resolver';
import { accessListTurns, accessResolvers } from './resolvers/access.resolver';
import { createAccessChangePublisher } from './domain/access-change-publisher';
import { createTenantChangeAnnouncer } from './domain/tenant-change-announcer';
import { tenantRules } from './rules';
import type { ErasureAuthorityPort } from '@tessera/audit-client';
import { DataKeyRewrapper, defaultRewrapperOptions, type RewrapperOptions } from './domain/data-key-rewrapper';
import { TenantErasureRunner } from './domain/tenant-erasure-runner';
import { eraseTenantRedisKeys } from './domain/tenant-redis-eraser';
import { createErasureAnnouncer, type ErasureAnnouncer } from './domain/erasure-announcer';
import { defaultErasureGraceHours } from './erasure-environment';
import { ScheduledKeyRotation } from './domain/scheduled-key-rotation';
import { TenantKeyAdoption } from './domain/tenant-key-adoption';
import { ObjectReencryptor, type ReencryptionOwner, type ReencryptorOptions } from './domain/object-reencryptor';
import { FamilyKeyRotator, type FamilyKeyOwner, type FamilyKeyRotatorOptions, type KeyFamilyKind } from './domain/family-key-rotator';

export interface TenantMembersOptions {
  /** ROLE_SOURCE, as the gateway's: with `members`, provisionTenant needs the tenant's first admin. */
  roleSource: 'claims' | 'members';
  /** INVITATION_TTL_HOURS: how long an e-mail invitation may be accepted by default (1–720). */
  invitationTtlHours: number;
}

export const defaultMembersOptions: TenantMembersOptions = { roleSource: 'claims', invitationTtlHours: 168 };

export interface TenantsConfig {
  /** Regions this deployment can keep tenant data in. */
  regions: string[];
  members?: TenantMembersOptions | undefined;
  /** Batch size and pace of the background rewrap after a key-encryption key rotation. */
  rewrap?: RewrapperOptions | undefined;
  /** ERASURE_GRACE_HOURS: how long an erasure request can be cancelled (default 72). */
  erasureGraceHours?: number | undefined;
  /** The audit port's erasure methods: the audit service signs receipts and pseudonymises the security log (it holds the key). */
  audit?: ErasureAuthorityPort | undefined;
  /** How often the erasure runner looks for due requests (default 60 s). */
  erasureIntervalMs?: number | undefined;
  /** How long an erasure waits before its last sweep of the tenant's Redis keys (default 1 s, longer than the gateway's 250 ms rate-limit exchange). */
  erasureRedisSettleMs?: number | undefined;
  /** Batch size and pace of a tenant's object re-encryption. */
  reencryption?: ReencryptorOptions | undefined;
  /** The owners of a tenant's encrypted objects (datasets, models), through their ports. */
  owners?: readonly ReencryptionOwner[] | undefined;
  /** The owners of datasets' and models' own keys (rotation of one family's key), through their ports. */
  familyKeyOwners?: Record<KeyFamilyKind, FamilyKeyOwner> | undefined;
  /** Batch size and pace of a family key's re-encryption run. */
  familyKeyRotation?: FamilyKeyRotatorOptions | undefined;
}

/**
 * The control-plane subgraph: tenant lifecycle for platform admins, "my tenant" for users, and
 * each tenant's members, service accounts and API keys for its admins.
 */
export function tenantsSubgraph(runtime: ServiceRuntime, config: TenantsConfig): SubgraphDefinition {
  const provisioner = createProvisioner(runtime, config);
  const members = config.members ?? defaultMembersOptions;
  // Building has no side effects: the Redis connection opens on the first change announced.
  const changes = createAccessChangePublisher(runtime.config.redis, runtime.logger.child({ service: 'tenants' }));
  const tenantChanges = createTenantChangeAnnouncer(runtime.config.redis, runtime.logger.child({ service: 'tenants' }));
  const rewrapper = createRewrapper(runtime, config);
  const erasure = createErasureRunner(runtime, config, provisioner);
  const scheduledRotation = runtime.keyProvider
    ? new ScheduledKeyRotation({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, tenants: runtime.tenants, keyring: runtime.keyring, logger: runtime.logger })
    : undefined;
  // Tenants provisioned before per-tenant keys: moved under their own key once the service is up.
  const keyAdoption = runtime.keyProvider ? new TenantKeyAdoption({ tenants: runtime.tenants, keyring: runtime.keyring, logger: runtime.logger.child({ component: 'tenant-key-adoption' }) }) : undefined;
  const reencryptor =
    runtime.keyProvider && config.owners
      ? new ObjectReencryptor({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, keyring: runtime.keyring, owners: config.owners, logger: runtime.logger, scopes: runtime.scopes }, config.reencryption)
      : undefined;
  const familyKeyRotator =
    runtime.keyProvider && config.familyKeyOwners
      ? new FamilyKeyRotator({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, owners: config.familyKeyOwners, logger: runtime.logger }, config.familyKeyRotation)
      : undefined;
  return {
    name: 'tenants',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: mergeResolvers(
      tenantResolvers(
        { store: runtime.tenants, directory: runtime.directory, provisioner, db: runtime.db, controlSchema: runtime.config.database.controlSchema, regions: config.regions, keyring: runtime.keyring, members, announce: (tenantId) => tenantChanges.tenantChanged(tenantId) },
        { db: runtime.db, controlSchema: runtime.config.database.controlSchema, provider: runtime.keyProvider, rewrapper },
        { db: runtime.db, controlSchema: runtime.config.database.controlSchema, store: runtime.tenants, provisioner, graceHours: config.erasureGraceHours ?? defaultErasureGraceHours, announce: (tenantId) => tenantChanges.tenantChanged(tenantId) },
        reencryptor,
        familyKeyRotator,
      ),
      accessResolvers({ db: runtime.db, tenants: runtime.tenants, changes, invitationTtlHours: members.invitationTtlHours, roleSource: members.roleSource }, accessListTurns(runtime.config.database.poolSize)),
    ),
    rules: tenantRules,
    // A rewrap interrupted by a restart goes on from where it stopped.
    // Data keys older than their tenant's keyRotationDays are rotated by the periodic check.
    start: () => {
      rewrapper?.resume();
      reencryptor?.resume();
      familyKeyRotator?.resume();
      scheduledRotation?.start();
      keyAdoption?.start();
      erasure?.runner.start(config.erasureIntervalMs);
    },
    close: async () => {
      await scheduledRotation?.stop();
      await keyAdoption?.stop();
      await reencryptor?.stop();
      await familyKeyRotator?.stop();
      await rewrapper?.stop();
      await erasure?.runner.stop();
      await erasure?.announcer.close();
      await changes.close();
      await tenantChanges.close();
    },
  };
}

function mergeResolvers(...maps: Array<GraphQLResolverMap<SubgraphContext>>): GraphQLResolverMap<SubgraphContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) for (const [type, fields] of Object.entries(map)) merged[type] = { ...(merged[type] ?? {}), ...(fields as Record<string, unknown>) };
  return merged as GraphQLResolverMap<SubgraphContext>;
}

export function createProvisioner(runtime: ServiceRuntime, config: TenantsConfig): TenantProvisioner {
  return new TenantProvisioner({
    db: runtime.db,
    store: runtime.tenants,
    keyring: runtime.keyring,
    directory: runtime.directory,
    schemas: new SchemaManager(runtime.db, runtime.config.database),
    objectStores: runtime.objectStores,
    bucketPrefix: requireObjectStoreConfig(runtime).bucketPrefix,
    regions: config.regions,
  });
}

/** The background rewrap of this process (absent without a key provider). */
export function createRewrapper(runtime: ServiceRuntime, config: Pick<TenantsConfig, 'rewrap'>): DataKeyRewrapper | undefined {
  if (!runtime.keyProvider) return undefined;
  return new DataKeyRewrapper(
    { db: runtime.db, controlSchema: runtime.config.database.controlSchema, provider: runtime.keyProvider, logger: runtime.logger, onKeyEvent: (tenantId, event) => runtime.keyring.onKeyEvent?.(tenantId, event) ?? Promise.resolve() },
    config.rewrap ?? defaultRewrapperOptions,
  );
}

/**
 * Erasure needs a key provider (the tenant's key) and the audit port (the audit service signs the
 * receipt and rewrites the security log); absent either, requests wait. The runner runs in the
 * tenants service, split from the audit service or not: the audit key never leaves its service.
 */
export function createErasureRunner(runtime: ServiceRuntime, config: Pick<TenantsConfig, 'audit' | 'erasureRedisSettleMs'>, provisioner: TenantProvisioner): { runner: TenantErasureRunner; announcer: ErasureAnnouncer } | undefined {
  if (!config.audit || !runtime.keyProvider) return undefined;
  const logger = runtime.logger.child({ component: 'tenant-erasure' });
  const announcer = createErasureAnnouncer(runtime.config.redis, logger);
  const runner = new TenantErasureRunner({
    db: runtime.db,
    controlSchema: runtime.config.database.controlSchema,
    store: runtime.tenants,
    provisioner,
    keyring: runtime.keyring,
    objectStores: runtime.objectStores,
    bucketPrefix: requireObjectStoreConfig(runtime).bucketPrefix,
    audit: config.audit,
    logger,
    eraseRedis: (tenantId) => eraseTenantRedisKeys(runtime.config.redis, tenantId),
    announceErased: (tenantId) => announcer.tenantErased(tenantId),
    announceAccessChanged: (tenantId) => announcer.accessChanged(tenantId),
    redisSettleMs: config.erasureRedisSettleMs,
  });
  return { runner, announcer };
}

export const tenantsEntities = [];
