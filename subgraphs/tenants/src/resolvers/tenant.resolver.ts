import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import type { TenantRecord } from '@tessera/tenancy';
import type { RewrapRun } from '../domain/data-key-rewrapper';
import { PlatformUsageService, type TenantUsageTotals } from '../domain/platform-usage.service';
import { TenantAdminService, type ProvisionTenantArgs, type TenantAdminDeps } from '../domain/tenant-admin.service';
import { KeyEncryptionKeyService, type KeyEncryptionKeyDeps } from '../domain/key-encryption-key.service';
import { TenantErasureService, type TenantErasure, type TenantErasureDeps } from '../domain/tenant-erasure.service';
import type { KeyOperation, ObjectReencryptor } from '../domain/object-reencryptor';
import { TenantDataKeyService, type TenantDataKeysReport } from '../domain/tenant-data-key.service';
import { FamilyKeyService } from '../domain/family-key.service';
import type { FamilyKeyRotator } from '../domain/family-key-rotator';

type FamilyArgs = { id: string; tenantId?: string | null };
type ProvisionArgs = { input: ProvisionTenantArgs };

export function tenantResolvers(deps: TenantAdminDeps, keyDeps: KeyEncryptionKeyDeps, erasureDeps: TenantErasureDeps, reencryptor: ObjectReencryptor | undefined, rotator?: FamilyKeyRotator): GraphQLResolverMap<SubgraphContext> {
  const erasures = (ctx: SubgraphContext) => new TenantErasureService(ctx.user(), erasureDeps);
  const service = (ctx: SubgraphContext) => new TenantAdminService(ctx.user(), deps);
  const keys = (ctx: SubgraphContext) => new KeyEncryptionKeyService(ctx.user(), keyDeps);
  const dataKeys = (ctx: SubgraphContext) => new TenantDataKeyService(ctx.user(), { tenants: deps.store, db: deps.db, keyring: deps.keyring, reencryptor });
  const familyKeys = (ctx: SubgraphContext) => new FamilyKeyService(ctx.user(), { tenants: deps.store, db: deps.db, rotator });
  return {
    Query: {
      currentTenant: (_: unknown, _args: unknown, ctx: SubgraphContext) => service(ctx).current(),
      tenants: (_: unknown, _args: unknown, ctx: SubgraphContext) => service(ctx).list(),
      tenant: (_: unknown, args: { id: string }, ctx: SubgraphContext) => service(ctx).get(args.id),
      platformUsage: async (_: unknown, args: Record<string, unknown>, ctx: SubgraphContext) =>
        (await new PlatformUsageService(ctx.user(), deps).totals(args as { from: unknown; to: unknown })).map((row: TenantUsageTotals) => ({ tenant: row.tenant, ...row.amounts })),
      keyEncryptionKeyStatus: (_: unknown, _args: unknown, ctx: SubgraphContext) => keys(ctx).status(),
      tenantErasure: (_: unknown, args: { id: string }, ctx: SubgraphContext) => erasures(ctx).get(args.id),
      tenantDataKeys: (_: unknown, args: { tenantId?: string | null }, ctx: SubgraphContext) => dataKeys(ctx).status(args.tenantId),
      keyOperation: (_: unknown, args: { id: string }, ctx: SubgraphContext) => dataKeys(ctx).operation(args.id),
      datasetKey: (_: unknown, args: FamilyArgs, ctx: SubgraphContext) => familyKeys(ctx).status('dataset', args.id, args.tenantId),
      modelKey: (_: unknown, args: FamilyArgs, ctx: SubgraphContext) => familyKeys(ctx).status('model', args.id, args.tenantId),
    },
    Mutation: {
      provisionTenant: (_: unknown, args: ProvisionArgs, ctx: SubgraphContext) => erasures(ctx).provisionUnlessErasing(args.input.id, () => service(ctx).provision(args.input)),
      suspendTenant: (_: unknown, args: { id: string }, ctx: SubgraphContext) => service(ctx).setSuspended(args.id, true),
      resumeTenant: (_: unknown, args: { id: string }, ctx: SubgraphContext) => service(ctx).setSuspended(args.id, false),
      setTenantLimits: (_: unknown, args: { id: string; limits: Record<string, unknown> }, ctx: SubgraphContext) => service(ctx).setLimits(args.id, args.limits),
      setTenantTier: (_: unknown, args: { id: string; tier: string }, ctx: SubgraphContext) => service(ctx).setTier(args.id, args.tier),
      migrateTenantRegion: (_: unknown, args: { id: string; toRegion: string; confirm: string }, ctx: SubgraphContext) => service(ctx).migrateRegion(args.id, args.toRegion, args.confirm),
      rotateKeyEncryptionKey: (_: unknown, _args: unknown, ctx: SubgraphContext) => keys(ctx).rotate(),
      rewrapDataKeys: (_: unknown, _args: unknown, ctx: SubgraphContext) => keys(ctx).rewrap(),
      retireKeyEncryptionKeyVersion: (_: unknown, args: { version: number }, ctx: SubgraphContext) => keys(ctx).retire(args.version),
      destroyKeyEncryptionKeyVersion: (_: unknown, args: { version: number }, ctx: SubgraphContext) => keys(ctx).destroy(args.version),
      requestTenantErasure: (_: unknown, args: { tenantId?: string | null; confirm: string }, ctx: SubgraphContext) => erasures(ctx).request(args.tenantId, args.confirm),
      cancelTenantErasure: (_: unknown, args: { id: string }, ctx: SubgraphContext) => erasures(ctx).cancel(args.id),
      rotateTenantKey: (_: unknown, args: { tenantId?: string | null }, ctx: SubgraphContext) => dataKeys(ctx).rotate(args.tenantId),
      reencryptTenantObjects: (_: unknown, args: { tenantId?: string | null }, ctx: SubgraphContext) => dataKeys(ctx).reencrypt(args.tenantId),
      retireTenantKeyVersion: (_: unknown, args: { tenantId?: string | null; version: number }, ctx: SubgraphContext) => dataKeys(ctx).retire(args.tenantId, args.version),
      rotateDatasetKey: (_: unknown, args: FamilyArgs, ctx: SubgraphContext) => familyKeys(ctx).rotate('dataset', args.id, args.tenantId),
      rotateModelKey: (_: unknown, args: FamilyArgs, ctx: SubgraphContext) => familyKeys(ctx).rotate('model', args.id, args.tenantId),
      retireDatasetKeyVersion: (_: unknown, args: FamilyArgs & { version: number }, ctx: SubgraphContext) => familyKeys(ctx).retire('dataset', args.id, args.version, args.tenantId),
      retireModelKeyVersion: (_: unknown, args: FamilyArgs & { version: number }, ctx: SubgraphContext) => familyKeys(ctx).retire('model', args.id, args.version, args.tenantId),
    },
    KeyEncryptionKeyVersion: {
      createdAt: (version: { createdAt: Date }) => version.createdAt.toISOString(),
    },
    DataKeyRewrap: {
      startedAt: (run: RewrapRun) => run.startedAt.toISOString(),
      updatedAt: (run: RewrapRun) => run.updatedAt.toISOString(),
      finishedAt: (run: RewrapRun) => run.finishedAt?.toISOString() ?? null,
    },
    TenantErasure: {
      requestedAt: (erasure: TenantErasure) => erasure.requestedAt.toISOString(),
      scheduledFor: (erasure: TenantErasure) => erasure.scheduledFor.toISOString(),
      cancelledAt: (erasure: TenantErasure) => erasure.cancelledAt?.toISOString() ?? null,
      erasedAt: (erasure: TenantErasure) => erasure.erasedAt?.toISOString() ?? null,
    },
    TenantDataKeys: {
      nextRotationAt: (report: TenantDataKeysReport) => report.nextRotationAt.toISOString(),
    },
    KeyOperation: {
      startedAt: (operation: KeyOperation) => operation.startedAt.toISOString(),
      updatedAt: (operation: KeyOperation) => operation.updatedAt.toISOString(),
      finishedAt: (operation: KeyOperation) => operation.finishedAt?.toISOString() ?? null,
    },
    TenantDataKeyVersion: {
      createdAt: (version: { createdAt: Date }) => version.createdAt.toISOString(),
    },
    Tenant: {
      tier: (tenant: TenantRecord) => tenant.tier.toUpperCase(),
      createdAt: (tenant: TenantRecord) => tenant.createdAt.toISOString(),
      overriddenLimits: (tenant: TenantRecord) => Object.keys(tenant.limitOverrides).sort(),
    },
  };
}
