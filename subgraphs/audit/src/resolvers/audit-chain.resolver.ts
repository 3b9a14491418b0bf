import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { SubgraphContext } from '@tessera/service-kit';
import { AuditChainService, type AuditChainDeps } from '../domain/audit-chain.service';
import type { CheckpointRecord } from '../domain/audit-checkpoint.service';
import type { CheckpointVerificationKey } from '../domain/checkpoint-signer';
import { SecurityLogService } from '../domain/security-log.service';

/** Tamper evidence: verifyAuditChain, auditCheckpoints, auditSigningKeys, createAuditCheckpoint (tenant admins). */
export function auditChainResolvers(deps: () => Promise<AuditChainDeps>): GraphQLResolverMap<SubgraphContext> {
  const service = async (ctx: SubgraphContext) => new AuditChainService(await ctx.scope(), await deps());
  return {
    Query: {
      verifyAuditChain: async (_: unknown, args: { from?: number | null; to?: number | null }, ctx: SubgraphContext) => (await service(ctx)).verify(args),
      auditCheckpoints: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).list(),
      auditSigningKeys: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).signingKeys(),
      verifySecurityLog: async (_: unknown, args: { from?: number | null; to?: number | null }, ctx: SubgraphContext) =>
        new SecurityLogService(ctx.user(), await deps()).verify(args),
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
