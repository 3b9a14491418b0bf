import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CompactSign, compactVerify, generateKeyPair, importJWK, type JWK } from 'jose';
import { canonicalEvent, chainHash, eventColumns, genesisHash, recordSecurityEvent } from '@tessera/audit-client';
import { errorCodes, expectNoErrors, startTestStack, withAuditDetails, type TestStack, type TestTenant } from '@tessera/testing';
import { AuditCheckpointService, checkpointObjectKey } from '../src/domain/audit-checkpoint.service';
import { AuditChainService } from '../src/domain/audit-chain.service';
import { AuditRelay } from '../src/domain/audit-relay.service';
import type { Logger } from '@tessera/config';
import { CheckpointSigner } from '../src/domain/checkpoint-signer';
import { checkpoint, checkpointMutation, checkpointsQuery, eventsTable, tenantWithEvents, verify, verifyQuery, type Checkpoint } from './chain-support';

/**
 * The hash chain and its signed checkpoints: every kind of tampering done directly in MySQL (as
 * the migrator account — the service account cannot UPDATE or DELETE these rows at all) is
 * detected by verifyAuditChain, with the first bad sequence number.
 */
describe('audit hash chain: verification and tamper detection', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

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
    // The record of that checkpoint waits in the outbox: it cannot be chained onto the cut tail
    // (the deleted rows' details remain), and verification reports the cut instead of failing.
    await stack.adminQuery(`DELETE FROM ${eventsTable(tenant)} WHERE seq >= 5`);
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
