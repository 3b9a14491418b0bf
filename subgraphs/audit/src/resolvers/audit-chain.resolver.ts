import type { GraphQLResolverMap, TenantTurns } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import { AuditChainService, type AuditChainDeps } from '../domain/audit-chain.service';
import type { CheckpointRecord } from '../domain/audit-checkpoint.service';
import type { CheckpointVerificationKey } from '../domain/checkpoint-signer';
import { SecurityLogService } from '../domain/security-log.service';
import { verifyErasureReceiptJws } from '@tessera/audit-client';
import { errors } from '@tessera/errors';

/** Tamper evidence: verifyAuditChain, auditCheckpoints, auditSigningKeys, createAuditCheckpoint (tenant admins). */
export function auditChainResolvers(deps: () => Promise<AuditChainDeps>, heavyReads: TenantTurns): GraphQLResolverMap<SubgraphContext> {
  const service = async (ctx: SubgraphContext) => new AuditChainService(await ctx.scope(), await deps());
  return {
    Query: {
      verifyAuditChain: async (_: unknown, args: { from?: number | null; to?: number | null }, ctx: SubgraphContext) => {
        const scope = await ctx.scope();
        const chainService = new AuditChainService(scope, await deps());
        return heavyReads.run(scope.tenant.id, () => chainService.verify(args));
      },
      auditCheckpoints: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).list(),
      auditSigningKeys: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).signingKeys(),
      // A platform operator has no tenant: each takes turns under its own subject.
      verifySecurityLog: async (_: unknown, args: { from?: number | null; to?: number | null }, ctx: SubgraphContext) => {
        const user = ctx.user();
        const logService = new SecurityLogService(user, await deps());
        return heavyReads.run(`platform:${user.subject}`, () => logService.verify(args));
      },
      // Here, not in the tenants service: the audit service holds the keys receipts are signed with.
      verifyErasureReceipt: async (_: unknown, args: { receipt: string }, ctx: SubgraphContext) => {
        const user = ctx.user();
        if (user.tenantId || !user.roles.includes('platform_admin')) throw errors.forbidden('This operation needs the platform_admin role.');
        const { signer } = await deps();
        const result = await verifyErasureReceiptJws(args.receipt.trim(), signer.verificationKeys.map((key) => key.publicJwk));
        return result.valid ? { valid: true, reason: null, keyId: result.keyId, payload: JSON.stringify(result.payload) } : { valid: false, reason: result.reason, keyId: null, payload: null };
      },
    },
    Mutation: {
      createAuditCheckpoint: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).checkpoint(),
    },
    AuditSigningKey: {
      algorithm: (key: CheckpointVerificationKey) => key.alg,
      publicJwk: (key: CheckpointVerificationKey) => JSON.stringify(key.publicJwk),
    },
    AuditCheckpoint: {
      sequence: (checkpoint: CheckpointRecord) => checkpoint.seq,
      signedAt: (checkpoint: CheckpointRecord) => checkpoint.signedAt.toISOString(),
      signature: (checkpoint: CheckpointRecord) => checkpoint.jws,
    },
  };
}
