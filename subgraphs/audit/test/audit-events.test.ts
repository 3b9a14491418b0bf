import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { CompactSign, compactVerify, generateKeyPair, importJWK, type JWK } from 'jose';
import { canonicalEvent, chainHash, eventColumns, genesisHash, outboxColumns, recordSecurityEvent } from '@tessera/audit-client';
import type { Logger } from '@tessera/config';
import { decryptBuffer } from '@tessera/crypto';
import { errorCodes, expectNoErrors, orHung, startTestStack, withAuditDetails, type TestStack, type TestTenant } from '@tessera/testing';
import { allAuditEvents, auditEventsQuery, datasetWithVersion, newDataset, type AuditEventsResult } from './audit-events-helpers';
import { checkpoint, checkpointMutation, checkpointsQuery, eventsTable, tenantWithEvents, verify, verifyQuery, type Checkpoint } from './chain-support';
import { auditExportLockName, exportPageEvents } from '../src/domain/audit-export.service';
import { AuditCheckpointService, checkpointObjectKey } from '../src/domain/audit-checkpoint.service';
import { AuditChainService } from '../src/domain/audit-chain.service';
import { AuditRelay } from '../src/domain/audit-relay.service';
import { CheckpointSigner } from '../src/domain/checkpoint-signer';

const previewQuery = `query($id: ID!) { datasetVersion(id: $id) { id preview(limit: 5) { rows } } }`;
const exportMutation = `mutation($from: DateTime!, $to: DateTime!) {
  exportAuditEvents(from: $from, to: $to) { objectKey proofObjectKey eventCount firstSequence lastSequence firstHash lastHash sha256 checkpoint }
}`;
const accessReportQuery = `query($from: DateTime!, $to: DateTime!) {
  accessReport(from: $from, to: $to) {
    roleSource
    roleHolders { subject roles lastSeenAt roleHistory { roles firstSeenAt lastSeenAt } }
    resourceAccess { subject targetType targetId actions count lastAccessAt }
    users { subject eventCount lastActivityAt lastAction }
  }
}`;

/**
 * Many tenants exporting their audit trails at once, more than the audit service's pool holds
 * connections (the test stack's pool has 8): each export holds one connection for its lock, and
 * must not wait forever for another one its neighbours' exports hold.
 */
const tenantsExporting = 24;

const concurrentExportMutation = 'mutation($from: DateTime!, $to: DateTime!) { exportAuditEvents(from: $from, to: $to) { objectKey } }';

/**
 * One stack for the hash chain's tests and the audit events' (three files with the same stack
 * options before: two stack starts less). The chain's tests run first, with only their own tenants.
 */
let stack: TestStack;
let hung = false;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
  if (stack && !hung) await stack.stop();
});

/**
 * The hash chain and its signed checkpoints: every kind of tampering done directly in MySQL (as
 * the migrator account — the service account cannot UPDATE or DELETE these rows at all) is
 * detected by verifyAuditChain, with the first bad sequence number.
 */
