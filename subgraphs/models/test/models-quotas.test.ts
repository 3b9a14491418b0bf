import { randomUUID } from 'node:crypto';
import { ModelRegistry } from '@tessera/models';
import { storedSizeOf } from '@tessera/storage';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, createModel, createUpload, deleteModel, deleteVersion, linearModel, modelState, newModel, putBytes, reserveUpload, uploadVersion } from './model-flow';

const onnx = linearModel();
const stored = storedSizeOf(onnx.length);

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
}

async function quotasOf(stack: TestStack, token: string): Promise<Record<string, QuotaRow>> {
  const data = expectNoErrors(await stack.query<{ tenantUsage: { quotas: QuotaRow[] } }>(token, '{ tenantUsage { quotas { name limit used reserved } } }'));
  return Object.fromEntries(data.tenantUsage.quotas.map((q) => [q.name, q]));
}

function quotaError(response: GraphQLResponse) {
  return response.errors?.[0]?.extensions;
}

/**
 * Model writers against the tenant's quotas: the upload flow (GraphQL + PUT) and the registry's
 * own write path that training jobs use. Refusals are QUOTA_EXCEEDED with the quota's name, limit
 * and usage, and leave rows and bucket unchanged; deleting versions and models gives usage back.
 */
describe('models: quotas', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let admin: string;
  let scientist: string;
  let registry: ModelRegistry;
  let modelId: string;
  let firstVersionId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant({ limits: { maxModels: 1, maxModelVersions: 1, maxStorageBytes: 2 * stored } });
    [admin, scientist] = await Promise.all([tenant.token('admin'), tenant.token('data_scientist')]);
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'worker:train', tenantId: tenant.id, roles: ['data_scientist'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    registry = new ModelRegistry(scope);
  });
  afterAll(() => stack?.stop());

  it('one model more than maxModels is refused, through the API and through the registry, and writes nothing', async () => {
    modelId = await newModel(stack, scientist, 'only');
    const before = await modelState(stack, tenant);
    const response = await stack.query(scientist, createModel, { input: { name: 'second' } });
    expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
    expect(quotaError(response)).toMatchObject({ quota: 'models', limit: 1, used: 1 });
    await expect(registry.registerVersion({ modelName: 'trained-new', onnx, idempotencyKey: randomUUID() })).rejects.toMatchObject({
      extensions: { code: 'QUOTA_EXCEEDED', quota: 'models', limit: 1, used: 1 },
    });
    expect(await modelState(stack, tenant)).toEqual(before);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a version more than maxModelVersions is refused at complete and by the registry; the received upload stays counted', async () => {
    firstVersionId = (await uploadVersion(stack, scientist, modelId, onnx)).id;
    expect(await quotasOf(stack, scientist)).toMatchObject({ modelVersions: { used: 1 }, storageBytes: { used: stored, reserved: 0 } });
    const upload = await reserveUpload(stack, scientist, modelId, onnx.length);
    expect((await putBytes(upload.uploadUrl, scientist, onnx)).status).toBe(200);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 2 * stored, reserved: 0 });

    const before = await modelState(stack, tenant);
    const response = await stack.query(scientist, completeUpload, { id: upload.id });
    expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
    expect(quotaError(response)).toMatchObject({ quota: 'modelVersions', limit: 1, used: 1 });
    await expect(registry.registerVersion({ modelName: 'only', onnx, idempotencyKey: randomUUID() })).rejects.toMatchObject({
      extensions: { code: 'QUOTA_EXCEEDED', quota: 'modelVersions', limit: 1, used: 1 },
    });
    expect(await modelState(stack, tenant)).toEqual(before);
  });

  it('an upload or a trained model whose bytes do not fit is refused before anything is stored', async () => {
    const before = await modelState(stack, tenant);
    const response = await stack.query(scientist, createUpload, { input: { modelId, filename: 'm.onnx', byteSize: onnx.length } });
    expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
    expect(quotaError(response)).toMatchObject({ quota: 'storageBytes', limit: 2 * stored, used: 2 * stored, requested: stored });
    expect(await modelState(stack, tenant)).toEqual(before);

    // Room for a model and a version, not for the bytes: a training job's model is refused whole,
    // the model it would have created included.
    const small = await stack.createTenant({ limits: { maxStorageBytes: stored - 1 } });
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'worker:train', tenantId: small.id, roles: ['data_scientist'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const beforeSmall = await modelState(stack, small);
    await expect(new ModelRegistry(scope).registerVersion({ modelName: 'trained', onnx, idempotencyKey: randomUUID() })).rejects.toMatchObject({
      extensions: { code: 'QUOTA_EXCEEDED', quota: 'storageBytes', limit: stored - 1, used: 0, requested: stored },
    });
    expect(await modelState(stack, small)).toEqual(beforeSmall);
    const smallToken = await small.token('viewer');
    // The stored quotas (bytes and counts) are untouched; the live ones (costPerMinute…) count this very query.
    const smallQuotas = await quotasOf(stack, smallToken);
    for (const name of ['storageBytes', 'datasets', 'datasetVersions', 'models', 'modelVersions']) expect({ name, ...smallQuotas[name] }).toMatchObject({ name, used: 0, reserved: 0 });
  });

  it('deleting a version gives back its count and bytes, and the registry can write again', async () => {
    expectNoErrors(await stack.query(admin, deleteVersion, { id: firstVersionId }));
    expect(await quotasOf(stack, scientist)).toMatchObject({ modelVersions: { used: 0 }, storageBytes: { used: stored, reserved: 0 } });
    await registry.registerVersion({ modelName: 'only', onnx, idempotencyKey: randomUUID() });
    expect(await quotasOf(stack, scientist)).toMatchObject({ models: { used: 1, reserved: 0 }, modelVersions: { used: 1, reserved: 0 }, storageBytes: { used: 2 * stored, reserved: 0 } });
  });

  it('deleting the model gives back the model, its versions, and every byte under it', async () => {
    expectNoErrors(await stack.query(admin, deleteModel, { id: modelId }));
    expect(await quotasOf(stack, scientist)).toMatchObject({ models: { used: 0 }, modelVersions: { used: 0 }, storageBytes: { used: 0, reserved: 0 } });
    expect((await modelState(stack, tenant)).objects).toEqual([]);
  });

  it("another tenant's quotas are its own", async () => {
    const other = await stack.createTenant({ limits: { maxModels: 1 } });
    const token = await other.token('data_scientist');
    await newModel(stack, token, 'theirs');
    await uploadVersion(stack, token, (await stack.query<{ modelByName: { id: string } }>(token, '{ modelByName(name: "theirs") { id } }')).data!.modelByName.id, onnx);
    expect(await quotasOf(stack, token)).toMatchObject({ models: { used: 1, limit: 1 }, modelVersions: { used: 1 }, storageBytes: { used: stored } });
    expect(await quotasOf(stack, scientist)).toMatchObject({ models: { used: 0, limit: 1 }, modelVersions: { used: 0 }, storageBytes: { used: 0 } });
  });
});
