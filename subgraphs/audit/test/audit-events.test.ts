import { createHash, randomUUID } from 'node:crypto';
import { decryptBuffer } from '@tessera/crypto';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { allAuditEvents, auditEventsQuery, datasetWithVersion, newDataset, type AuditEventsResult } from './audit-events-helpers';
import { checkpoint } from './chain-support';
import { auditExportLockName, exportPageEvents } from '../src/domain/audit-export.service';

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

/** A hang must fail the test, not the whole run: the outcome, or `hung` once `ms` have passed. */
function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe('audit events: querying, export and the access report', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let admin: string;
  let scientist: string;
  let datasetId: string;
  let versionId: string;
  const started = new Date(Date.now() - 1000).toISOString();
  let hung = false;

  beforeAll(async () => {
    stack = await startTestStack();
    // Many queries in quick succession on purpose: a minute's burst, so the gateway's burst limit
    // (tested in gateway/test/rate-limit.test.ts) does not pace this test.
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
    admin = await tenant.token('admin');
    scientist = await tenant.token('data_scientist');
    ({ datasetId, versionId } = await datasetWithVersion(stack, scientist, 'events-source'));
    expectNoErrors(await stack.query(scientist, previewQuery, { id: versionId }));
    for (let i = 0; i < 4; i++) await newDataset(stack, admin, `filler-${i}`);
  });

  afterAll(async () => {
    // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
    if (stack && !hung) await stack.stop();
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
