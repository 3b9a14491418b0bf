import { expectNoErrors, type TestStack, type TestTenant } from '@tessera/testing';

export const verifyQuery = `query($from: Int, $to: Int) {
  verifyAuditChain(from: $from, to: $to) { valid checkedEvents firstBadSequence reason headSequence checkpointsChecked }
}`;
export const checkpointMutation = `mutation { createAuditCheckpoint { sequence headHash signedAt keyId signature objectKey } }`;
export const checkpointsQuery = `{ auditCheckpoints { sequence headHash keyId signature objectKey } }`;

export interface Verification {
  valid: boolean;
  checkedEvents: number;
  firstBadSequence: number | null;
  reason: string | null;
  headSequence: number;
  checkpointsChecked: number;
}

export interface Checkpoint {
  sequence: number;
  headHash: string;
  signedAt: string;
  keyId: string;
  signature: string;
  objectKey: string | null;
}

/** A fresh tenant whose chain holds `events` real events (one dataset created per event, through the gateway). */
export async function tenantWithEvents(stack: TestStack, events: number): Promise<{ tenant: TestTenant; admin: string }> {
  const tenant = await stack.createTenant();
  const admin = await tenant.token('admin');
  for (let i = 0; i < events; i += 1) {
    expectNoErrors(await stack.query(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `chained-${i}` } }));
  }
  await stack.drainAudit(tenant.id);
  return { tenant, admin };
}

export async function verify(stack: TestStack, token: string, range: { from?: number; to?: number } = {}): Promise<Verification> {
  return expectNoErrors(await stack.query<{ verifyAuditChain: Verification }>(token, verifyQuery, range)).verifyAuditChain;
}

export async function checkpoint(stack: TestStack, token: string): Promise<Checkpoint> {
  const data = expectNoErrors(await stack.query<{ createAuditCheckpoint: Checkpoint | null }>(token, checkpointMutation));
  if (!data.createAuditCheckpoint) throw new Error('no checkpoint (empty chain?)');
  return data.createAuditCheckpoint;
}

export const eventsTable = (tenant: TestTenant) => `\`${tenant.schema}\`.audit_events`;
