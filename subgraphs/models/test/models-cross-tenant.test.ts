import { randomUUID } from 'node:crypto';
import type { InferenceRecord } from '@tessera/inference';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import {
  auditTrail,
  completeUpload,
  createUpload,
  deleteModel,
  deleteVersion,
  linearByHand,
  linearModel,
  mlpByHand,
  mlpModel,
  modelState,
  newModel,
  predict,
  putBytes,
  removeAlias,
  reserveUpload,
  rowsInput,
  setAlias,
  uploadVersion,
} from './model-flow';

const row = [[1, 2, 3]];

/**
 * Tenant B, with every role it has, tries every handle on tenant A's models it could guess or
 * steal — model id, name, alias, version number, version id, upload id and URL, download URL,
 * object key — and gets NOT_FOUND exactly as for something that never existed; A's rows and
 * objects do not change. Inference: a dedicated tenant's pool never runs another tenant's session.
 */
describe('models: tenant isolation', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let aModel: string;
  let aVersion: string;
  let aPendingUpload: { id: string; uploadUrl: string };
  let aCompletedUpload: { id: string; uploadUrl: string };

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const aScientist = await a.token('data_scientist');
    aModel = await newModel(stack, aScientist, 'secret-model');
    aVersion = (await uploadVersion(stack, aScientist, aModel, mlpModel())).id;
    expectNoErrors(await stack.query(aScientist, setAlias, { input: { modelId: aModel, alias: 'production', version: 1 } }));
    aPendingUpload = await reserveUpload(stack, aScientist, aModel, linearModel().length);
    // On a model of its own, so aModel keeps exactly one version file.
    aCompletedUpload = await reserveUpload(stack, aScientist, await newModel(stack, aScientist, 'replayed-model'), linearModel().length);
    expect((await putBytes(aCompletedUpload.uploadUrl, aScientist, linearModel())).status).toBe(200);
    expectNoErrors(await stack.query(aScientist, completeUpload, { id: aCompletedUpload.id }));
  });
  afterAll(() => stack?.stop());

  /** The same request with A's handle and with a handle that never existed must answer alike. */
  function expectSameAsNonexistent(withA: GraphQLResponse<unknown>, withNothing: GraphQLResponse<unknown>, aHandle: string, nothing: string) {
    expect(errorCodes(withA)).toEqual(['NOT_FOUND']);
    expect(withA.data ?? null).toEqual(withNothing.data ?? null);
    expect(withA.errors?.[0]?.message.replaceAll(aHandle, '<id>')).toBe(withNothing.errors?.[0]?.message.replaceAll(nothing, '<id>'));
    expect(withA.errors?.[0]?.extensions).toEqual(withNothing.errors?.[0]?.extensions);
  }

  it.each(['admin', 'data_scientist', 'viewer'] as const)('B %s gets NOT_FOUND, exactly as for nothing, for every handle on A', async (role) => {
    const token = await b.token(role);
    const aBefore = await modelState(stack, a);
    const nothing = randomUUID();
    const pairs: Array<[string, (id: string) => Promise<GraphQLResponse<unknown>>]> = [
      [aModel, (id) => stack.query(token, `query($id: ID!) { model(id: $id) { id name } }`, { id })],
      [aModel, (id) => stack.query(token, `query($id: ID!) { model(id: $id) { version(number: 1) { id } } }`, { id })],
      [aModel, (id) => stack.query(token, `query($id: ID!) { inferenceStats(modelId: $id) { calls } }`, { id })],
      [aModel, (id) => predict(stack, token, { modelId: id, version: 1, inputs: [rowsInput(row)] })],
      [aModel, (id) => predict(stack, token, { modelId: id, alias: 'production', inputs: [rowsInput(row)] })],
      [aVersion, (id) => stack.query(token, `query($id: ID!) { modelVersion(id: $id) { id number sha256 } }`, { id })],
    ];
    if (role !== 'viewer') {
      pairs.push(
        [aModel, (id) => stack.query(token, createUpload, { input: { modelId: id, filename: 'x.onnx', byteSize: 8 } })],
        [aModel, (id) => stack.query(token, setAlias, { input: { modelId: id, alias: 'production', version: 1 } })],
        [aModel, (id) => stack.query(token, removeAlias, { modelId: id, alias: 'production' })],
        [aModel, (id) => stack.query(token, `mutation($id: ID!) { updateModelServing(modelId: $id, input: { batching: false }) { id } }`, { id })],
        [aPendingUpload.id, (id) => stack.query(token, completeUpload, { id })],
        // A's completed upload: never the CONFLICT (and version id) A itself would get on a replay.
        [aCompletedUpload.id, (id) => stack.query(token, completeUpload, { id })],
      );
    }
    if (role === 'admin') {
      pairs.push([aModel, (id) => stack.query(token, deleteModel, { id })], [aVersion, (id) => stack.query(token, deleteVersion, { id })]);
    }
    for (const [handle, send] of pairs) expectSameAsNonexistent(await send(handle), await send(nothing), handle, nothing);

    // By name and alias: words, not ids — B has no such model.
    expect(errorCodes(await stack.query(token, `{ modelByName(name: "secret-model") { id } }`))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await predict(stack, token, { modelName: 'secret-model', alias: 'production', inputs: [rowsInput(row)] }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await predict(stack, token, { modelName: 'secret-model', version: 1, inputs: [rowsInput(row)] }))).toEqual(['NOT_FOUND']);

    // Files: the upload URL and the download URL of A's things.
    if (role !== 'viewer') {
      const put = await putBytes(aPendingUpload.uploadUrl, token, linearModel());
      expect(put.status).toBe(404);
      expect(put.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
      for (const id of [aVersion, nothing]) {
        const res = await fetch(`${stack.gatewayUrl}/downloads/models/${id}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('NOT_FOUND');
      }
    }
    expect(await modelState(stack, a)).toEqual(aBefore);
    // B's own audit log shows its user probing A's ids (not whose they were); A's shows nothing of it.
    const probes = (await auditTrail(stack, b)).filter((e) => e.action === 'cross_tenant_attempt');
    expect(probes.map((e) => e.targetId)).toEqual(expect.arrayContaining([aModel, aVersion, ...(role === 'viewer' ? [] : [aPendingUpload.id])]));
    expect((await auditTrail(stack, a)).some((e) => e.action === 'cross_tenant_attempt')).toBe(false);
  });

  it("B's listings never contain A's models; the same name in B is B's own model", async () => {
    const bScientist = await b.token('data_scientist');
    const bModel = await newModel(stack, bScientist, 'secret-model');
    await uploadVersion(stack, bScientist, bModel, linearModel());
    expectNoErrors(await stack.query(bScientist, setAlias, { input: { modelId: bModel, alias: 'production', version: 1 } }));
    const list = expectNoErrors(await stack.query<{ models: { edges: Array<{ node: { id: string } }> } }>(await b.token('viewer'), `{ models(first: 100) { edges { node { id } } } }`));
    expect(list.models.edges.map((e) => e.node.id)).toEqual([bModel]);
    // By name and alias, B reaches its own linear model, A reaches its own MLP.
    const bRes = expectNoErrors(await predict(stack, bScientist, { modelName: 'secret-model', alias: 'production', inputs: [rowsInput(row)] })).predict;
    expect(bRes.outputs[0]!.data).toHaveLength(1);
    expect(bRes.outputs[0]!.data[0]).toBeCloseTo(linearByHand(row[0]!), 5);
    const aRes = expectNoErrors(await predict(stack, await a.token('viewer'), { modelName: 'secret-model', alias: 'production', inputs: [rowsInput(row)] })).predict;
    expect(aRes.outputs[0]!.data[0]).toBeCloseTo(mlpByHand(row[0]!)[0]!, 5);
    expect(aRes.modelVersion.id).toBe(aVersion);
    // A cursor built from A's id only pages through B's rows.
    const cursor = Buffer.from(JSON.stringify(['1970-01-01T00:00:00.000Z', aModel])).toString('base64url');
    const paged = expectNoErrors(await stack.query<{ models: { edges: Array<{ node: { id: string } }> } }>(bScientist, `query($after: String) { models(after: $after) { edges { node { id } } } }`, { after: cursor }));
    expect(paged.models.edges.map((e) => e.node.id)).toEqual([bModel]);
  });

  it("A's model file lives only in A's bucket, encrypted; a copy into B's bucket under the same key is unreadable as B's", async () => {
    const aObjects = (await modelState(stack, a)).objects.filter((key) => key.startsWith(`models/${aModel}/`));
    expect(aObjects).toHaveLength(1); // the version's file (the pending upload has no bytes yet)
    const bObjects = (await modelState(stack, b)).objects;
    for (const key of aObjects) expect(bObjects).not.toContain(key);
    // An object key is no handle at all in the API: the download route takes version ids only.
    const bToken = await b.token('data_scientist');
    for (const path of [encodeURIComponent(aObjects[0]!), aObjects[0]!]) {
      const res = await fetch(`${stack.gatewayUrl}/downloads/models/${path}`, { headers: { authorization: `Bearer ${bToken}` } });
      expect([400, 404]).toContain(res.status);
    }
    const [key] = aObjects;
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(a.bucket, key!)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.from(mlpModel()))).toBe(false);
    await stack.platform.runtime.objectStore.putObject(b.bucket, key!, Buffer.concat(chunks));
    try {
      const bScope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'probe', tenantId: b.id, roles: ['admin'], clientId: undefined, requestId: 'probe', sourceIp: undefined });
      await expect(bScope.bucket.getDecryptedBuffer(key!, bScope.resolveDataKey)).rejects.toBeTruthy();
    } finally {
      await stack.platform.runtime.objectStore.removeObject(b.bucket, key!);
    }
  });

  it('a dedicated tenant has its own pool: its sessions run only there, and no other tenant ever runs in it', async () => {
    const dedicated = await stack.createTenant({ tier: 'dedicated' });
    const dToken = await dedicated.token('data_scientist');
    const dModel = await newModel(stack, dToken, 'dedicated-model');
    const dVersion = await uploadVersion(stack, dToken, dModel, linearModel());
    const bScientist = await b.token('data_scientist');
    const records: InferenceRecord[] = [];
    const unsubscribe = stack.platform.modelServing.pools.onRecord((record) => records.push(record));
    try {
      const calls = [
        ...Array.from({ length: 6 }, () => predict(stack, dToken, { modelId: dModel, version: 1, inputs: [rowsInput(row)] })),
        ...Array.from({ length: 6 }, () => predict(stack, bScientist, { modelName: 'secret-model', version: 1, inputs: [rowsInput(row)] })),
        ...Array.from({ length: 6 }, async () => predict(stack, await a.token('viewer'), { modelId: aModel, version: 1, inputs: [rowsInput(row)] })),
      ];
      for (const res of await Promise.all(calls)) expectNoErrors(res);
    } finally {
      unsubscribe();
    }
    const pools = stack.platform.modelServing.pools;
    const dPoolId = pools.poolFor(dedicated.id, 'dedicated').id;
    expect(dPoolId).toBe(`dedicated:${dedicated.id}`);
    expect(records.filter((r) => r.tenantId === dedicated.id).map((r) => r.poolId)).toEqual(Array(6).fill(dPoolId));
    expect(records.filter((r) => r.tenantId !== dedicated.id).every((r) => r.poolId !== dPoolId && r.poolId.endsWith(r.tenantId))).toBe(true);

    const stats = pools.stats();
    const dPool = stats.find((pool) => pool.id === dPoolId)!;
    const dKey = `${dVersion.id}:${dVersion.sha256}`;
    const dLoaded = dPool.workers.flatMap((worker) => worker.loadedModels);
    expect(dLoaded.length).toBeGreaterThan(0);
    expect(dLoaded.every((key) => key === dKey)).toBe(true);
    const others = stats.filter((pool) => pool.id !== dPoolId);
    expect(others.flatMap((pool) => pool.workers.flatMap((worker) => worker.loadedModels))).not.toContain(dKey);
    // Separate processes, too.
    const dPids = new Set(dPool.workers.map((worker) => worker.pid));
    for (const pool of others) for (const worker of pool.workers) expect(dPids.has(worker.pid)).toBe(false);
  });
});
