import { createConnection } from 'mysql2/promise';
import { pendingDeferredRecords, settleDeferredRecords } from '@tessera/audit-client';
import { databaseTlsOptions, quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { allAuditEvents, auditEventsQuery, chainOf, datasetWithVersion, eventually, securityEvents, type AuditEventsResult } from './audit-events-helpers';

const createUpload = `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id } }`;

describe('audit: cross-tenant attempts and tenant isolation of audit trails and alerts', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let aAdmin: string;
  let bAdmin: string;
  let aDataset: string;
  let aVersion: string;
  let aUpload: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = [await stack.createTenant(), await stack.createTenant()];
    aAdmin = await a.token('admin');
    bAdmin = await b.token('admin');
    ({ datasetId: aDataset, versionId: aVersion } = await datasetWithVersion(stack, aAdmin, 'a-private'));
    aUpload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string } }>(aAdmin, createUpload, { input: { datasetId: aDataset, filename: 'x.csv', byteSize: 10 } })).createDatasetUpload.id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("B asking for A's ids gets NOT_FOUND, exactly like an id that never existed", async () => {
    const never = '00000000-0000-4000-8000-000000000000';
    const attempts: Array<[string, string, Record<string, unknown>]> = [
      ['query($id: ID!) { dataset(id: $id) { id name } }', aDataset, {}],
      ['query($id: ID!) { datasetVersion(id: $id) { id preview { rows } } }', aVersion, {}],
      ['mutation($id: ID!) { deleteDataset(id: $id) { id } }', aDataset, {}],
      ['mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', aUpload, {}],
    ];
    for (const [query, id] of attempts) {
      const theirs = await stack.query(bAdmin, query, { id });
      const nobodys = await stack.query(bAdmin, query, { id: never });
      expect(errorCodes(theirs)).toEqual(['NOT_FOUND']);
      expect(errorCodes(nobodys)).toEqual(['NOT_FOUND']);
      expect(theirs.errors?.[0]?.message.replace(id, '<id>')).toBe(nobodys.errors?.[0]?.message.replace(never, '<id>'));
      expect(theirs.data).toEqual(nobodys.data);
    }
    expect(errorCodes(await stack.query(bAdmin, createUpload, { input: { datasetId: aDataset, filename: 'x.csv', byteSize: 10 } }))).toEqual(['NOT_FOUND']);
    // A's dataset is untouched.
    expect(expectNoErrors(await stack.query<{ dataset: { id: string } }>(aAdmin, 'query($id: ID!) { dataset(id: $id) { id } }', { id: aDataset })).dataset.id).toBe(aDataset);
  });

  it("records each attempt in B's log and the platform security log, never in A's", async () => {
    const bLog = await allAuditEvents(stack, bAdmin, { action: 'cross_tenant_attempt' });
    expect(bLog.map((e) => e.targetId).sort()).toEqual([aDataset, aDataset, aDataset, aUpload, aVersion].sort());
    expect(bLog.every((e) => e.outcome === 'DENIED' && e.actorRoles.includes('admin'))).toBe(true);
    // B's admins learn their user probed an id, not whose it was.
    expect(bLog.some((e) => e.details.includes(a.id))).toBe(false);

    const platform = (await securityEvents(stack)).filter((e) => e.action === 'cross_tenant_attempt');
    expect(platform).toHaveLength(5);
    for (const event of platform) {
      expect(event.tenant_id).toBe(b.id);
      const details = typeof event.details_json === 'string' ? JSON.parse(event.details_json) : event.details_json;
      expect(details).toEqual({ ownerTenant: a.id });
    }
    const aChain = await chainOf(stack, a);
    expect(aChain.some((e) => e.action === 'cross_tenant_attempt')).toBe(false);
    const bSubjects = new Set(bLog.map((e) => e.actorSubject));
    expect(aChain.some((e) => bSubjects.has(e.actor_subject))).toBe(false);
  });

  it("never shows one tenant's events or alerts to the other, whatever the filter or cursor", async () => {
    const aEvents = await allAuditEvents(stack, aAdmin);
    const bEvents = await allAuditEvents(stack, bAdmin);
    const aIds = new Set(aEvents.map((e) => e.id));
    expect(bEvents.some((e) => aIds.has(e.id))).toBe(false);
    expect(bEvents.some((e) => e.action === 'dataset.create')).toBe(false);
    // Filtering by A's ids in B only finds B's own probes.
    for (const id of [aDataset, aVersion, aUpload]) {
      expect((await allAuditEvents(stack, bAdmin, { targetId: id })).every((e) => e.action === 'cross_tenant_attempt')).toBe(true);
    }
    // A's cursor in B's query pages through B's rows only.
    const aPage = expectNoErrors(await stack.query<AuditEventsResult>(aAdmin, auditEventsQuery, { first: 1 })).auditEvents;
    const bFromACursor = expectNoErrors(await stack.query<AuditEventsResult>(bAdmin, auditEventsQuery, { first: 100, after: aPage.pageInfo.endCursor })).auditEvents;
    expect(bFromACursor.edges.some((edge) => aIds.has(edge.node.id))).toBe(false);

    // The probes fire B's CROSS_TENANT_ATTEMPT rule; A has no alert, and cannot see or acknowledge B's.
    const bAlerts = await eventually('B alert', async () => {
      const alerts = expectNoErrors(await stack.query<{ alerts: Array<{ id: string; rule: string }> }>(bAdmin, '{ alerts { id rule } }')).alerts;
      return alerts.length ? alerts : undefined;
    });
    expect(bAlerts.map((alert) => alert.rule)).toEqual(['CROSS_TENANT_ATTEMPT']);
    expect(expectNoErrors(await stack.query<{ alerts: unknown[] }>(aAdmin, '{ alerts { id } }')).alerts).toEqual([]);
    expect(errorCodes(await stack.query(aAdmin, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: bAlerts[0]!.id }))).toEqual(['NOT_FOUND']);
    expect(expectNoErrors(await stack.query<{ alerts: Array<{ status: string }> }>(bAdmin, '{ alerts { status } }')).alerts[0]?.status).toBe('OPEN');
  });

  it("B's export holds only B's events", async () => {
    const res = expectNoErrors(
      await stack.query<{ exportAuditEvents: { eventCount: number } }>(bAdmin, 'mutation($f: DateTime!, $t: DateTime!) { exportAuditEvents(from: $f, to: $t) { eventCount } }', {
        f: '2000-01-01T00:00:00Z',
        t: new Date().toISOString(),
      }),
    );
    const bEvents = await allAuditEvents(stack, bAdmin, { to: new Date().toISOString() });
    // The export itself is recorded after it was taken.
    expect(res.exportAuditEvents.eventCount).toBe(bEvents.filter((e) => e.action !== 'audit.export').length);
    expect(await stack.platform.runtime.objectStore.listObjectsV2(a.bucket, 'audit-exports/', true).toArray()).toEqual([]);
    expect((await stack.platform.runtime.objectStore.listObjectsV2(b.bucket, 'audit-exports/', true).toArray()).length).toBe(2);
  });

  it("answers B's probe of A's id before its record is written: how long the answer takes says nothing about who holds the id", async () => {
    const before = (await allAuditEvents(stack, bAdmin, { action: 'cross_tenant_attempt', targetId: aVersion })).length;
    // B's audit outbox held by another session: the record of the attempt cannot be written meanwhile.
    const holder = await createConnection({ uri: stack.migrator.adminUrl, ...databaseTlsOptions(stack.migrator.tlsCa) });
    let answer: GraphQLResponse<unknown> | 'not answered';
    let waiting: number;
    try {
      await holder.query(`LOCK TABLES ${quoteIdentifier(b.schema)}.audit_outbox WRITE`);
      const pending = stack.query(bAdmin, 'query($id: ID!) { datasetVersion(id: $id) { id } }', { id: aVersion });
      answer = await Promise.race([pending, new Promise<'not answered'>((resolve) => setTimeout(() => resolve('not answered'), 10_000))]);
      waiting = pendingDeferredRecords();
    } finally {
      await holder.query('UNLOCK TABLES');
      await holder.end();
    }
    expect(answer === 'not answered' ? answer : errorCodes(answer)).toEqual(['NOT_FOUND']);
    expect(waiting).toBeGreaterThan(0);
    // Once the outbox is free the record is written: nothing is lost by answering first.
    await settleDeferredRecords();
    expect(pendingDeferredRecords()).toBe(0);
    expect((await allAuditEvents(stack, bAdmin, { action: 'cross_tenant_attempt', targetId: aVersion })).length).toBe(before + 1);
  });
});
