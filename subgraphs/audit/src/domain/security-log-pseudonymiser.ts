import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { canonicalEvent, canonicalJson, chainHash, chainLockName, drainSecurityOutbox, genesisHash, parseDetails, securityChain, tenantPseudonym, type ChainRow, type SecurityLogPseudonymisation } from '@tessera/audit-client';
import { quoteIdentifier } from '@tessera/tenancy';
import type { CheckpointSigner } from './checkpoint-signer';

export const securityLogRewriteType = 'tessera-security-log-rewrite+jws';

/** What the audit key signs for one rewrite: enough to carry every older checkpoint across it. */
export interface SecurityLogRewritePayload {
  type: 'tessera.security-log-rewrite';
  version: 1;
  rewriteId: string;
  erasureRequestId: string;
  tenantPseudonym: string;
  /** Every event from `fromSeq` to `toSeq` was re-hashed (the chain links each to the one before). */
  fromSeq: number;
  toSeq: number;
  /** Events whose content changed (the others only got new hashes). */
  events: number;
  /** SHA-256 over the `seq old new` lines of every re-hashed event, in order: binds the trace rows to this signature. */
  rowsDigest: string;
  /** The hash before and after at every checkpointed sequence in range, and at `toSeq`. */
  heads: Array<{ seq: number; before: string; after: string }>;
  time: string;
}

export interface PseudonymiserDeps {
  db: DataSource;
  controlSchema: string;
  signer: CheckpointSigner;
  /** Hex key of the pseudonyms (derived from the audit signing key). */
  secret: string;
}

const pageSize = 2000;

/** `p:` + 120 bits of HMAC: fits every identifying column (tenant_id is 32 wide) and is never a tenant id. */
export function logPseudonym(secret: string, kind: 'tenant' | 'subject' | 'client' | 'ip' | 'email', value: string): string {
  return `p:${createHmac('sha256', secret).update(`${kind}:${value}`).digest('hex').slice(0, 30)}`;
}

export function rowsDigestOf(rows: ReadonlyArray<{ seq: number; oldHash: string; newHash: string }>): string {
  const digest = createHash('sha256');
  for (const row of rows) digest.update(`${row.seq} ${row.oldHash} ${row.newHash}\n`);
  return digest.digest('hex');
}

/** Where the tenant's entries name a member (member.invite, member.remove, tenant.provision's first admin, …). */
const memberSubjectKeys = ['subject', 'initialAdminSubject'];
const memberEmailKeys = ['email', 'initialAdminEmail'];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites the platform security log's earlier entries about one erased tenant to keyed pseudonyms
 * (HMAC-SHA256 under a key derived from the audit signing key: the same tenant or person maps to
 * the same pseudonym in every entry, so a forensic reading still links them, and nobody without
 * the key can go back). Rewritten in an entry that names the tenant (its tenant_id, target, actor
 * or details): the tenant id wherever it stands as a word, and the subjects, clients and source
 * addresses of the tenant's own actors. Platform admins and system actors keep their names: who
 * administered the tenant is the platform's own record, not the tenant's data.
 *
 * Hash chain: every event from the first rewritten one to the head gets its new hash (each links
 * to the one before), through the definer routine that leaves a trace row per event; the audit
 * key signs one record of the rewrite with the before/after hash at every checkpointed sequence,
 * so checkpoints signed before it still verify, and any rewrite without such a record does not.
 * Cost: one routine call per event from the tenant's first entry to the head.
 */
export class SecurityLogPseudonymiser {
  private readonly events: string;

  constructor(private readonly deps: PseudonymiserDeps) {
    this.events = `${quoteIdentifier(deps.controlSchema)}.security_events`;
  }

  private table(name: string): string {
    return `${quoteIdentifier(this.deps.controlSchema)}.${name}`;
  }

