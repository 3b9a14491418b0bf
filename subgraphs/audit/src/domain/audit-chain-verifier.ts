import type { DataSource } from 'typeorm';
import { attachChainDetails, canonicalEvent, chainHash, genesisHash, type ChainLocation, type ChainRow } from '@tessera/audit-client';
import type { CheckpointSigner } from './checkpoint-signer';

export type ChainFailure =
  /** An event's stored hash is not SHA-256(previous hash ‖ its canonical form): edited, moved or forged. */
  | 'HASH_MISMATCH'
  /** The event with this sequence number is missing (deleted) while later ones exist. */
  | 'MISSING_EVENT'
  /** A signed checkpoint covers this sequence number but the chain ends before it (tail truncated). */
  | 'TRUNCATED'
  /** The chain recomputes, but its hash at a checkpoint differs from the signed one (rewritten from here on). */
  | 'CHECKPOINT_MISMATCH'
  /** A checkpoint whose signature, key or content does not verify. */
  | 'CHECKPOINT_INVALID'
  /** Events were rewritten through the rewrite routine without a signed rewrite record covering them (security log only). */
  | 'UNSIGNED_REWRITE';

export interface ChainVerification {
  valid: boolean;
  checkedEvents: number;
  firstBadSequence: number | null;
  reason: ChainFailure | null;
  /** The highest sequence number present in the chain (0 when empty). */
  headSequence: number;
  checkpointsChecked: number;
}

/** A checkpoint as found in the database or the bucket; both are checked, either is enough to detect truncation. */
export interface CheckpointClaim {
  seq: number;
  jws: string;
  /** The head hash the database row states (absent for a bucket copy, whose JWS payload says it). */
  headHash?: string;
}

export interface VerifyRequest {
  db: DataSource;
  chain: ChainLocation;
  signer: CheckpointSigner;
  checkpoints: CheckpointClaim[];
  from: number;
  /** Inclusive; undefined = to the end, including every checkpoint beyond the current head. */
  to: number | undefined;
  pageSize?: number;
  /**
   * Signed rewrites (the security log's erasure pseudonymisation): per sequence, head hash before →
   * after. A checkpoint signed before a rewrite still matches when its head leads to the current
   * hash through them.
   */
  rewrittenHeads?: ReadonlyMap<number, ReadonlyMap<string, string>>;
}

/** GraphQL Int is 32-bit: the lowest sequence number a report can name. */
const lowestReportable = -2_147_483_648;

interface Failure {
  seq: number;
  reason: ChainFailure;
}

/** Whether a signed head is the current hash, directly or through signed rewrites (each applied once). */
function leadsTo(signed: string, current: string, transitions: ReadonlyMap<string, string> | undefined): boolean {
  let hash = signed;
  for (let step = 0; hash !== current && transitions && step < transitions.size; step++) {
    const next = transitions.get(hash);
    if (next === undefined) return false;
    hash = next;
  }
  return hash === current;
}

/**
 * Recomputes a chain over [from, to]: sequence continuity, every hash, and every signed
 * checkpoint in range (signature by the platform key, chain id, and the chain's hash at that
 * sequence). Reports the smallest bad sequence number. A range that starts after 1 takes the
 * stored hash of `from - 1` as its anchor; checkpoints are what make a partial range meaningful.
 */
