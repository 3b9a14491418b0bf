import { errorCodes, expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, createUpload, newDataset, putBytes, reserveUpload, uploadVersion } from './dataset-flow';

/**
 * Tenant B, with every role it has, tries every handle on tenant A's datasets it could guess
 * or steal: dataset id, version id, upload id and URL, object key. It gets NOT_FOUND (never
 * FORBIDDEN, which would confirm the id exists) and A's data is unchanged.
 */
describe('datasets: tenant isolation', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let aDataset: string;
  let aVersion: string;
  let aPendingUpload: { id: string; uploadUrl: string };
  let aCompletedUpload: { id: string; uploadUrl: string };

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const aAdmin = await a.token('admin');
    aDataset = await newDataset(stack, aAdmin, 'shared-name');
    aVersion = (await uploadVersion(stack, aAdmin, aDataset, Buffer.from('secret,value\nalpha,1\n'))).id;
    aPendingUpload = await reserveUpload(stack, aAdmin, aDataset, 8);
    aCompletedUpload = await reserveUpload(stack, aAdmin, aDataset, 8);
    expect((await putBytes(aCompletedUpload.uploadUrl, aAdmin, Buffer.from('a,b\n1,2\n'))).status).toBe(200);
    expectNoErrors(await stack.query(aAdmin, completeUpload, { id: aCompletedUpload.id }));
    // B may use the same dataset name: names are per tenant.
    await newDataset(stack, await b.token('admin'), 'shared-name');
  });
  afterAll(() => stack?.stop());

  it.each(['admin', 'data_scientist', 'viewer'] as const)('B %s gets NOT_FOUND for every handle on A', async (role) => {
    const token = await b.token(role);
    const aBefore = await tenantState(stack, a);
    const reads = [
      stack.query(token, `query($id: ID!) { dataset(id: $id) { id name } }`, { id: aDataset }),
      stack.query(token, `query($id: ID!) { datasetVersion(id: $id) { id rowCount } }`, { id: aVersion }),
      stack.query(token, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id: aVersion }),
    ];
    for (const res of await Promise.all(reads)) {
      expect(res.data).toBeNull();
      expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    }
    if (role !== 'viewer') {
      expect(errorCodes(await stack.query(token, createUpload, { input: { datasetId: aDataset, filename: 'x.csv', byteSize: 8 } }))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await stack.query(token, completeUpload, { id: aPendingUpload.id }))).toEqual(['NOT_FOUND']);
      // A's completed upload: never the CONFLICT (and version id) A itself gets on a replay.
      const replay = await stack.query(token, completeUpload, { id: aCompletedUpload.id });
      expect(errorCodes(replay)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(replay)).not.toMatch(/versionId|ALREADY_COMPLETED/);
      const put = await putBytes(aPendingUpload.uploadUrl, token, Buffer.from('a,b\n1,2\n'));
      expect(put.status).toBe(404);
      expect(put.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    }
    if (role === 'admin') {
      expect(errorCodes(await stack.query(token, `mutation($id: ID!) { deleteDataset(id: $id) { id } }`, { id: aDataset }))).toEqual(['NOT_FOUND']);
    }
    expect(await tenantState(stack, a)).toEqual(aBefore);
  });

  it("B's listing never contains A's datasets, and A's upload is still usable by A after B's attempts", async () => {
    const list = await stack.query<{ datasets: { edges: Array<{ node: { id: string } }> } }>(await b.token('viewer'), `{ datasets(first: 100) { edges { node { id } } } }`);
    const ids = list.data!.datasets.edges.map((e) => e.node.id);
    expect(ids).not.toContain(aDataset);
    expect(ids).toHaveLength(1);
    const put = await putBytes(aPendingUpload.uploadUrl, await a.token('admin'), Buffer.from('a,b\n1,2\n'));
    expect(put.status).toBe(200);
  });

  it("a B cursor built from A's ids only pages through B's rows", async () => {
    const cursor = Buffer.from(JSON.stringify(['1970-01-01T00:00:00.000Z', aDataset])).toString('base64url');
    const res = await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(await b.token('viewer'), `query($after: String) { datasets(after: $after) { edges { node { name } } } }`, { after: cursor });
    expect(res.data!.datasets.edges.map((e) => e.node.name)).toEqual(['shared-name']);
  });

  it("A's objects live only in A's bucket, and B's bucket does not hold them", async () => {
    const aObjects = (await tenantState(stack, a)).objects;
    const bObjects = (await tenantState(stack, b)).objects;
    expect(aObjects.length).toBeGreaterThan(0);
    for (const key of aObjects) expect(bObjects).not.toContain(key);
    // Copying A's ciphertext into B's bucket under the same key does not make it readable as B's:
    const [key] = aObjects;
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(a.bucket, key!)) chunks.push(chunk as Buffer);
    await stack.platform.runtime.objectStore.putObject(b.bucket, key!, Buffer.concat(chunks));
    const bScope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'probe', tenantId: b.id, roles: ['admin'], clientId: undefined, requestId: 'probe', sourceIp: undefined });
    await expect(bScope.bucket.getDecryptedBuffer(key!, bScope.resolveDataKey)).rejects.toBeTruthy();
    await stack.platform.runtime.objectStore.removeObject(b.bucket, key!);
  });
});