  /** Idempotent per erasure request: a second call answers what the first one did. */
  async pseudonymise(tenantId: string, erasureRequestId: string): Promise<SecurityLogPseudonymisation> {
    const pseudonym = tenantPseudonym(this.deps.secret, tenantId);
    const done = await this.recorded(erasureRequestId);
    if (done) return { ...done, tenantPseudonym: pseudonym };
    // Everything written before now is chained first, so "earlier entries" includes the outbox.
    await drainSecurityOutbox(this.deps.db, this.deps.controlSchema);
    const chain = securityChain(this.deps.controlSchema);
    const runner = this.deps.db.createQueryRunner();
    await runner.connect();
    const lock = chainLockName(chain);
    try {
      const [row] = (await runner.query('SELECT GET_LOCK(?, 60) AS acquired', [lock])) as Array<{ acquired: number | null }>;
      if (row?.acquired !== 1) throw new Error('the security log is locked by another relay; retried on the next pass');
      try {
        await runner.startTransaction();
        try {
          const result = await this.rewrite(runner, tenantId, pseudonym, erasureRequestId);
          await runner.commitTransaction();
          return result;
        } catch (error) {
          await runner.rollbackTransaction().catch(() => undefined);
          throw error;
        }
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      await runner.release();
    }
  }

  private async recorded(erasureRequestId: string): Promise<Omit<SecurityLogPseudonymisation, 'tenantPseudonym'> | undefined> {
    const rows = (await this.deps.db.query(`SELECT id, events FROM ${this.table('security_log_rewrites')} WHERE erasure_request_id = ?`, [erasureRequestId])) as Array<{ id: string; events: number }>;
    if (!rows[0]) return undefined;
    return { pseudonymisedEvents: Number(rows[0].events), rewriteId: rows[0].id, headSequence: await this.headSequence(this.deps.db) };
  }

  private async headSequence(db: Pick<DataSource, 'query'>): Promise<number> {
    const [head] = (await db.query(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.events}`)) as Array<{ head: number | string }>;
    return Number(head?.head ?? 0);
  }

  private async rewrite(runner: QueryRunner, tenantId: string, pseudonym: string, erasureRequestId: string): Promise<SecurityLogPseudonymisation> {
    const { secret } = this.deps;
    const like = `%${tenantId}%`;
    const candidates = (await runner.query(
      `SELECT seq, tenant_id, actor_subject, actor_roles, details_json FROM ${this.events}
        WHERE tenant_id = ? OR target_id LIKE ? OR actor_subject LIKE ? OR actor_client LIKE ? OR details_json LIKE ? ORDER BY seq`,
      [tenantId, like, like, like, like],
    )) as Array<{ seq: number | string; tenant_id: string | null; actor_subject: string; actor_roles: string; details_json: unknown }>;
    const word = new RegExp(`(?<![a-z0-9])${escapeRegExp(tenantId)}(?![a-z0-9]|-[a-z0-9])`, 'g');
    // Another tenant whose id ends in "-<id>" (`acme-corp` when `corp` is erased): its id, and names
    // built on it (`tessera-acme-corp`), stay as they are; the platform's own names for the erased
    // tenant (`tessera-tenant-corp`, `tenant_corp`) do not.
    const longerIds = ((await runner.query(`SELECT id FROM ${this.table('tenants')} WHERE id LIKE ?`, [`%-${tenantId}`])) as Array<{ id: string }>)
      .map((row) => row.id)
      .filter((id) => id !== tenantId);
    const partOfAnother = (text: string, offset: number): boolean =>
      longerIds.some((id) => {
        const start = offset - (id.length - tenantId.length);
        return start >= 0 && text.slice(start, offset + tenantId.length) === id && !/[a-z0-9]/.test(text.charAt(start - 1));
      });
    // The tenant's own actors: whoever acted in its entries, platform admins and the platform's system actors aside.
    const platformActor = (c: (typeof candidates)[number]) => c.actor_roles.split(',').includes('platform_admin') || c.actor_subject.startsWith('system:');
    const actors = new Set(candidates.filter((c) => c.tenant_id === tenantId && !platformActor(c)).map((c) => c.actor_subject));
    // And its members that its entries name, though they never acted there (a platform admin invited
    // or removed them, or made one the first admin): their subjects and e-mail addresses are the
    // tenant's people too. A platform admin or system actor named that way keeps its name.
    const platformSubjects = new Set(candidates.filter(platformActor).map((c) => c.actor_subject));
    const emails = new Set<string>();
    for (const c of candidates.filter((candidate) => candidate.tenant_id === tenantId)) {
      const parsed = parseDetails(c.details_json);
      const details = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
      for (const key of memberSubjectKeys) if (typeof details[key] === 'string' && details[key] && !platformSubjects.has(details[key])) actors.add(details[key]);
      for (const key of memberEmailKeys) if (typeof details[key] === 'string' && details[key]) emails.add(details[key]);
    }
    const head = await this.headSequence(runner);
    const first = candidates.map((c) => Number(c.seq))[0];
    if (first === undefined) return { pseudonymisedEvents: 0, rewriteId: null, headSequence: head, tenantPseudonym: pseudonym };

    const replaceText = (value: string): string => {
      if (actors.has(value)) return logPseudonym(secret, 'subject', value);
      if (emails.has(value)) return logPseudonym(secret, 'email', value);
      return value.replace(word, (match: string, offset: number, text: string) => (partOfAnother(text, offset) ? match : logPseudonym(secret, 'tenant', tenantId)));
    };
    const replaceDeep = (value: unknown): unknown => {
      if (typeof value === 'string') return replaceText(value);
      if (Array.isArray(value)) return value.map(replaceDeep);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, replaceDeep(inner)]));
      return value;
    };
    // The one person a name is: the tenant's own people by exact match, nothing else changed.
    const replacePerson = (value: string): string => (actors.has(value) ? logPseudonym(secret, 'subject', value) : emails.has(value) ? logPseudonym(secret, 'email', value) : value);
    // Whose name the actor of an entry keeps: a platform admin or system actor, and whoever acts in
    // another tenant's entry (unless one of the erased tenant's people, above). The erased id as a
    // word inside such a name is part of that name, not the tenant: `platform-admin` when `admin` is
    // erased, `bob@acme.com` acting in another tenant's entry when `acme` is. Rewritten, they became
    // another person's pseudonymised name that points at the erased tenant.
    const keepsActorName = (row: ChainRow): boolean => {
      const roles = String(row['actor_roles'] ?? '').split(',');
      const owner = row['tenant_id'];
      return roles.includes('platform_admin') || String(row['actor_subject']).startsWith('system:') || (owner != null && owner !== tenantId);
    };
    const rewriteRow = (row: ChainRow): ChainRow => {
      const ownActor = actors.has(String(row['actor_subject']));
      const actorText = keepsActorName(row) ? replacePerson : replaceText;
      return {
        ...row,
        tenant_id: row['tenant_id'] === tenantId ? logPseudonym(secret, 'tenant', tenantId) : row['tenant_id'],
        actor_subject: actorText(String(row['actor_subject'])),
        actor_client: row['actor_client'] == null ? null : ownActor ? logPseudonym(secret, 'client', String(row['actor_client'])) : actorText(String(row['actor_client'])),
        target_id: row['target_id'] == null ? null : replaceText(String(row['target_id'])),
        source_ip: row['source_ip'] == null ? null : ownActor ? logPseudonym(secret, 'ip', String(row['source_ip'])) : row['source_ip'],
        details_json: canonicalJson(replaceDeep(parseDetails(row['details_json']))),
      };
    };
    const targets = new Set(candidates.map((c) => Number(c.seq)));
    const chain = securityChain(this.deps.controlSchema);
    const canonical = (seq: number, row: ChainRow) => canonicalEvent(chain.chainId, seq, row, chain.columns);
    const rewriteId = randomUUID();
    const checkpointed = new Set(
      ((await runner.query(`SELECT seq FROM ${this.table('security_checkpoints')} WHERE seq >= ?`, [first])) as Array<{ seq: number | string }>).map((r) => Number(r.seq)),
    );
    // From the first event whose content changes, every event gets a new hash (each links to the one before).
    let previous: string | undefined;
    let fromSeq: number | undefined;
    const trace: Array<{ seq: number; oldHash: string; newHash: string }> = [];
    const heads: SecurityLogRewritePayload['heads'] = [];
    let changed = 0;
    for (let from = first; from <= head; from += pageSize) {
      const rows = (await runner.query(`SELECT * FROM ${this.events} WHERE seq >= ? AND seq < ? ORDER BY seq`, [from, from + pageSize])) as ChainRow[];
      for (const stored of rows) {
        const seq = Number(stored['seq']);
        const rewritten = targets.has(seq) ? rewriteRow(stored) : stored;
        const differs = rewritten !== stored && canonical(seq, rewritten) !== canonical(seq, stored);
        if (fromSeq === undefined) {
          if (!differs) continue;
          fromSeq = seq;
          const [anchor] = (await runner.query(`SELECT hash FROM ${this.events} WHERE seq = ?`, [seq - 1])) as Array<{ hash: string }>;
          previous = seq > 1 ? anchor?.hash : genesisHash;
          if (!previous) throw new Error(`security log: event ${seq - 1} is missing; verify the chain before erasing`);
        }
        const next = differs ? rewritten : stored;
        const hash = chainHash(previous!, canonical(seq, next));
        const oldHash = String(stored['hash']);
        if (differs) changed += 1;
        await runner.query(`CALL ${this.table('rewrite_security_event')}(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          rewriteId,
          seq,
          oldHash,
          next['tenant_id'] ?? null,
          next['actor_subject'],
          next['actor_client'] ?? null,
          next['target_id'] ?? null,
          next['source_ip'] ?? null,
          canonicalJson(parseDetails(next['details_json'])),
          previous,
          hash,
        ]);
        trace.push({ seq, oldHash, newHash: hash });
        if (checkpointed.has(seq) || seq === head) heads.push({ seq, before: oldHash, after: hash });
        previous = hash;
      }
    }
    if (fromSeq === undefined) return { pseudonymisedEvents: 0, rewriteId: null, headSequence: head, tenantPseudonym: pseudonym };
    const time = new Date();
    const payload: SecurityLogRewritePayload = {
      type: 'tessera.security-log-rewrite',
      version: 1,
      rewriteId,
      erasureRequestId,
      tenantPseudonym: pseudonym,
      fromSeq,
      toSeq: head,
      events: changed,
      rowsDigest: rowsDigestOf(trace),
      heads,
      time: time.toISOString(),
    };
    const jws = await this.deps.signer.signRecord(securityLogRewriteType, payload);
    await runner.query(
      `INSERT INTO ${this.table('security_log_rewrites')} (id, erasure_request_id, tenant_pseudonym, from_seq, to_seq, events, signed_at, key_id, jws) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [rewriteId, erasureRequestId, pseudonym, fromSeq, head, changed, time, this.deps.signer.keyId, jws],
    );
    return { pseudonymisedEvents: changed, rewriteId, headSequence: head, tenantPseudonym: pseudonym };
  }
}

/** The rewrites as verification needs them: signed before → after transitions per sequence, and the first trace row no signed record covers. */
export interface RewriteHistory {
  transitions: Map<number, Map<string, string>>;
  unsigned: number | null;
}

export async function loadRewriteHistory(db: DataSource, controlSchema: string, signer: CheckpointSigner): Promise<RewriteHistory> {
  const schema = quoteIdentifier(controlSchema);
  const records = (await db.query(`SELECT id, jws FROM ${schema}.security_log_rewrites ORDER BY signed_at, id`)) as Array<{ id: string; jws: string }>;
  const transitions = new Map<number, Map<string, string>>();
  const signedDigests = new Map<string, string>();
  for (const record of records) {
    const payload = (await signer.verifyRecord(securityLogRewriteType, record.jws)) as Partial<SecurityLogRewritePayload> | undefined;
    if (!payload || payload.rewriteId !== record.id || !Array.isArray(payload.heads) || typeof payload.rowsDigest !== 'string') continue;
    signedDigests.set(record.id, payload.rowsDigest);
    for (const { seq, before, after } of payload.heads) {
      const at = transitions.get(seq) ?? new Map<string, string>();
      at.set(before, after);
      transitions.set(seq, at);
    }
  }
  const traced = (await db.query(`SELECT rewrite_id, seq, old_hash, new_hash FROM ${schema}.security_event_rewrites ORDER BY rewrite_id, seq`)) as Array<{ rewrite_id: string; seq: number | string; old_hash: string; new_hash: string }>;
  const byRewrite = new Map<string, Array<{ seq: number; oldHash: string; newHash: string }>>();
  for (const row of traced) {
    const rows = byRewrite.get(row.rewrite_id) ?? [];
    rows.push({ seq: Number(row.seq), oldHash: row.old_hash, newHash: row.new_hash });
    byRewrite.set(row.rewrite_id, rows);
  }
  let unsigned: number | null = null;
  for (const [rewriteId, rows] of byRewrite) {
    if (signedDigests.get(rewriteId) === rowsDigestOf(rows)) continue;
    const seq = rows[0]!.seq;
    unsigned = unsigned === null ? seq : Math.min(unsigned, seq);
  }
  return { transitions, unsigned };
}
