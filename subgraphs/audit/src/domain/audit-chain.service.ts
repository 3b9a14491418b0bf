import type { DataSource } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { drainAuditOutbox, recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { tenantDatabase, type TenantScope } from '@tessera/tenancy';
import { verifyChain, type ChainVerification, type CheckpointClaim } from './audit-chain-verifier';
import { checkpointCreatedAction, type AuditCheckpointService, type CheckpointRecord } from './audit-checkpoint.service';
import type { CheckpointSigner, CheckpointVerificationKey } from './checkpoint-signer';
import { auditDetailsOf, tenantChainOf, type DetailsKeyring } from './audit-details';

export interface AuditChainDeps {
  db: DataSource;
  /** The control plane, home of the platform security log. */
  controlSchema: string;
  checkpoints: AuditCheckpointService;
  signer: CheckpointSigner;
  /** Opens the events' sealed details: the chain is verified over their plaintext. */
  keyring: DetailsKeyring;
}

/** GraphQL Int is 32-bit: a sequence bound beyond it is refused rather than truncated. */
const maxSequence = 2_147_483_647;

function sequenceBound(value: number | null | undefined, field: 'from' | 'to'): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1 || value > maxSequence) throw errors.badInput(`${field} must be a sequence number from 1 to ${maxSequence}.`, { field });
  return value;
}

/** Validated [from, to] of a verification request (from defaults to 1, to to the end). */
export function sequenceRange(args: { from?: number | null; to?: number | null }): { from: number; to: number | undefined } {
  const from = sequenceBound(args.from, 'from') ?? 1;
  const to = sequenceBound(args.to, 'to');
  if (to !== undefined && to < from) throw errors.badInput('to must not be below from.', { field: 'to' });
  return { from, to };
}

const checkpointObject = /^audit\/checkpoints\/(\d{20})\.jws$/;

/** The tenant admin's view of the chain's integrity: verify it, sign its head, list the signatures. */
export class AuditChainService {
  constructor(
    private readonly scope: TenantScope,
    private readonly deps: AuditChainDeps,
  ) {}

  async verify(args: { from?: number | null; to?: number | null }): Promise<ChainVerification> {
    assertPermission(this.scope.principal, 'audit');
    const { from, to } = sequenceRange(args);
    const tenantId = this.scope.tenant.id;
    // A chain someone tampered with may refuse new events (rows deleted from its tail leave their
    // sealed details behind, and the next events would take those sequence numbers): the events
    // stay in the outbox, and what is chained is verified anyway, which is what reports the damage.
    await drainAuditOutbox(this.deps.db, tenantId, auditDetailsOf(this.deps.keyring, tenantId)).catch((error: unknown) => {
      process.emitWarning(`could not chain the pending audit events of ${tenantId} before verifying: ${error instanceof Error ? error.message : String(error)}`, 'TesseraAuditWarning');
    });
    // Both copies of every checkpoint: the database rows and the write-once objects in the bucket.
    const claims: CheckpointClaim[] = (await this.deps.checkpoints.listTenant(tenantId)).map((c) => ({ seq: c.seq, jws: c.jws, headHash: c.headHash }));
    // Only the objects whose sequence number is in range are fetched (the key names it).
    const seqOf = (objectKey: string) => Number(checkpointObject.exec(objectKey)?.[1] ?? Number.NaN);
    const inRange = (objectKey: string) => seqOf(objectKey) >= from && (to === undefined || seqOf(objectKey) <= to);
    for (const stored of await this.deps.checkpoints.storedTenantObjects(tenantId, inRange)) {
      claims.push({ seq: seqOf(stored.objectKey), jws: stored.jws.trim() });
    }
    return verifyChain({ db: await tenantDatabase(this.deps.db, tenantId), chain: tenantChainOf(this.deps.keyring, tenantId), signer: this.deps.signer, checkpoints: claims, from, to });
  }

  /**
   * Signs the current head now (returns the existing checkpoint if nothing happened since; null for
   * an empty chain). A new checkpoint is an admin's action like any other, so it is recorded; the
   * record comes after the head it signed, and the next call does not sign it again for that alone.
   */
  async checkpoint(): Promise<CheckpointRecord | null> {
    assertPermission(this.scope.principal, 'administer');
    const outcome = await this.deps.checkpoints.checkpointTenant(this.scope.tenant);
    if (!outcome) return null;
    const { checkpoint, created } = outcome;
    if (created) {
      await this.scope.transaction((manager) =>
        recordAuditEvent(manager, this.scope.principal, {
          action: checkpointCreatedAction,
          targetType: 'AuditCheckpoint',
          targetId: String(checkpoint.seq),
          details: { sequence: checkpoint.seq, headHash: checkpoint.headHash, keyId: checkpoint.keyId },
        }),
      );
    }
    return checkpoint;
  }

  async list(): Promise<CheckpointRecord[]> {
    assertPermission(this.scope.principal, 'audit');
    return this.deps.checkpoints.listTenant(this.scope.tenant.id);
  }

  /** The public keys checkpoints verify under (the same for every tenant: the platform's key ring). */
  signingKeys(): CheckpointVerificationKey[] {
    assertPermission(this.scope.principal, 'audit');
    return this.deps.signer.verificationKeys;
  }
}