describe('audit hash chain: verification and tamper detection', () => {

  // With each event's details as chained (they are kept sealed beside the chain; the hash covers their plaintext).
  const rowsOf = async (tenant: TestTenant) => withAuditDetails(stack, tenant.id, (await stack.adminQuery(`SELECT * FROM ${eventsTable(tenant)} ORDER BY seq`)) as Array<Record<string, unknown>>);

  it('an untouched chain verifies: gapless sequence 1..n, each hash = SHA-256(previous hash ‖ canonical event)', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 5);
    const rows = await rowsOf(tenant);
    expect(rows.map((row) => Number(row['seq']))).toEqual([1, 2, 3, 4, 5]);
    let previous = genesisHash;
    for (const row of rows) {
      expect(row['prev_hash']).toBe(previous);
      previous = chainHash(previous, canonicalEvent(`tenant:${tenant.id}`, Number(row['seq']), row, eventColumns));
      expect(row['hash']).toBe(previous);
    }
    expect(await verify(stack, admin)).toEqual({ valid: true, checkedEvents: 5, firstBadSequence: null, reason: null, headSequence: 5, checkpointsChecked: 0 });
    expect(await verify(stack, admin, { from: 2, to: 4 })).toMatchObject({ valid: true, checkedEvents: 3 });
  });

  it('detects an edited field at its sequence number (and a range before it still verifies)', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 6);
    await stack.adminQuery(`UPDATE ${eventsTable(tenant)} SET actor_subject = 'someone-else' WHERE seq = 4`);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 4, reason: 'HASH_MISMATCH', checkedEvents: 3 });
    expect(await verify(stack, admin, { to: 3 })).toMatchObject({ valid: true, checkedEvents: 3 });
  });

  it('detects an edited details object and an edited time', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 4);
    await stack.adminQuery(`UPDATE ${eventsTable(tenant)} SET details_json = JSON_OBJECT('name', 'innocent') WHERE seq = 3`);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 3, reason: 'HASH_MISMATCH' });
    const other = await tenantWithEvents(stack, 4);
    await stack.adminQuery(`UPDATE ${eventsTable(other.tenant)} SET occurred_at = occurred_at - INTERVAL 1 DAY WHERE seq = 2`);
    expect(await verify(stack, other.admin)).toMatchObject({ valid: false, firstBadSequence: 2, reason: 'HASH_MISMATCH' });
  });

  it('detects a deleted row at the missing sequence number', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 6);
    await stack.adminQuery(`DELETE FROM ${eventsTable(tenant)} WHERE seq = 3`);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 3, reason: 'MISSING_EVENT', checkedEvents: 2, headSequence: 6 });
  });

  it('detects two rows swapped (their sequence numbers exchanged) at the first of them', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 6);
    const table = eventsTable(tenant);
    await stack.adminQuery(`UPDATE ${table} SET seq = -1 WHERE seq = 2`);
    await stack.adminQuery(`UPDATE ${table} SET seq = 2 WHERE seq = 5`);
    await stack.adminQuery(`UPDATE ${table} SET seq = 5 WHERE seq = -1`);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 2, reason: 'HASH_MISMATCH' });
  });

  it('detects a forged row appended at the end, and one slipped into the middle', async () => {
    const appended = await tenantWithEvents(stack, 4);
    const forged = (seq: number) => [seq, '00000000-0000-4000-8000-000000000001', new Date(), 'intruder', 'admin', 'dataset.delete', 'Dataset', '{}', randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const insert = `(seq, id, occurred_at, actor_subject, actor_roles, action, target_type, outcome, details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, 'SUCCESS', ?, ?, ?)`;
    await stack.adminQuery(`INSERT INTO ${eventsTable(appended.tenant)} ${insert}`, forged(5));
    expect(await verify(stack, appended.admin)).toMatchObject({ valid: false, firstBadSequence: 5, reason: 'HASH_MISMATCH', checkedEvents: 4 });

    const middle = await tenantWithEvents(stack, 4);
    await stack.adminQuery(`UPDATE ${eventsTable(middle.tenant)} SET seq = seq + 1 WHERE seq >= 3 ORDER BY seq DESC`);
    await stack.adminQuery(`INSERT INTO ${eventsTable(middle.tenant)} ${insert}`, forged(3));
    expect(await verify(stack, middle.admin)).toMatchObject({ valid: false, firstBadSequence: 3, reason: 'HASH_MISMATCH', headSequence: 5 });
  });

  it('detects a forged row below the first sequence number (0 or negative), which the trail and exports would show', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 3);
    const insert = `(seq, id, occurred_at, actor_subject, actor_roles, action, target_type, outcome, details_json, prev_hash, hash) VALUES (?, ?, ?, 'intruder', 'admin', 'dataset.delete', 'Dataset', 'SUCCESS', '{}', ?, ?)`;
    await stack.adminQuery(`INSERT INTO ${eventsTable(tenant)} ${insert}`, [0, '00000000-0000-4000-8000-000000000003', new Date(), randomBytes(32).toString('hex'), randomBytes(32).toString('hex')]);
    const listed = expectNoErrors(await stack.query<{ auditEvents: { edges: Array<{ node: { actorSubject: string } }> } }>(admin, `{ auditEvents(first: 10) { edges { node { actorSubject } } } }`));
    expect(listed.auditEvents.edges.map((edge) => edge.node.actorSubject)).toContain('intruder');
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 0, reason: 'HASH_MISMATCH', headSequence: 3 });
    // A range that starts later does not cover the chain's start.
    expect(await verify(stack, admin, { from: 2 })).toMatchObject({ valid: true, checkedEvents: 2 });

    const far = await tenantWithEvents(stack, 2);
    await stack.adminQuery(`INSERT INTO ${eventsTable(far.tenant)} ${insert}`, ['-9000000000000', '00000000-0000-4000-8000-000000000004', new Date(), randomBytes(32).toString('hex'), randomBytes(32).toString('hex')]);
    // Reported at the lowest sequence number GraphQL's Int can carry, not as an error.
    expect(await verify(stack, far.admin)).toMatchObject({ valid: false, firstBadSequence: -2147483648, reason: 'HASH_MISMATCH', headSequence: 2 });
  });

  it('detects a forged row inserted with every later hash recomputed, through the signed checkpoints', async () => {
    // The attacker knows the algorithm and rewrites the chain consistently from the forgery on:
    // every hash recomputes, and only the signed heads (which need the platform key) disagree.
    const { tenant, admin } = await tenantWithEvents(stack, 3);
    expect((await checkpoint(stack, admin)).sequence).toBe(3);
    for (let i = 0; i < 3; i += 1) expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `later-${i}` } }));
    // 4 records the first checkpoint being made, 5–7 the datasets.
    expect((await checkpoint(stack, admin)).sequence).toBe(7);
    const table = eventsTable(tenant);
    const rows = await rowsOf(tenant);
    const forged: Record<string, unknown> = { ...rows[3]!, id: '00000000-0000-4000-8000-000000000002', actor_subject: 'intruder', action: 'dataset.delete' };
    const rewritten: Array<Record<string, unknown>> = [...rows.slice(0, 3), forged, ...rows.slice(3)];
    let previous = rows[2]!['hash'] as string;
    await stack.adminQuery(`DELETE FROM ${table} WHERE seq >= 4`);
    // Without the tenant's key the attacker cannot seal details for the shifted rows: it drops them and writes the details in clear, as chained before sealing.
    await stack.adminQuery(`DELETE FROM \`${tenant.schema}\`.audit_event_details WHERE seq >= 4`);
    for (const [index, row] of rewritten.entries()) {
      const seq = index + 1;
      if (seq < 4) continue;
      const hash = chainHash(previous, canonicalEvent(`tenant:${tenant.id}`, seq, row, eventColumns));
      await stack.adminQuery(
        `INSERT INTO ${table} (seq, ${eventColumns.join(', ')}, prev_hash, hash) VALUES (?, ${eventColumns.map(() => '?').join(', ')}, ?, ?)`,
        [seq, ...eventColumns.map((column) => (column === 'details_json' && typeof row[column] !== 'string' ? JSON.stringify(row[column]) : row[column])), previous, hash],
      );
      previous = hash;
    }
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 4, reason: 'CHECKPOINT_MISMATCH', checkpointsChecked: 4 });
    // Up to the last checkpoint that still matches, the chain is vouched for.
    expect(await verify(stack, admin, { to: 3 })).toMatchObject({ valid: true, checkedEvents: 3 });
  });

  it('detects the tail truncated after a checkpoint — even when the checkpoint rows are deleted too (the bucket copy remains)', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 6);
    expect((await checkpoint(stack, admin)).sequence).toBe(6);
    // The checkpoint's own record is chained (7) before the cut: a relay mid-batch while the tail
    // goes would append after the deleted rows (it read the head before the DELETE).
    await stack.drainAudit(tenant.id);
    await stack.adminQuery(`DELETE FROM ${eventsTable(tenant)} WHERE seq >= 5`);
    // An event written after the cut cannot be chained onto it (the deleted rows' details remain):
    // it waits in the outbox, and verification reports the cut instead of failing.
    expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'after-the-cut' } }));
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 5, reason: 'TRUNCATED', checkedEvents: 4, headSequence: 4 });
    await stack.adminQuery(`DELETE FROM \`${tenant.schema}\`.audit_checkpoints`);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 5, reason: 'TRUNCATED' });
  });

  it('refuses a checkpoint signed with another key', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 3);
    const [head] = (await stack.adminQuery(`SELECT seq, hash FROM ${eventsTable(tenant)} ORDER BY seq DESC LIMIT 1`)) as Array<{ seq: number; hash: string }>;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const payload = { chain: `tenant:${tenant.id}`, tenantId: tenant.id, seq: 3, headHash: head!.hash, time: new Date().toISOString() };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: 'forged', typ: 'tessera-audit-checkpoint+jws' }).sign(privateKey);
    await stack.adminQuery(`INSERT INTO \`${tenant.schema}\`.audit_checkpoints (seq, head_hash, signed_at, key_id, jws, object_key) VALUES (3, ?, NOW(3), 'forged', ?, 'none')`, [head!.hash, jws]);
    expect(await verify(stack, admin)).toMatchObject({ valid: false, firstBadSequence: 3, reason: 'CHECKPOINT_INVALID' });
  });

  describe('signed checkpoints', () => {
    let tenant: TestTenant;
    let admin: string;
    let first: Checkpoint;

    beforeAll(async () => {
      ({ tenant, admin } = await tenantWithEvents(stack, 2));
      first = await checkpoint(stack, admin);
    });

    it('signs {chain, tenantId, seq, headHash, time} with the platform audit key (EdDSA JWS), verifiable with its public key', async () => {
      const [head] = (await stack.adminQuery(`SELECT seq, hash FROM ${eventsTable(tenant)} ORDER BY seq DESC LIMIT 1`)) as Array<{ seq: number; hash: string }>;
      expect(first).toMatchObject({ sequence: 2, headHash: head!.hash, objectKey: checkpointObjectKey(2) });
      const { d: _private, ...publicJwk } = stack.config.auditChain!.signingKey as JWK;
      const { payload, protectedHeader } = await compactVerify(first.signature, await importJWK(publicJwk, 'EdDSA'));
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: first.keyId });
      expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toEqual({ chain: `tenant:${tenant.id}`, tenantId: tenant.id, seq: 2, headHash: head!.hash, time: first.signedAt });
    });

    it('is stored in the append-only table and as an object in the tenant bucket; a second call with no new events returns the same checkpoint', async () => {
      const stream = await stack.platform.runtime.objectStore.getObject(tenant.bucket, first.objectKey!);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      expect(Buffer.concat(chunks).toString('utf8')).toBe(first.signature);
      expect(await checkpoint(stack, admin)).toEqual(first);
      const listed = expectNoErrors(await stack.query<{ auditCheckpoints: Checkpoint[] }>(admin, checkpointsQuery)).auditCheckpoints;
      expect(listed).toEqual([{ sequence: 2, headHash: first.headHash, keyId: first.keyId, signature: first.signature, objectKey: first.objectKey }]);
      expect(await verify(stack, admin)).toMatchObject({ valid: true, checkpointsChecked: 2 }); // the row and the bucket copy
    });

    it('never overwrites a checkpoint object: a different object already at the next key makes the checkpoint a CONFLICT', async () => {
      expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'third' } }));
      await stack.drainAudit(tenant.id);
      // 3 records the first checkpoint being made, 4 the dataset: the next checkpoint signs 4.
      const squatted = Buffer.from('not a checkpoint');
      await stack.platform.runtime.objectStore.putObject(tenant.bucket, checkpointObjectKey(4), squatted, squatted.length);
      const res = await stack.query(admin, checkpointMutation);
      expect(errorCodes(res)).toEqual(['CONFLICT']);
      const rows = (await stack.adminQuery(`SELECT seq FROM \`${tenant.schema}\`.audit_checkpoints ORDER BY seq`)) as Array<{ seq: number }>;
      expect(rows.map((r) => Number(r.seq))).toEqual([2]);
    });

    it("records a new checkpoint in the tenant's trail as the admin's action, and that record alone does not make the next call sign again", async () => {
      const other = await stack.createTenant();
      const otherAdmin = await other.token('admin');
      expectNoErrors(await stack.query(otherAdmin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'one' } }));
      const made = await checkpoint(stack, otherAdmin);
      expect(await checkpoint(stack, otherAdmin)).toEqual(made);
      await stack.drainAudit(other.id);
      const rows = (await stack.adminQuery(`SELECT seq, action, target_type, target_id, actor_subject FROM ${eventsTable(other)} ORDER BY seq`)) as Array<Record<string, unknown>>;
      expect(rows.map((row) => [Number(row['seq']), row['action']])).toEqual([
        [1, 'dataset.create'],
        [2, 'audit.checkpoint.create'],
      ]);
      expect(rows[1]).toMatchObject({ target_type: 'AuditCheckpoint', target_id: String(made.sequence) });
      expect(rows[1]!['actor_subject']).toBe(rows[0]!['actor_subject']);
      // Anything else that happens is signed by the next call, the record included.
      expectNoErrors(await stack.query(otherAdmin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'two' } }));
      expect((await checkpoint(stack, otherAdmin)).sequence).toBe(3);
      expect(await verify(stack, otherAdmin)).toMatchObject({ valid: true, headSequence: 4 });
    });

    it('an empty chain has no checkpoint (null), and verifies as valid with head 0', async () => {
      const empty = await stack.createTenant();
      const token = await empty.token('admin');
      expect(expectNoErrors(await stack.query<{ createAuditCheckpoint: null }>(token, checkpointMutation)).createAuditCheckpoint).toBeNull();
      expect(await verify(stack, token)).toEqual({ valid: true, checkedEvents: 0, firstBadSequence: null, reason: null, headSequence: 0, checkpointsChecked: 0 });
    });
  });

  it('signs every moved chain periodically, and only when it moved', async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 2);
    const runtime = stack.platform.runtime;
    const signer = await CheckpointSigner.fromJwk(stack.config.auditChain!.signingKey as JWK);
    const checkpoints = new AuditCheckpointService({ db: runtime.db, objectStore: runtime.objectStore, bucketPrefix: 'tessera', signer, retentionDays: 0, keyring: runtime.keyring });
    const relay = new AuditRelay({ db: runtime.db, keyring: runtime.keyring, tenants: runtime.tenants, controlSchema: stack.config.database.controlSchema, checkpoints, logger: stack.config.logger, relayIntervalMs: 50, fullSweepIntervalMs: 50, checkpointIntervalMs: 50 });
    const signedSeqs = async () =>
      ((await stack.adminQuery(`SELECT seq FROM \`${tenant.schema}\`.audit_checkpoints ORDER BY seq`)) as Array<{ seq: number }>).map((r) => Number(r.seq));
    const until = async (condition: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error('the periodic checkpoint never came');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    relay.start();
    try {
      await until(async () => (await signedSeqs()).includes(2));
      expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'after-first-checkpoint' } }));
      await stack.drainAudit(tenant.id);
      const [head] = (await stack.adminQuery(`SELECT MAX(seq) AS head FROM ${eventsTable(tenant)}`)) as Array<{ head: number }>;
      await until(async () => (await signedSeqs()).includes(Number(head!.head)));
    } finally {
      await relay.stop();
    }
    // One checkpoint per head reached: no duplicates for a chain that did not move.
    const seqs = await signedSeqs();
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(await verify(stack, admin)).toMatchObject({ valid: true });
    // The platform security log is checkpointed by the same loop (when it holds events).
    const platformRows = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${stack.config.database.controlSchema}\`.security_events`)) as Array<{ n: number }>;
    const platformCheckpoints = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${stack.config.database.controlSchema}\`.security_checkpoints`)) as Array<{ n: number }>;
    expect(Number(platformCheckpoints[0]!.n) > 0).toBe(Number(platformRows[0]!.n) > 0);
  });

  it("a tenant whose chain keeps failing is logged once (then every few minutes), not every pass; its recovery is logged (even when another relay chained the events) and its events are chained", async () => {
    const { tenant, admin } = await tenantWithEvents(stack, 1);
    const runtime = stack.platform.runtime;
    const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
    const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
    const relay = new AuditRelay({ db: runtime.db, keyring: runtime.keyring, tenants: runtime.tenants, controlSchema: stack.config.database.controlSchema, checkpoints: undefined, logger, relayIntervalMs: 20, fullSweepIntervalMs: 20, checkpointIntervalMs: 0 });
    const about = (message: string) => lines.filter((line) => line.message === message && line.fields['tenantId'] === tenant.id);
    // A real failure: the chain's table is gone while events wait in the outbox.
    await stack.adminQuery(`RENAME TABLE ${eventsTable(tenant)} TO \`${tenant.schema}\`.audit_events_away`);
    try {
      expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'while-the-chain-fails' } }));
      relay.start();
      const deadline = Date.now() + 20_000;
      while (about('audit relay failed for a tenant').length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // Many more passes over the same failing tenant.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(about('audit relay failed for a tenant')).toHaveLength(1);
      expect(about('audit relay failed for a tenant')[0]!.fields['error']).toMatch(/audit_events/);
    } finally {
      await stack.adminQuery(`RENAME TABLE \`${tenant.schema}\`.audit_events_away TO ${eventsTable(tenant)}`);
    }
    // Someone else (the stack's own relay, another replica, a drain) may chain the waiting events
    // first: this relay still sees that the chain works again and says so.
    await stack.drainAudit(tenant.id);
    try {
      const deadline = Date.now() + 20_000;
      while (about('audit relay failed for a tenant: recovered').length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await relay.stop();
    }
    const [recovered] = about('audit relay failed for a tenant: recovered');
    expect(recovered).toMatchObject({ level: 'info' });
    expect(Number(recovered!.fields['failures'])).toBeGreaterThan(10);
    expect(await verify(stack, admin)).toMatchObject({ valid: true, headSequence: 2 });
  });

  it('the platform security log is chained the same way: a platform admin verifies it, tampering is found, tenant admins are refused', async () => {
    const securityQuery = `query($from: Int, $to: Int) { verifySecurityLog(from: $from, to: $to) { valid checkedEvents firstBadSequence reason headSequence } }`;
    const platformAdmin = await stack.platformAdminToken();
    const { admin } = await tenantWithEvents(stack, 0);
    const db = stack.platform.runtime.db;
    for (let i = 0; i < 3; i += 1) {
      await db.transaction((manager) =>
        recordSecurityEvent(manager, { kind: 'user', tenantId: 'tprobe', subject: `probe-${i}`, roles: ['viewer'], requestId: `req-${i}`, clientId: undefined, sourceIp: '192.0.2.1' }, { tenantId: 'tprobe', action: 'cross_tenant_attempt', targetType: 'Dataset', targetId: `id-${i}`, details: { attempt: i } }),
      );
    }
    const before = expectNoErrors(await stack.query<{ verifySecurityLog: { valid: boolean; headSequence: number; checkedEvents: number } }>(platformAdmin, securityQuery)).verifySecurityLog;
    expect(before.valid).toBe(true);
    expect(before.checkedEvents).toBe(before.headSequence);
    expect(before.headSequence).toBeGreaterThanOrEqual(3);
    const control = `\`${stack.config.database.controlSchema}\`.security_events`;
    const [target] = (await stack.adminQuery(`SELECT seq FROM ${control} WHERE target_id = 'id-1'`)) as Array<{ seq: number }>;
    await stack.adminQuery(`UPDATE ${control} SET tenant_id = 'tother' WHERE seq = ?`, [target!.seq]);
    expect(expectNoErrors(await stack.query<{ verifySecurityLog: unknown }>(platformAdmin, securityQuery)).verifySecurityLog).toMatchObject({
      valid: false,
      firstBadSequence: Number(target!.seq),
      reason: 'HASH_MISMATCH',
    });
    expect(errorCodes(await stack.query(admin, securityQuery))).toEqual(['FORBIDDEN']);
  });

  describe('signing key rotation', () => {
    /** The audit service's chain machinery as it runs after a restart with `signer`'s keys. */
    const chainServiceWith = async (tenant: TestTenant, signer: CheckpointSigner) => {
      const runtime = stack.platform.runtime;
      const checkpoints = new AuditCheckpointService({ db: runtime.db, objectStore: runtime.objectStore, bucketPrefix: 'tessera', signer, retentionDays: 0, keyring: runtime.keyring });
      const scope = await runtime.scopes.forPrincipal({ kind: 'user', subject: 'rotation-admin', tenantId: tenant.id, roles: ['admin'], requestId: 'rotation-test', clientId: undefined, sourceIp: undefined });
      return new AuditChainService(scope, { db: runtime.db, controlSchema: stack.config.database.controlSchema, checkpoints, signer, keyring: runtime.keyring });
    };
    const newKey = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;

    it('checkpoints of a retired key still verify while its public key is listed; new ones are signed by the new key', async () => {
      const { tenant, admin } = await tenantWithEvents(stack, 2);
      const beforeRotation = await checkpoint(stack, admin); // the stack's key
      const { d: _private, ...retiredPublic } = stack.config.auditChain!.signingKey as JWK;
      const rotated = await CheckpointSigner.fromJwk(newKey(), [retiredPublic]);
      const service = await chainServiceWith(tenant, rotated);

      expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'after-rotation' } }));
      await stack.drainAudit(tenant.id);
      const afterRotation = (await service.checkpoint())!;
      expect(afterRotation.keyId).toBe(rotated.keyId);
      expect(afterRotation.keyId).not.toBe(beforeRotation.keyId);
      expect(rotated.verificationKeys.map((k) => [k.keyId, k.current])).toEqual([
        [rotated.keyId, true],
        [beforeRotation.keyId, false],
      ]);
      // Both checkpoints (rows and bucket copies) verify, each under its own key.
      expect(await service.verify({})).toMatchObject({ valid: true, checkpointsChecked: 4 });

      // A verifier that no longer trusts the retired key cannot vouch for its checkpoints.
      const forgetful = await chainServiceWith(tenant, await CheckpointSigner.fromJwk(newKey()));
      expect(await forgetful.verify({})).toMatchObject({ valid: false, firstBadSequence: beforeRotation.sequence, reason: 'CHECKPOINT_INVALID' });
    });

    it('refuses a private key among the retired keys, and a key ring never lists private parts', async () => {
      await expect(CheckpointSigner.fromJwk(newKey(), [newKey()])).rejects.toThrow(/public keys only/);
      const ring = await CheckpointSigner.fromJwk(newKey(), []);
      expect(ring.verificationKeys.map((k) => Object.keys(k.publicJwk).sort())).toEqual([['crv', 'kty', 'x']]);
    });

    it('auditSigningKeys gives tenant admins the public key that verifies their checkpoints offline; other roles are refused', async () => {
      const { tenant, admin } = await tenantWithEvents(stack, 1);
      const signed = await checkpoint(stack, admin);
      const { auditSigningKeys } = expectNoErrors(
        await stack.query<{ auditSigningKeys: Array<{ keyId: string; algorithm: string; publicJwk: string; current: boolean }> }>(admin, '{ auditSigningKeys { keyId algorithm publicJwk current } }'),
      );
      expect(auditSigningKeys).toHaveLength(1);
      const [key] = auditSigningKeys;
      expect(key).toMatchObject({ keyId: signed.keyId, algorithm: 'EdDSA', current: true });
      const publicJwk = JSON.parse(key!.publicJwk) as JWK;
      expect(publicJwk.d).toBeUndefined();
      const { payload } = await compactVerify(signed.signature, await importJWK(publicJwk, key!.algorithm));
      expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({ tenantId: tenant.id, seq: signed.sequence });
      for (const role of ['viewer', 'data_scientist'] as const) {
        expect(errorCodes(await stack.query(await tenant.token(role), '{ auditSigningKeys { keyId } }'))).toEqual(['FORBIDDEN']);
      }
    });
  });

  describe('bad input, roles and tenants', () => {
    let a: { tenant: TestTenant; admin: string };
    let b: { tenant: TestTenant; admin: string };

    beforeAll(async () => {
      [a, b] = [await tenantWithEvents(stack, 3), await tenantWithEvents(stack, 1)];
    });

    it.each<[Record<string, number>, string]>([
      [{ from: 0 }, 'from'],
      [{ from: -5 }, 'from'],
      [{ to: 0 }, 'to'],
      [{ from: 4, to: 3 }, 'to'],
    ])('refuses the range %j with BAD_USER_INPUT naming %s', async (range, field) => {
      const res = await stack.query(a.admin, verifyQuery, range);
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors?.[0]?.extensions?.['field']).toBe(field);
    });

    it.each([[{ from: 2 ** 40 }], [{ from: 'one' }], [{ to: 1.5 }]])('refuses the non-Int range %j', async (range) => {
      const res = await stack.query(a.admin, verifyQuery, range as Record<string, unknown>);
      expect(res.data ?? null).toBeNull();
      expect(errorCodes(res).length).toBeGreaterThan(0);
      expect(errorCodes(res).every((code) => ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'].includes(code))).toBe(true);
    });

    it('a huge range is fine: it ends at the head', async () => {
      expect(await verify(stack, a.admin, { from: 1, to: 2_000_000_000 })).toMatchObject({ valid: true, checkedEvents: 3, headSequence: 3 });
    });

    it.each(['viewer', 'data_scientist'] as const)('a %s gets FORBIDDEN for verifyAuditChain, auditCheckpoints and createAuditCheckpoint', async (role) => {
      const token = await a.tenant.token(role);
      for (const query of [verifyQuery, checkpointsQuery, checkpointMutation]) expect(errorCodes(await stack.query(token, query))).toEqual(['FORBIDDEN']);
      expect((await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${a.tenant.schema}\`.audit_checkpoints`)) as unknown).toEqual([{ n: 0 }]);
    });

    let aCheckpoint: Checkpoint;

    it("tenant B only ever verifies, lists and signs its own chain; tampering with A's leaves B valid", async () => {
      aCheckpoint = await checkpoint(stack, a.admin);
      await stack.adminQuery(`UPDATE ${eventsTable(a.tenant)} SET action = 'tampered' WHERE seq = 1`);
      // B's own head (denied requests may be audited too, so count rather than assume).
      await stack.drainAudit(b.tenant.id);
      const [bHead] = (await stack.adminQuery(`SELECT MAX(seq) AS head FROM ${eventsTable(b.tenant)}`)) as Array<{ head: number }>;
      for (const range of [{}, { from: 1, to: aCheckpoint.sequence }, { from: aCheckpoint.sequence }]) {
        const res = await verify(stack, b.admin, range);
        expect({ range, valid: res.valid, head: res.headSequence }).toEqual({ range, valid: true, head: Number(bHead!.head) });
      }
      const bList = expectNoErrors(await stack.query<{ auditCheckpoints: Checkpoint[] }>(b.admin, checkpointsQuery)).auditCheckpoints;
      expect(bList).toEqual([]);
      const bCheckpoint = await checkpoint(stack, b.admin);
      expect(bCheckpoint.sequence).toBe(Number(bHead!.head));
      expect(bCheckpoint.signature).not.toBe(aCheckpoint.signature);
      expect(JSON.parse(Buffer.from(bCheckpoint.signature.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject({ tenantId: b.tenant.id });
      // B's checkpoint went to B's bucket; A's bucket holds only A's.
      const aKeys: string[] = [];
      for await (const item of stack.platform.runtime.objectStore.listObjectsV2(a.tenant.bucket, 'audit/', true)) if (item.name) aKeys.push(item.name);
      expect(aKeys).toEqual([checkpointObjectKey(aCheckpoint.sequence)]);
      expect(await verify(stack, a.admin)).toMatchObject({ valid: false, firstBadSequence: 1, reason: 'HASH_MISMATCH' });
    });

    it("a checkpoint copied from tenant A's bucket into B's does not verify for B", async () => {
      const aObject = checkpointObjectKey(aCheckpoint.sequence);
      const stream = await stack.platform.runtime.objectStore.getObject(a.tenant.bucket, aObject);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      const copy = Buffer.concat(chunks);
      await stack.platform.runtime.objectStore.putObject(b.tenant.bucket, aObject, copy, copy.length);
      // Signed by the platform key, but for A's chain: B's verification refuses it.
      expect(await verify(stack, b.admin, { to: aCheckpoint.sequence })).toMatchObject({ valid: false, firstBadSequence: aCheckpoint.sequence, reason: 'CHECKPOINT_INVALID' });
    });
  });
});

describe('audit events: querying, export and the access report', () => {
  let tenant: TestTenant;
  let admin: string;
  let scientist: string;
  let datasetId: string;
  let versionId: string;
  // Taken as this describe starts (after the chain's tests), before its tenant exists.
  let started: string;

  beforeAll(async () => {
    started = new Date(Date.now() - 1000).toISOString();
    // Many queries in quick succession on purpose: a minute's burst, so the gateway's burst limit
    // (tested in gateway/test/rate-limit.test.ts) does not pace this test.
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    admin = await tenant.token('admin');
    scientist = await tenant.token('data_scientist');
    ({ datasetId, versionId } = await datasetWithVersion(stack, scientist, 'events-source'));
    expectNoErrors(await stack.query(scientist, previewQuery, { id: versionId }));
    for (let i = 0; i < 4; i++) await newDataset(stack, admin, `filler-${i}`);
  });

  it('records mutations and data reads with actor, target, request id and source IP', async () => {
    const events = await allAuditEvents(stack, admin);
    const create = events.find((e) => e.action === 'dataset.create' && e.targetId === datasetId);
    expect(create).toMatchObject({ targetType: 'Dataset', outcome: 'SUCCESS', actorRoles: ['data_scientist'] });
    expect(create?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(create?.sourceIp).toBeTruthy();
    const read = events.find((e) => e.action === 'dataset.read' && e.targetId === versionId);
    expect(read).toMatchObject({ targetType: 'DatasetVersion', outcome: 'SUCCESS' });
    expect(JSON.parse(read!.details)).toEqual({ rows: 2 });
    // Pages are oldest first by time, then by the chain's sequence number (unique per event).
    const byTimeThenSeq = [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.sequence - b.sequence);
    expect(events.map((e) => e.id)).toEqual(byTimeThenSeq.map((e) => e.id));
    const seqs = events.map((e) => e.sequence);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('says which service wrote each event, as the database recorded it: an event one service writes in another\'s name still names its writer, and the writer cannot be edited unnoticed', async () => {
    const own = await stack.createTenant();
    const ownAdmin = await own.token('admin');
    const { datasetId: ownDataset } = await datasetWithVersion(stack, ownAdmin, 'writer-source');
    // The metrics service's account (a compromised one, say) writes a dataset delete by the admin
    // into the tenant's outbox: every column it may write says "datasets service, admin".
    const forgedId = randomUUID();
    await stack.platform.runtimes.metrics.db.query(
      `INSERT INTO \`${own.schema}\`.audit_outbox (${outboxColumns}) VALUES (?, NOW(3), ?, 'admin', NULL, 'dataset.delete', 'Dataset', ?, 'SUCCESS', NULL, NULL, NULL, '{}')`,
      [forgedId, 'acme-admin', ownDataset],
    );
    const events = await allAuditEvents(stack, ownAdmin);
    expect(events.find((e) => e.action === 'dataset.create' && e.targetId === ownDataset)?.recordedBy).toBe('datasets');
    expect(events.find((e) => e.id === forgedId)).toMatchObject({ action: 'dataset.delete', actorSubject: 'acme-admin', recordedBy: 'metrics' });
    // Every event the platform wrote names a service; none is left without a writer.
    expect(events.filter((e) => e.recordedBy === null || e.recordedBy.startsWith('account:'))).toEqual([]);
    expect(await verify(stack, ownAdmin)).toMatchObject({ valid: true });
    // Rewriting the recorded writer in the chain (as the migrator: no service may) breaks it there.
    const [forgedRow] = (await stack.adminQuery(`SELECT seq FROM ${eventsTable(own)} WHERE id = ?`, [forgedId])) as Array<{ seq: number | string }>;
    await stack.adminQuery(`UPDATE ${eventsTable(own)} SET written_by = 'tessera_datasets@127.0.0.1' WHERE id = ?`, [forgedId]);
    expect(await verify(stack, ownAdmin)).toMatchObject({ valid: false, firstBadSequence: Number(forgedRow!.seq), reason: 'HASH_MISMATCH' });
  });

  it('filters by actor, action, target, outcome and time, and pages with cursors', async () => {
    const all = await allAuditEvents(stack, admin);
    const scientistSubject = all.find((e) => e.actorRoles.includes('data_scientist'))!.actorSubject;
    const byActor = await allAuditEvents(stack, admin, { actor: scientistSubject });
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actorSubject === scientistSubject)).toBe(true);
    const creates = await allAuditEvents(stack, admin, { action: 'dataset.create' });
    expect(creates.map((e) => e.targetId).sort()).toEqual(all.filter((e) => e.action === 'dataset.create').map((e) => e.targetId).sort());
    expect(creates).toHaveLength(5);
    expect(await allAuditEvents(stack, admin, { targetType: 'DatasetVersion', targetId: versionId })).toEqual(
      all.filter((e) => e.targetType === 'DatasetVersion' && e.targetId === versionId),
    );
    expect((await allAuditEvents(stack, admin, { outcome: 'SUCCESS' })).every((e) => e.outcome === 'SUCCESS')).toBe(true);
    expect(await allAuditEvents(stack, admin, { from: '2000-01-01T00:00:00Z', to: '2000-12-31T00:00:00Z' })).toEqual([]);
    // Huge ranges are fine (clamped to what the database can hold).
    expect((await allAuditEvents(stack, admin, { from: '0001-01-01T00:00:00Z', to: '275760-01-01T00:00:00Z' })).length).toBe(all.length);

    const pages: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: AuditEventsResult = expectNoErrors(await stack.query<AuditEventsResult>(admin, auditEventsQuery, { filter: { action: 'dataset.create' }, first: 2, after }));
      pages.push(...res.auditEvents.edges.map((edge) => edge.node.id));
      expect(res.auditEvents.edges.length).toBeLessThanOrEqual(2);
      if (!res.auditEvents.pageInfo.hasNextPage) break;
      after = res.auditEvents.pageInfo.endCursor;
    }
    expect(pages).toEqual(creates.map((e) => e.id));
  });

  it('pages oldest first by time, then by sequence: ties in one millisecond are neither skipped nor repeated', async () => {
    const other = await stack.createTenant();
    const otherAdmin = await other.token('admin');
    const tied = new Date(Date.now() - 60_000);
    const earlier = new Date(tied.getTime() - 1000);
    // Written straight into the outbox (as the migrator) so five events share one occurred_at, and a
    // sixth, chained last, is the oldest by time.
    const ids: string[] = [];
    for (const occurredAt of [tied, tied, tied, tied, tied, earlier]) {
      const id = randomUUID();
      ids.push(id);
      await stack.adminQuery(
        `INSERT INTO \`${other.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json)
         VALUES (?, ?, 'tie@example.test', 'admin', NULL, 'tie.test', 'Dataset', ?, 'SUCCESS', NULL, NULL, NULL, '{}')`,
        [id, occurredAt, id],
      );
    }
    await stack.drainAudit(other.id);
    const paged: Array<{ id: string; sequence: number }> = [];
    let after: string | null = null;
    for (;;) {
      const res: AuditEventsResult = expectNoErrors(await stack.query<AuditEventsResult>(otherAdmin, auditEventsQuery, { filter: { action: 'tie.test' }, first: 2, after }));
      paged.push(...res.auditEvents.edges.map((edge) => ({ id: edge.node.id, sequence: edge.node.sequence })));
      if (!res.auditEvents.pageInfo.hasNextPage) break;
      after = res.auditEvents.pageInfo.endCursor;
    }
    expect(paged.map((e) => e.id)).toEqual([ids[5], ...ids.slice(0, 5)]);
    const tiedSeqs = paged.slice(1).map((e) => e.sequence);
    expect(tiedSeqs).toEqual([...tiedSeqs].sort((a, b) => a - b));
    expect(paged[0]!.sequence).toBeGreaterThan(Math.max(...tiedSeqs));
  });

  it('refuses bad filters, cursors and page sizes with BAD_USER_INPUT, and does not crash on injection strings', async () => {
    const bad = async (variables: Record<string, unknown>) => errorCodes(await stack.query(admin, auditEventsQuery, variables));
    expect(await bad({ after: 'not-a-cursor' })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ after: Buffer.from('seq:1 OR 1=1').toString('base64url') })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ first: 101 })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ first: 0 })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ first: -5 })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { from: 'yesterday' } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { to: "2026-01-01' OR '1'='1" } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { actor: 'x'.repeat(256) } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { outcome: 'SUCCESS OR 1=1' } })).toEqual(['BAD_USER_INPUT']);

    const injections = ["' OR '1'='1", '1; DROP TABLE audit_events; --', '") UNION SELECT * FROM tenants --', '%', '\\'];
    for (const value of injections) {
      // Names we mint have a narrow alphabet: anything else is refused before a query.
      expect(await bad({ filter: { action: value } })).toEqual(['BAD_USER_INPUT']);
      expect(await bad({ filter: { targetType: value } })).toEqual(['BAD_USER_INPUT']);
      // Free-text filters are bound parameters: they simply match nothing.
      for (const field of ['actor', 'targetId']) {
        const res = await stack.query<AuditEventsResult>(admin, auditEventsQuery, { filter: { [field]: value } });
        expect(expectNoErrors(res).auditEvents.edges).toEqual([]);
      }
    }
    // Nothing was harmed: the trail still answers, with every event.
    expect((await allAuditEvents(stack, admin, { action: 'dataset.create' })).length).toBe(5);
  });

  it('is for tenant admins only: viewers and data scientists get FORBIDDEN everywhere', async () => {
    const now = new Date().toISOString();
    for (const role of ['viewer', 'data_scientist'] as const) {
      const token = await tenant.token(role);
      expect(errorCodes(await stack.query(token, auditEventsQuery, {}))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, accessReportQuery, { from: started, to: now }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, exportMutation, { from: started, to: now }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, '{ alerts { id } }'))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, '{ alertRules { kind } }'))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, 'mutation { setAlertWebhook(url: "http://127.0.0.1:9/x") { secret } }'))).toEqual(['FORBIDDEN']);
    }
  });

  it('exports a period as encrypted NDJSON with its chain proof into the tenant bucket', async () => {
    const to = new Date().toISOString();
    const all = await allAuditEvents(stack, admin, { to });
    const result = expectNoErrors(
      await stack.query<{ exportAuditEvents: { objectKey: string; proofObjectKey: string; eventCount: number; firstSequence: number; lastSequence: number; firstHash: string; lastHash: string; sha256: string } }>(
        admin,
        exportMutation,
        { from: started, to },
      ),
    ).exportAuditEvents;
    // The export is a slice of the chain, in chain (sequence) order.
    const chainOrder = [...all].sort((a, b) => a.sequence - b.sequence);
    expect(result.eventCount).toBe(all.length);
    expect(result.firstSequence).toBe(chainOrder[0]!.sequence);
    expect(result.lastSequence).toBe(chainOrder.at(-1)!.sequence);
    expect(result.lastHash).toMatch(/^[0-9a-f]{64}$/);

    const store = stack.platform.runtime.objectStore;
    const read = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await store.getObject(tenant.bucket, key)) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      expect(raw.includes(Buffer.from('dataset.create'))).toBe(false); // encrypted at rest
      return decryptBuffer(raw, { resolveKey: (version) => stack.platform.runtime.keyring.keyFor(tenant.id, version), associatedData: `${tenant.id}/${key}` });
    };
    const lines = (await read(result.objectKey)).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; id: string; hash: string; prev_hash: string });
    expect(lines.map((line) => line.id)).toEqual(chainOrder.map((e) => e.id));
    expect(lines.at(-1)!.hash).toBe(result.lastHash);
    // Each line links to the one before it: the slice is a piece of the chain.
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prev_hash).toBe(lines[i - 1]!.hash);
    const proof = JSON.parse((await read(result.proofObjectKey)).toString('utf8')) as Record<string, unknown>;
    expect(proof).toMatchObject({ tenantId: tenant.id, eventCount: all.length, lastHash: result.lastHash, ndjsonSha256: result.sha256 });

    const events = await allAuditEvents(stack, admin, { action: 'audit.export' });
    expect(events.map((e) => e.targetId)).toEqual([result.objectKey]);
    expect(errorCodes(await stack.query(admin, exportMutation, { from: to, to: started }))).toEqual(['BAD_USER_INPUT']);
  });

  it('runs one export of a tenant at a time: another while one runs is CONFLICT and writes nothing; other tenants are not held', async () => {
    const busy = await stack.createTenant();
    const busyAdmin = await busy.token('admin');
    await newDataset(stack, busyAdmin, 'export-lock');
    const period = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };
    // What a running export of this tenant holds, taken here on a connection of the test's own.
    const holder = stack.platform.runtime.db.createQueryRunner();
    await holder.connect();
    try {
      const lock = auditExportLockName(stack.migrator.controlSchema, busy.id);
      expect(await holder.query('SELECT GET_LOCK(?, 0) AS acquired', [lock])).toEqual([{ acquired: 1 }]);
      expect(errorCodes(await stack.query(busyAdmin, exportMutation, period))).toEqual(['CONFLICT']);
      const objects: string[] = [];
      for await (const item of stack.platform.runtime.objectStore.listObjectsV2(busy.bucket, 'audit-exports/', true)) if (item.name) objects.push(item.name);
      expect(objects).toEqual([]);
      expect(await allAuditEvents(stack, busyAdmin, { action: 'audit.export' })).toEqual([]);
      // Another tenant's export is not held by it.
      expect(expectNoErrors(await stack.query<{ exportAuditEvents: { eventCount: number } }>(admin, exportMutation, period)).exportAuditEvents.eventCount).toBeGreaterThan(0);
      await holder.query('SELECT RELEASE_LOCK(?)', [lock]);
    } finally {
      await holder.release();
    }
    expect(expectNoErrors(await stack.query<{ exportAuditEvents: { eventCount: number } }>(busyAdmin, exportMutation, period)).exportAuditEvents.eventCount).toBeGreaterThan(0);
  });

  it('exports a trail longer than a page, a page at a time: every event once, in chain order, linked, with the digest of what was stored', async () => {
    const long = await stack.createTenant();
    const longAdmin = await long.token('admin');
    // Events as a change writes them (into the outbox); the export's relay chains them first.
    const events = 2 * exportPageEvents + 500;
    await stack.adminQuery(
      `INSERT INTO \`${long.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
       WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
            n(i) AS (SELECT a.x + 10 * b.x + 100 * c.x + 1000 * e.x FROM d a, d b, d c, d e WHERE a.x + 10 * b.x + 100 * c.x + 1000 * e.x < ${events})
       SELECT UUID(), NOW(3), 'seeded', 'admin', 'dataset.create', 'Dataset', CONCAT('ds-', i), 'SUCCESS', JSON_OBJECT('i', i) FROM n`,
    );
    const period = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };
    const result = expectNoErrors(
      await stack.query<{ exportAuditEvents: { objectKey: string; eventCount: number; firstSequence: number; lastSequence: number; lastHash: string; sha256: string } }>(longAdmin, exportMutation, period),
    ).exportAuditEvents;
    expect(result.eventCount).toBeGreaterThanOrEqual(events);
    expect(result.lastSequence - result.firstSequence + 1).toBe(result.eventCount);
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(long.bucket, result.objectKey)) chunks.push(chunk as Buffer);
    const ndjson = await decryptBuffer(Buffer.concat(chunks), { resolveKey: (version) => stack.platform.runtime.keyring.keyFor(long.id, version), associatedData: `${long.id}/${result.objectKey}` });
    expect(createHash('sha256').update(ndjson).digest('hex')).toBe(result.sha256);
    const lines = ndjson.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; hash: string; prev_hash: string; target_id: string | null });
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: result.eventCount }, (_, i) => result.firstSequence + i));
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prev_hash).toBe(lines[i - 1]!.hash);
    expect(lines.at(-1)!.hash).toBe(result.lastHash);
    expect(new Set(lines.filter((line) => line.target_id?.startsWith('ds-')).map((line) => line.target_id)).size).toBe(events);
  });

  it('puts the latest signed checkpoint covering the slice into the export proof', async () => {
    const to = new Date().toISOString();
    const slice = await allAuditEvents(stack, admin, { from: started, to });
    const lastSequence = Math.max(...slice.map((e) => e.sequence));
    // Signed after every event of the period is chained, so its head covers the slice's last event.
    const signed = await checkpoint(stack, admin);
    expect(signed.sequence).toBeGreaterThanOrEqual(lastSequence);
    const result = expectNoErrors(
      await stack.query<{ exportAuditEvents: { proofObjectKey: string; lastSequence: number; checkpoint: string | null } }>(admin, exportMutation, { from: started, to }),
    ).exportAuditEvents;
    expect(result.lastSequence).toBe(lastSequence);
    const expected = { seq: signed.sequence, head_hash: signed.headHash, key_id: signed.keyId, jws: signed.signature };
    expect(result.checkpoint).not.toBeNull();
    const returned = JSON.parse(result.checkpoint!) as Record<string, unknown>;
    expect({ ...returned, seq: Number(returned['seq']) }).toMatchObject(expected);

    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(tenant.bucket, result.proofObjectKey)) chunks.push(chunk as Buffer);
    const proofBytes = decryptBuffer(Buffer.concat(chunks), {
      resolveKey: (version) => stack.platform.runtime.keyring.keyFor(tenant.id, version),
      associatedData: `${tenant.id}/${result.proofObjectKey}`,
    });
    const proof = JSON.parse((await proofBytes).toString('utf8')) as { lastSequence: number; checkpoint: Record<string, unknown> | null };
    expect(proof.lastSequence).toBe(lastSequence);
    expect(proof.checkpoint).not.toBeNull();
    expect({ ...proof.checkpoint, seq: Number(proof.checkpoint!['seq']) }).toMatchObject(expected);
  });

  it('builds the access report: role holders, who read which dataset, last activity per user', async () => {
    const report = expectNoErrors(
      await stack.query<{
        accessReport: {
          roleSource: string;
          roleHolders: Array<{ subject: string; roles: string[]; roleHistory: Array<{ roles: string[] }> }>;
          resourceAccess: Array<{ subject: string; targetType: string; targetId: string; actions: string[]; count: number }>;
          users: Array<{ subject: string; eventCount: number; lastAction: string }>;
        };
      }>(admin, accessReportQuery, { from: started, to: new Date().toISOString() }),
    ).accessReport;
    expect(report.roleSource).toMatch(/roleHolders: the roles each principal presented/);
    const roles = new Map(report.roleHolders.map((holder) => [holder.subject, holder.roles]));
    expect([...roles.values()]).toEqual(expect.arrayContaining([['admin'], ['data_scientist']]));
    // No principal changed roles in this period: one role set each, the current one.
    for (const holder of report.roleHolders) expect(holder.roleHistory.map((set) => set.roles)).toEqual([holder.roles]);
    const reads = report.resourceAccess.find((entry) => entry.targetType === 'DatasetVersion' && entry.targetId === versionId);
    // The version was created (upload) and read (preview) once each, by the data scientist.
    expect(reads).toMatchObject({ actions: ['dataset.read', 'dataset.version.create'], count: 2 });
    expect(roles.get(reads!.subject)).toEqual(['data_scientist']);
    expect(report.resourceAccess.some((entry) => entry.targetType === 'Dataset' && entry.targetId === datasetId)).toBe(true);
    expect(report.users.map((user) => user.subject).sort()).toEqual([...roles.keys()].sort());
    expect(errorCodes(await stack.query(admin, accessReportQuery, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }))).toEqual(['BAD_USER_INPUT']);
  });

  describe('exports of many tenants at once', () => {
    it('finishes every export, each asked by its own tenant’s auditor', async () => {
      const tenants = await Promise.all(Array.from({ length: tenantsExporting }, () => stack.createTenant()));
      const tokens = await Promise.all(tenants.map((tenant) => tenant.token('auditor')));
      const period = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
      const outcome = await orHung(Promise.all(tokens.map((token) => stack.query<{ exportAuditEvents: { objectKey: string } }>(token, concurrentExportMutation, period))), 45_000);
      hung = outcome === 'hung';
      expect(outcome).not.toBe('hung');
      if (outcome === 'hung') return;
      expect(outcome.map((result) => errorCodes(result))).toEqual(tenants.map(() => []));
      expect(outcome.every((result) => typeof result.data?.exportAuditEvents.objectKey === 'string')).toBe(true);
    }, 60_000);
  });
});
