import { randomUUID } from 'node:crypto';
import { ModelRegistry } from '@tessera/models';
import { onnxFixtures } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import {
  completeUpload,
  createModel,
  createUpload,
  deleteModel,
  deleteVersion,
  linearModel,
  mlpModel,
  modelState,
  newModel,
  predict,
  predictQuery,
  putBytes,
  removeAlias,
  reserveUpload,
  rowsInput,
  setAlias,
  uploadVersion,
} from './model-flow';

/** Every bad file and every bad call gets a typed error and leaves the tenant's rows and objects as they were. */
describe('models: bad input changes nothing', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;
  let admin: string;
  let modelId: string;
  let versionId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant({ limits: { maxUploadBytes: 64 * 1024 } });
    [token, admin] = await Promise.all([tenant.token('data_scientist'), tenant.token('admin')]);
    modelId = await newModel(stack, token, 'target');
    versionId = (await uploadVersion(stack, token, modelId, linearModel())).id;
    expectNoErrors(await stack.query(token, setAlias, { input: { modelId, alias: 'production', version: 1 } }));
  });
  afterAll(() => stack?.stop());

  const valid = linearModel();
  const badFiles: Array<[string, Uint8Array, RegExp]> = [
    ['a truncated ONNX file', valid.subarray(0, Math.floor(valid.length * 0.6)), /TRUNCATED|NOT_ONNX/],
    ['a text file renamed .onnx', new TextEncoder().encode('name,value\nthis is,just text\nnot,a model\n'), /NOT_ONNX/],
    ['binary garbage', Uint8Array.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x81, 0x7f, 0x00, 0x01]), /NOT_ONNX|TRUNCATED/],
    ['an unsupported operator', onnxFixtures.buildUnsupportedOperatorModel(), /UNSUPPORTED_OPERATOR/],
    ['an operator of an unknown domain', onnxFixtures.buildUnknownDomainModel(), /UNSUPPORTED_OPERATOR|UNSUPPORTED_OPSET/],
    ['an unsupported operator hidden in a subgraph', onnxFixtures.buildNestedUnsupportedOperatorModel(), /UNSUPPORTED_OPERATOR/],
    ['an opset newer than onnxruntime knows', onnxFixtures.buildModelWithOpset(999), /UNSUPPORTED_OPSET/],
    ['weights in an external file outside the upload', onnxFixtures.buildExternalDataModel('../../etc/passwd'), /EXTERNAL_DATA/],
    ['weights in an external file next to it', onnxFixtures.buildNestedExternalDataModel('weights.bin'), /EXTERNAL_DATA/],
    ["a local function's default attribute in a file of the service's working directory", onnxFixtures.buildFunctionDefaultExternalDataModel('package.json'), /EXTERNAL_DATA/],
    ['a node reading a tensor nothing defines', onnxFixtures.buildBrokenGraphModel('undefined-node-input'), /INVALID_GRAPH/],
    ['a graph output no node produces', onnxFixtures.buildBrokenGraphModel('unproduced-output'), /INVALID_GRAPH/],
    ['a graph with a cycle', onnxFixtures.buildBrokenGraphModel('cycle'), /INVALID_GRAPH/],
    ['a graph declaring the same input twice', onnxFixtures.buildBrokenGraphModel('duplicate-input'), /INVALID_GRAPH/],
    ['a fixed input dimension of 0 (no call could match it)', onnxFixtures.buildModelWithFixedDims([0, 2]), /INVALID_DIMENSION/],
    ['a negative fixed dimension', onnxFixtures.buildModelWithFixedDims([-3, 2]), /INVALID_DIMENSION/],
    ['a fixed dimension over 2^31-1 (not a GraphQL Int)', onnxFixtures.buildModelWithFixedDims([4611686018427387904, 2]), /INVALID_DIMENSION/],
    ['more graph outputs than any model has (1 025: each is a tensor of its own in every answer)', onnxFixtures.buildModelWithOutputs(1025), /TOO_MANY_OUTPUTS/],
  ];

  it.each(badFiles)('refuses %s at upload time with BAD_USER_INPUT naming the problem; no version, no object', async (_label, body, reason) => {
    const upload = await reserveUpload(stack, token, modelId, body.length);
    const before = await modelState(stack, tenant);
    const put = await putBytes(upload.uploadUrl, token, body);
    expect(put.status).toBe(400);
    expect(put.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(put.body.errors?.[0]?.extensions.reason).toMatch(reason);
    expect(put.body.errors?.[0]?.message).toMatch(/not a usable ONNX model/);
    const after = await modelState(stack, tenant);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows).toEqual(before.rows);
    // The failed upload cannot be completed or replayed into a version.
    expect(errorCodes(await stack.query(token, completeUpload, { id: upload.id }))).toEqual(['CONFLICT']);
    expect((await putBytes(upload.uploadUrl, token, valid)).body.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(await modelState(stack, tenant)).toEqual(after);
  });

  it('a 0-byte file is refused (no empty upload can be reserved, and 0 bytes for a reserved one is BAD_USER_INPUT)', async () => {
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, createUpload, { input: { modelId, filename: 'empty.onnx', byteSize: 0 } }))).toEqual(['BAD_USER_INPUT']);
    const upload = await reserveUpload(stack, token, modelId, 1);
    const mid = await modelState(stack, tenant);
    const put = await putBytes(upload.uploadUrl, token, new Uint8Array(0));
    expect(put.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(await modelState(stack, tenant)).toEqual(mid);
    expect(mid.objects).toEqual(before.objects);
  });

  it("a file over the tenant's upload limit is refused before any byte is sent (PAYLOAD_TOO_LARGE), also on the worker path", async () => {
    const before = await modelState(stack, tenant);
    const res = await stack.query(token, createUpload, { input: { modelId, filename: 'big.onnx', byteSize: 64 * 1024 + 1 } });
    expect(errorCodes(res)).toEqual(['PAYLOAD_TOO_LARGE']);
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'worker', tenantId: tenant.id, roles: ['data_scientist'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    await expect(new ModelRegistry(scope).registerVersion({ modelName: 'target', onnx: new Uint8Array(64 * 1024 + 1) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(new ModelRegistry(scope).registerVersion({ modelName: 'target', onnx: onnxFixtures.buildUnsupportedOperatorModel() })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(new ModelRegistry(scope).registerVersion({ modelName: 'target', onnx: new Uint8Array(0) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it('more or fewer bytes than declared are refused and leave nothing behind', async () => {
    const before = await modelState(stack, tenant);
    const tooMany = await reserveUpload(stack, token, modelId, valid.length - 10);
    expect((await putBytes(tooMany.uploadUrl, token, valid)).body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const tooFew = await reserveUpload(stack, token, modelId, valid.length + 10);
    expect((await putBytes(tooFew.uploadUrl, token, valid)).body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const after = await modelState(stack, tenant);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows['model_versions']).toBe(before.rows['model_versions']);
  });

  it('completing before the bytes arrived is refused and creates nothing', async () => {
    const upload = await reserveUpload(stack, token, modelId, 10);
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, completeUpload, { id: upload.id }))).toEqual(['BAD_USER_INPUT']);
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  const call = (input: Record<string, unknown>) => predict(stack, token, { modelId, version: 1, inputs: [rowsInput([[1, 2, 3]])], ...input });
  const badCalls: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing input', { inputs: [] }, /"input": missing/],
    ['an unknown input', { inputs: [rowsInput([[1, 2, 3]]), { name: 'extra', shape: [1], data: [1] }] }, /"extra": the model has no such input/],
    ['the same input twice', { inputs: [rowsInput([[1, 2, 3]]), rowsInput([[1, 2, 3]])] }, /given more than once/],
    ['a wrong element type', { inputs: [{ ...rowsInput([[1, 2, 3]]), elementType: 'int64' }] }, /wrong element type: the model expects float32, not int64/],
    ['a wrong rank', { inputs: [{ name: 'input', shape: [3], data: [1, 2, 3] }] }, /wrong rank: the model expects 2 dimensions/],
    ['a wrong feature count', { inputs: [rowsInput([[1, 2]])] }, /wrong shape: dimension 1 must be 3/],
    ['data that does not fill the shape', { inputs: [{ name: 'input', shape: [2, 3], data: [1, 2, 3, 4, 5] }] }, /holds 6 values but data has 5/],
    ['a zero or negative dimension', { inputs: [{ name: 'input', shape: [0, 3], data: [] }] }, /positive integer/],
    ['too many rows', { inputs: [rowsInput(Array.from({ length: 1025 }, () => [1, 2, 3]))] }, /1025 rows is over the limit of 1024/],
    ['a value too large for float32 (1e39 would become Infinity)', { inputs: [{ name: 'input', shape: [1, 3], data: [1, 1e39, 3] }] }, /index 1 \(1e\+39\) is out of float32 range/],
    ['both modelId and modelName', { modelName: 'target' }, /exactly one of modelId and modelName/],
    ['both version and alias', { alias: 'production' }, /exactly one of version and alias/],
    ['neither version nor alias', { version: null }, /exactly one of version and alias/],
    ['version 0', { version: 0 }, /positive version number/],
    ['an alias that is not an alias name', { version: null, alias: 'PRODUCTION; DROP' }, /alias must be/],
  ];

  it.each(badCalls)('predict with %s is BAD_USER_INPUT naming the problem, and nothing is recorded', async (_label, input, message) => {
    const before = await modelState(stack, tenant);
    const res = await call(input);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(message);
    await stack.platform.modelServing.stats.flush({ closeAll: true });
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it('NaN/Infinity cannot be sent (a 1e400 literal is refused as BAD_USER_INPUT), and nothing is recorded', async () => {
    const before = await modelState(stack, tenant);
    const body = `{"query":${JSON.stringify(predictQuery)},"variables":{"input":{"modelId":"${modelId}","version":1,"inputs":[{"name":"input","shape":[1,3],"data":[1,1e400,3]}]}}}`;
    const res = await fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const json = (await res.json()) as { errors?: Array<{ extensions: { code: string } }> };
    expect(json.errors?.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    await stack.platform.modelServing.stats.flush({ closeAll: true });
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it('a version number or alias that does not exist is NOT_FOUND', async () => {
    expect(errorCodes(await call({ version: 7 }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await call({ version: null, alias: 'staging' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await call({ modelId: null, modelName: 'no-such-model' }))).toEqual(['NOT_FOUND']);
  });

  it('duplicate model names are a CONFLICT (case-insensitive)', async () => {
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, createModel, { input: { name: 'TARGET' } }))).toEqual(['CONFLICT']);
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  const hostileStrings = ["x'; DROP TABLE models; --", '" OR 1=1 --', '../../etc/passwd', '..', '/absolute/path', 'name\u0000with-nul', 'a'.repeat(129), '', '   ', '<script>alert(1)</script>', '%2e%2e%2f'];

  it.each(hostileStrings)('refuses the model name %j with BAD_USER_INPUT', async (name) => {
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, createModel, { input: { name } }))).toEqual(['BAD_USER_INPUT']);
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it.each([...hostileStrings.filter(Boolean), 'tenant_other.models'])('refuses the id %j everywhere with BAD_USER_INPUT', async (id) => {
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, `query($id: ID!) { model(id: $id) { id } }`, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, `query($id: ID!) { modelVersion(id: $id) { id } }`, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(admin, deleteModel, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(admin, deleteVersion, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, completeUpload, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, createUpload, { input: { modelId: id, filename: 'a.onnx', byteSize: 4 } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, setAlias, { input: { modelId: id, alias: 'production', version: 1 } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, removeAlias, { modelId: id, alias: 'production' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await predict(stack, token, { modelId: id, version: 1, inputs: [rowsInput([[1, 2, 3]])] }))).toEqual(['BAD_USER_INPUT']);
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
    expect([400, 404]).toContain(download.status);
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it.each(['../evil.onnx', 'dir/file.onnx', '', 'a'.repeat(300)])('refuses the upload filename %j', async (filename) => {
    const before = await modelState(stack, tenant);
    expect(errorCodes(await stack.query(token, createUpload, { input: { modelId, filename, byteSize: 4 } }))).toEqual(['BAD_USER_INPUT']);
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it('a valid upload after all of that still works, and the original version is untouched', async () => {
    const v2 = await uploadVersion(stack, token, modelId, mlpModel());
    expect(v2.number).toBe(2);
    const res = expectNoErrors(await stack.query<{ modelVersion: { number: number; aliases: string[] } }>(token, `query($id: ID!) { modelVersion(id: $id) { number aliases } }`, { id: versionId }));
    expect(res.modelVersion).toEqual({ number: 1, aliases: ['production'] });
  });
});
