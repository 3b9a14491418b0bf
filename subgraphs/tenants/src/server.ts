import { join } from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { loadSchemaFile, requireObjectStoreConfig, type ServiceRuntime, type SubgraphContext, type SubgraphDefinition } from '@tessera/service-kit';
import { SchemaManager, TenantProvisioner } from '@tessera/tenancy';
import { tenantResolvers } from './resolvers/tenant.resolver';
import { accessResolvers } from './resolvers/access.resolver';
import { createAccessChangePublisher } from './domain/access-change-publisher';
import { tenantRules } from './rules';
import type { JWK } from 'jose';
import { DataKeyRewrapper, defaultRewrapperOptions, type RewrapperOptions } from './domain/data-key-rewrapper';
import { ErasureReceiptSigner } from './domain/erasure-receipt';
import { pseudonymSecretFromSigningKey, TenantErasureRunner } from './domain/tenant-erasure-runner';
import { eraseTenantRedisKeys } from './domain/tenant-redis-eraser';
import { ScheduledKeyRotation } from './domain/scheduled-key-rotation';
import { ObjectReencryptor, type ReencryptionOwner, type ReencryptorOptions } from './domain/object-reencryptor';
import { FamilyKeyRotator, type FamilyKeyOwner, type FamilyKeyRotatorOptions, type KeyFamilyKind } from './domain/family-key-rotator';

export interface TenantsConfig {
  /** Regions this deployment can keep tenant data in. */
  regions: string[];
  /** Batch size and pace of the background rewrap after a key-encryption key rotation. */
  rewrap?: RewrapperOptions | undefined;
  /** ERASURE_GRACE_HOURS: how long an erasure request can be cancelled (default 72). */
  erasureGraceHours?: number | undefined;
  /** AUDIT_SIGNING_KEY and AUDIT_VERIFY_KEYS: erasure receipts are signed and verified with them. */
  signingKey?: (Record<string, unknown> & { kty: string }) | undefined;
  verifyKeys?: Array<Record<string, unknown> & { kty: string }> | undefined;
  /** How often the erasure runner looks for due requests (default 60 s). */
  erasureIntervalMs?: number | undefined;
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
  // Building has no side effects: the Redis connection opens on the first change announced.
  const changes = createAccessChangePublisher(runtime.config.redis, runtime.logger.child({ service: 'tenants' }));
  const rewrapper = createRewrapper(runtime, config);
  const erasure = createErasureRunner(runtime, config, provisioner);
  const scheduledRotation = runtime.keyProvider
    ? new ScheduledKeyRotation({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, tenants: runtime.tenants, keyring: runtime.keyring, logger: runtime.logger })
    : undefined;
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
        { store: runtime.tenants, directory: runtime.directory, provisioner, db: runtime.db, regions: config.regions, keyring: runtime.keyring },
        { db: runtime.db, controlSchema: runtime.config.database.controlSchema, provider: runtime.keyProvider, rewrapper },
        { db: runtime.db, controlSchema: runtime.config.database.controlSchema, store: runtime.tenants, provisioner, graceHours: config.erasureGraceHours ?? 72, signer: erasure?.signer },
        reencryptor,
        familyKeyRotator,
      ),
      accessResolvers({ db: runtime.db, tenants: runtime.tenants, changes }),
    ),
    rules: tenantRules,
    // A rewrap interrupted by a restart goes on from where it stopped.
    // Data keys older than their tenant's keyRotationDays are rotated by the periodic check.
    start: () => {
      rewrapper?.resume();
      reencryptor?.resume();
      familyKeyRotator?.resume();
      scheduledRotation?.start();
      erasure?.runner.start(config.erasureIntervalMs);
    },
    close: async () => {
      await scheduledRotation?.stop();
      await reencryptor?.stop();
      await familyKeyRotator?.stop();
      await rewrapper?.stop();
      await erasure?.runner.stop();
      await changes.close();
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

/** Erasure needs the audit signing key (receipts) and a key provider (the tenant's key); absent either, requests wait. */
export function createErasureRunner(runtime: ServiceRuntime, config: Pick<TenantsConfig, 'signingKey' | 'verifyKeys'> & TenantsConfig, provisioner: TenantProvisioner): { runner: TenantErasureRunner; signer: Promise<ErasureReceiptSigner> } | undefined {
  if (!config.signingKey || !runtime.keyProvider) return undefined;
  const signingKey = config.signingKey as JWK;
  const signer = ErasureReceiptSigner.fromJwk(signingKey, (config.verifyKeys ?? []) as JWK[]);
  // Built lazily: the signer's key import is async and the subgraph definition is not.
  const runner = new TenantErasureRunner({
    db: runtime.db,
    controlSchema: runtime.config.database.controlSchema,
    store: runtime.tenants,
    provisioner,
    keyring: runtime.keyring,
    objectStores: runtime.objectStores,
    bucketPrefix: requireObjectStoreConfig(runtime).bucketPrefix,
    signer,
    pseudonymSecret: pseudonymSecretFromSigningKey(signingKey),
    logger: runtime.logger,
    eraseRedis: (tenantId) => eraseTenantRedisKeys(runtime.config.redis, tenantId),
  });
  return { runner, signer };
}

export const tenantsEntities = [];
