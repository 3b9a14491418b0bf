import { drainSecurityOutbox, securityChain } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { verifyChain, type ChainVerification } from './audit-chain-verifier';
import { sequenceRange, type AuditChainDeps } from './audit-chain.service';
import { loadRewriteHistory } from './security-log-pseudonymiser';

/** The platform security log's integrity, for platform admins: same chain, same checks as a tenant's. */
export class SecurityLogService {
  constructor(
    private readonly user: Principal,
    private readonly deps: AuditChainDeps & { controlSchema: string },
  ) {}

  async verify(args: { from?: number | null; to?: number | null }): Promise<ChainVerification> {
    if (!this.user.roles.includes('platform_admin')) throw errors.forbidden('This operation needs the platform_admin role.');
    const { from, to } = sequenceRange(args);
    await drainSecurityOutbox(this.deps.db, this.deps.controlSchema);
    const claims = (await this.deps.checkpoints.listPlatform(this.deps.controlSchema)).map((c) => ({ seq: c.seq, jws: c.jws, headHash: c.headHash }));
    // Erasures rewrite earlier entries to pseudonyms; their signed records carry the checkpoints across.
    const rewrites = await loadRewriteHistory(this.deps.db, this.deps.controlSchema, this.deps.signer);
    const result = await verifyChain({ db: this.deps.db, chain: securityChain(this.deps.controlSchema), signer: this.deps.signer, checkpoints: claims, from, to, rewrittenHeads: rewrites.transitions });
    const unsigned = rewrites.unsigned;
    if (unsigned === null || unsigned < from || (to !== undefined && unsigned > to)) return result;
    if (!result.valid && result.firstBadSequence !== null && result.firstBadSequence <= unsigned) return result;
    return { ...result, valid: false, firstBadSequence: unsigned, reason: 'UNSIGNED_REWRITE' };
  }
}
