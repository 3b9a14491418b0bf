/**
 * Key runs share the owners' processes (each batch reads objects whole, up to maxUploadBytes each)
 * and the tenants service's port connections: one tenant rotating every dataset key it has at once
 * must not run all those re-encryptions side by side, and must not hold back another tenant's run.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '@tessera/auth';
import type { FamilyReencryptionInput } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { FamilyKeyRotator, type FamilyKeyOwner } from '../src/domain/family-key-rotator';

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;
const datasetsA: string[] = [];
let datasetB: string;

async function uploadDataset(token: string): Promise<string> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `f-${randomBytes(3).toString('hex')}` } })).createDataset.id;
  const body = Buffer.from(['x,y', ...Array.from({ length: 10 }, (_, i) => `${i},${i * 2}`)].join('\n') + '\n');
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  expectNoErrors(await stack.query(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
  return datasetId;
}

beforeAll(async () => {
  stack = await startTestStack();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  const scientistA = await tenantA.token('data_scientist');
  for (let i = 0; i < 4; i++) datasetsA.push(await uploadDataset(scientistA));
  datasetB = await uploadDataset(await tenantB.token('data_scientist'));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it("drives one run of a tenant at a time while another tenant's run goes on beside it", async () => {
  const runtime = stack.platform.runtimes.tenants;
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const port = stack.platform.ports.datasets;
  // The owner's own port, each batch held a little so that overlapping batches show.
  const dataset: FamilyKeyOwner = {
    familyKeyStatus: (actor, input) => port.familyKeyStatus(actor, input),
    rotateFamilyKey: (actor, input) => port.rotateFamilyKey(actor, input),
    destroyFamilyKeyVersion: async (actor, input) => {
      const destroyed = await port.destroyFamilyKeyVersion(actor, input);
      doneAt.set(input.familyId, Date.now());
      return destroyed;
    },
    reencryptFamilyObjects: async (actor: Principal, input: FamilyReencryptionInput) => {
      const tenant = actor.tenantId!;
      inFlight.set(tenant, (inFlight.get(tenant) ?? 0) + 1);
      most.set(tenant, Math.max(most.get(tenant) ?? 0, inFlight.get(tenant)!));
      try {
        await new Promise((resolve) => setTimeout(resolve, 150));
        return await port.reencryptFamilyObjects(actor, input);
      } finally {
        inFlight.set(tenant, inFlight.get(tenant)! - 1);
      }
    },
  };
  const rotator = new FamilyKeyRotator(
    { db: runtime.db, controlSchema: stack.config.database.controlSchema, owners: { dataset, model: stack.platform.ports.models }, logger: runtime.logger },
    { batchSize: 1, pauseMs: 0 },
  );
  const admin = (tenant: TestTenant): Principal => ({ kind: 'user', subject: 'test-admin', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
  const runs = await Promise.all(datasetsA.map((id) => rotator.rotate(tenantA.id, 'dataset', id, admin(tenantA))));
  const runB = await rotator.rotate(tenantB.id, 'dataset', datasetB, admin(tenantB));
  await rotator.idle();
  for (const { operation } of [...runs, runB]) expect((await rotator.find(operation.id))?.status).toBe('DONE');
  expect(most.get(tenantA.id)).toBe(1);
  expect(most.get(tenantB.id)).toBe(1);
  // B's run, asked for last, did not wait for A's four.
  expect(doneAt.get(datasetB)!).toBeLessThan(Math.max(...datasetsA.map((id) => doneAt.get(id)!)));
});
