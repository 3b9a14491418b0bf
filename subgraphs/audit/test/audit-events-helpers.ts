import { keyringColumnKeys, sealedAuditDetails } from '@tessera/service-kit';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainAuditOutbox, drainSecurityOutbox, settleDeferredRecords } from '@tessera/audit-client';
import { expectNoErrors, type TestStack, type TestTenant } from '@tessera/testing';

export const auditEventsQuery = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id sequence occurredAt actorSubject actorRoles action targetType targetId outcome requestId sourceIp details recordedBy } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface AuditEventNode {
  id: string;
  sequence: number;
  occurredAt: string;
  actorSubject: string;
  actorRoles: string[];
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  requestId: string | null;
  sourceIp: string | null;
  details: string;
  recordedBy: string | null;
}

export type AuditEventsResult = { auditEvents: { edges: Array<{ cursor: string; node: AuditEventNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** Every event of the tenant matching `filter`, following cursors through all pages. */
export async function allAuditEvents(stack: TestStack, token: string, filter: Record<string, unknown> = {}): Promise<AuditEventNode[]> {
  await settleDeferredRecords(); // the records written just after an answer (cross-tenant attempts)
  const events: AuditEventNode[] = [];
  let after: string | null = null;
  for (;;) {
    const page: AuditEventsResult = expectNoErrors(await stack.query<AuditEventsResult>(token, auditEventsQuery, { filter, first: 100, after }));
    events.push(...page.auditEvents.edges.map((edge) => edge.node));
    if (!page.auditEvents.pageInfo.hasNextPage) return events;
    after = page.auditEvents.pageInfo.endCursor;
  }
}

/** The platform security log (control plane), after chaining whatever its outbox holds. */
export async function securityEvents(stack: TestStack): Promise<Array<Record<string, unknown> & { tenant_id: string | null; action: string; target_id: string | null; details_json: unknown }>> {
  const db = stack.platform.runtime.db;
  const control = stack.config.database.controlSchema;
  await settleDeferredRecords();
  await drainSecurityOutbox(db, control);
  return (await db.query(`SELECT * FROM \`${control}\`.security_events ORDER BY seq`)) as Array<Record<string, unknown> & { tenant_id: string | null; action: string; target_id: string | null; details_json: unknown }>;
}

/** Every event of a tenant's own chain, read directly (for asserting what a tenant's log does NOT hold). */
export async function chainOf(stack: TestStack, tenant: TestTenant): Promise<Array<{ action: string; target_id: string | null; actor_subject: string }>> {
  await settleDeferredRecords();
  await drainAuditOutbox(stack.platform.runtime.db, tenant.id, sealedAuditDetails(keyringColumnKeys(stack.platform.runtime.keyring, tenant.id)));
  return (await stack.platform.runtime.db.query(`SELECT action, target_id, actor_subject FROM \`${tenant.schema}\`.audit_events ORDER BY seq`)) as Array<{
    action: string;
    target_id: string | null;
    actor_subject: string;
  }>;
}

export const createDataset = `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`;
const createUpload = `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`;
const completeUpload = `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`;

export async function newDataset(stack: TestStack, token: string, name: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name } })).createDataset.id;
}

/** A dataset with one version holding `csv`, through the real staged upload; returns the version id. */
export async function datasetWithVersion(stack: TestStack, token: string, name: string, csv = 'a,b\n1,2\n3,4\n'): Promise<{ datasetId: string; versionId: string }> {
  const datasetId = await newDataset(stack, token, name);
  const bytes = Buffer.from(csv, 'utf8');
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, createUpload, { input: { datasetId, filename: 'data.csv', byteSize: bytes.length } }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: bytes });
  if (put.status !== 200) throw new Error(`upload failed: HTTP ${put.status} ${await put.text()}`);
  const versionId = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, completeUpload, { id: upload.id })).completeDatasetUpload.id;
  return { datasetId, versionId };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A local HTTP receiver for alert webhooks, on 127.0.0.1 (a stack must allow that address for
 * webhooks to reach it); `failFirst` requests are answered 500, the rest 200, unless `answer` says otherwise.
 */
export async function startWebhookReceiver(failFirst = 0, answer?: (index: number) => ReceiverAnswer): Promise<{ url: string; port: number; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = received.length < failFirst ? 500 : 200;
      const reply = answer?.(received.length) ?? { status, headers: { 'content-type': 'text/plain' }, body: status === 200 ? 'ok' : 'try again' };
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: reply.status });
      res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tessera`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` returns a value (not undefined), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