export async function verifyChain(request: VerifyRequest): Promise<ChainVerification> {
  const { db, chain, signer, from } = request;
  const pageSize = request.pageSize ?? 5000;
  const [headRow] = (await db.query(`SELECT GREATEST(COALESCE(MAX(seq), 0), 0) AS head, MIN(seq) AS low FROM ${chain.eventsTable}`)) as Array<{ head: number | string; low: number | string | null }>;
  const headSequence = Number(headRow?.head ?? 0);
  const to = request.to ?? Number.MAX_SAFE_INTEGER;
  const failures: Failure[] = [];
  // The relay numbers events from 1: a row below that was put there by hand. The scan never reaches
  // it, yet listings and exports show it, so a range from the chain's start reports it (at the
  // lowest number GraphQL's 32-bit Int can carry, for a row further down).
  const lowest = headRow?.low === null || headRow?.low === undefined ? null : Number(headRow.low);
  if (from === 1 && lowest !== null && lowest < 1) failures.push({ seq: Math.max(lowest, lowestReportable), reason: 'HASH_MISMATCH' });

  // 1. Checkpoints: each must be signed by our key, for this chain, and agree with its copies.
  const signed = new Map<number, string>();
  let checkpointsChecked = 0;
  for (const claim of request.checkpoints) {
    if (claim.seq < from || claim.seq > to) continue;
    checkpointsChecked += 1;
    const payload = await signer.verify(claim.jws);
    const agrees = payload && payload.chain === chain.chainId && payload.seq === claim.seq && (claim.headHash === undefined || claim.headHash === payload.headHash);
    const known = signed.get(claim.seq);
    if (!agrees || (known !== undefined && known !== payload.headHash)) {
      failures.push({ seq: claim.seq, reason: 'CHECKPOINT_INVALID' });
      continue;
    }
    signed.set(claim.seq, payload.headHash);
  }
  const checkpointSeqs = [...signed.keys()].sort((a, b) => a - b);

  // 2. The events, in sequence order, page by page (keyset on the primary key).
  let previousHash = genesisHash;
  if (from > 1 && from - 1 <= headSequence) {
    const anchor = (await db.query(`SELECT hash FROM ${chain.eventsTable} WHERE seq = ?`, [from - 1])) as Array<{ hash: string }>;
    if (!anchor[0]) return result(0, [...failures, { seq: from - 1, reason: 'MISSING_EVENT' }]);
    previousHash = anchor[0].hash;
  }
  let expected = from;
  let checked = 0;
  let lastGoodCheckpoint = from - 1;
  const last = Math.min(to, headSequence);
  scan: while (expected <= last) {
    const rows = (await db.query(`SELECT * FROM ${chain.eventsTable} WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ${Number(pageSize)}`, [
      expected,
      last,
    ])) as ChainRow[];
    if (rows.length === 0) break;
    // The chain hashed the plaintext details: sealed ones are opened first; one that does not open (moved, swapped, changed) mismatches.
    if (chain.details) await attachChainDetails((sql, values) => db.query(sql, values), chain.details, rows);
    for (const row of rows) {
      const seq = Number(row['seq']);
      if (seq !== expected) {
        failures.push({ seq: expected, reason: 'MISSING_EVENT' });
        break scan;
      }
      const hash = chainHash(previousHash, canonicalEvent(chain.chainId, seq, row, chain.columns));
      if (hash !== row['hash'] || (row['prev_hash'] !== undefined && row['prev_hash'] !== previousHash)) {
        failures.push({ seq, reason: 'HASH_MISMATCH' });
        break scan;
      }
      const signedHead = signed.get(seq);
      if (signedHead !== undefined) {
        // The chain is self-consistent here, yet not what was signed: rewritten after the last checkpoint that still matches.
        if (!leadsTo(signedHead, hash, request.rewrittenHeads?.get(seq))) {
          failures.push({ seq: lastGoodCheckpoint + 1, reason: 'CHECKPOINT_MISMATCH' });
          break scan;
        }
        lastGoodCheckpoint = seq;
      }
      previousHash = hash;
      expected += 1;
      checked += 1;
    }
  }

  // 3. A signed checkpoint beyond the end of what is there: the tail was cut off after it. The
  // first missing event is right after the head (which may lie before `from`).
  const beyond = checkpointSeqs.find((seq) => seq > headSequence && seq >= from && seq <= to);
  if (beyond !== undefined && (expected > headSequence || from > headSequence)) failures.push({ seq: headSequence + 1, reason: 'TRUNCATED' });

  return result(checked, failures);

  function result(checkedEvents: number, found: Failure[]): ChainVerification {
    const first = found.sort((a, b) => a.seq - b.seq)[0];
    return {
      valid: !first,
      checkedEvents,
      firstBadSequence: first?.seq ?? null,
      reason: first?.reason ?? null,
      headSequence,
      checkpointsChecked,
    };
  }
}
