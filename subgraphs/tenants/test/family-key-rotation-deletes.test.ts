/**
 * A family key's re-encryption racing the deletes of what it re-encrypts. The run reads an object
 * whole and writes it back with one PUT: a delete that removed the object in between (a dataset or
 * a model deleted, a model version deleted) must not find it back in the bucket afterwards, and an
 * object removed before the run read it is simply no longer there to move, not a failed run.
 */
import { randomBytes } from 'node:crypto';
import { buildLinearRegression } from '@tessera/onnx';
import { datasetKeyFamily, FamilyKeyOperations, modelKeyFamily, reencryptTableObjects, type KeyFamily } from '@tessera/service-kit';
import { TenantBucket } from '@tessera/storage';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import { quoteIdentifier } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { FamilyKeyRotator, type FamilyKeyOwner } from '../src/domain/family-key-rotator';

const linearOnnx = Buffer.from(buildLinearRegression({ weights: [0.5, -1.25, 2], bias: 0.75 }));
const csv = (n: number, seed: number) => Buffer.from(['x,y', ...Array.from({ length: n }, (_, i) => `${i},${i * seed}`)].join('\n') + '\n');

let stack: TestStack;
let tenant: TestTenant;
let admin: string;
let scientist: string;

async function put(url: string, token: string, body: Buffer, type: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': type, authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
}

async function createDataset(): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientist, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `d-${randomBytes(3).toString('hex')}` } })).createDataset.id;
}

async function uploadDatasetVersion(datasetId: string, body: Buffer): Promise<void> {
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(scientist, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  await put(upload.uploadUrl, scientist, body, 'text/csv');
  expectNoErrors(await stack.query(scientist, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
}

async function createModel(): Promise<string> {
  return expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientist, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, { input: { name: `m-${randomBytes(3).toString('hex')}` } })).createModel.id;
}

async function uploadModelVersion(modelId: string): Promise<string> {
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(scientist, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, {
      input: { modelId, filename: 'm.onnx', byteSize: linearOnnx.length },
    }),
  ).createModelUpload;
  await put(upload.uploadUrl, scientist, linearOnnx, 'application/octet-stream');
  return expectNoErrors(await stack.query<{ completeModelUpload: { id: string } }>(scientist, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }`, { id: upload.id })).completeModelUpload.id;
}

function adminPrincipal() {
  return { kind: 'user' as const, subject: 'test-admin', tenantId: tenant.id, roles: ['admin' as const], clientId: undefined, requestId: 'test', sourceIp: undefined };
}

async function scopeOf(service: 'datasets' | 'models'): Promise<TenantScope> {
  return stack.platform.runtimes[service].scopes.forPrincipal(adminPrincipal());
}

async function keysUnder(service: 'datasets' | 'models', familyId: string): Promise<string[]> {
  return (await (await scopeOf(service)).bucket.listKeys(`${service}/${familyId}/`)).sort();
}

/**
 * The owner's family key operations on the service's own scopes, except that the bucket's store
 * runs `hooks` once each: `beforeGet` before the first read of an object, `beforePut` before the
 * first write (the run's read of that object is done by then).
 */
function racingScopes(service: 'datasets' | 'models', hooks: { beforeGet?: (key: string) => Promise<void>; beforePut?: (key: string) => Promise<void> }): TenantScopeFactory {
  return {
    forPrincipal: async (actor: Parameters<TenantScopeFactory['forPrincipal']>[0]) => {
      const scope = await stack.platform.runtimes[service].scopes.forPrincipal(actor);
      const real = (scope.bucket as unknown as { client: object }).client;
      const client = new Proxy(real, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (typeof value !== 'function') return value;
          const hook = property === 'getObject' ? 'beforeGet' : property === 'putObject' ? 'beforePut' : undefined;
          if (!hook) return (value as (...a: unknown[]) => unknown).bind(target);
          return async (...args: unknown[]) => {
            const run = hooks[hook];
            if (run) {
              hooks[hook] = undefined;
              await run(String(args[1]));
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const bucket = new TenantBucket(client as ConstructorParameters<typeof TenantBucket>[0], scope.bucket.tenantId, scope.bucket.bucketName);
      return Object.create(scope, { bucket: { value: bucket } }) as TenantScope;
    },
  } as unknown as TenantScopeFactory;
}

function racing(service: 'datasets' | 'models', family: KeyFamily, hooks: { beforeGet?: (key: string) => Promise<void>; beforePut?: (key: string) => Promise<void> }): FamilyKeyOperations {
  return new FamilyKeyOperations(racingScopes(service, hooks), family);
}

async function versionIdOf(key: string): Promise<string> {
  const rows = await stack.adminQuery<Array<{ id: string }>>(`SELECT id FROM ${quoteIdentifier(tenant.schema)}.model_versions WHERE object_key = ?`, [key]);
  return rows[0]!.id;
}

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await stack.createTenant();
  admin = await tenant.token('admin');
  scientist = await tenant.token('data_scientist');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('a dataset deleted while its key re-encryption writes an object back leaves no object of it in the bucket', async () => {
  const datasetId = await createDataset();
  for (let i = 1; i <= 2; i++) await uploadDatasetVersion(datasetId, csv(5, i));
  const { version } = await stack.platform.ports.datasets.rotateFamilyKey(adminPrincipal(), { familyId: datasetId });
  const operations = racing('datasets', datasetKeyFamily, {
    beforePut: async () => {
      expectNoErrors(await stack.query(admin, `mutation($id: ID!) { deleteDataset(id: $id) { deletedObjects } }`, { id: datasetId }));
    },
  });
  await expect(operations.reencrypt(adminPrincipal(), { familyId: datasetId, targetVersion: version, batchSize: 10 })).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Dataset' } });
  expect(await keysUnder('datasets', datasetId)).toEqual([]);
}, 60_000);

it('a model deleted while its key re-encryption writes an object back leaves no object of it in the bucket', async () => {
  const modelId = await createModel();
  for (let i = 0; i < 2; i++) await uploadModelVersion(modelId);
  const { version } = await stack.platform.ports.models.rotateFamilyKey(adminPrincipal(), { familyId: modelId });
  const operations = racing('models', modelKeyFamily, {
    beforePut: async () => {
      expectNoErrors(await stack.query(admin, `mutation($id: ID!) { deleteModel(id: $id) { deletedObjects } }`, { id: modelId }));
    },
  });
  await expect(operations.reencrypt(adminPrincipal(), { familyId: modelId, targetVersion: version, batchSize: 10 })).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Model' } });
  expect(await keysUnder('models', modelId)).toEqual([]);
}, 60_000);

it('a model version deleted while its file is written back stays deleted; the run moves the other versions', async () => {
  const modelId = await createModel();
  for (let i = 0; i < 2; i++) await uploadModelVersion(modelId);
  const before = await keysUnder('models', modelId);
  expect(before).toHaveLength(2);
  const { version } = await stack.platform.ports.models.rotateFamilyKey(adminPrincipal(), { familyId: modelId });
  let deleted: string | undefined;
  const operations = racing('models', modelKeyFamily, {
    beforePut: async (key) => {
      deleted = key;
      expectNoErrors(await stack.query(admin, `mutation($id: ID!) { deleteModelVersion(id: $id) { id } }`, { id: await versionIdOf(key) }));
    },
  });
  const progress = await operations.reencrypt(adminPrincipal(), { familyId: modelId, targetVersion: version, batchSize: 10 });
  expect(progress).toMatchObject({ reencrypted: 1, remaining: 0 });
  const left = await keysUnder('models', modelId);
  expect(left).toEqual(before.filter((key) => key !== deleted));
  // What is left opens, under the new version: the one version left downloads whole.
  const download = await fetch(`${stack.gatewayUrl}/downloads/models/${await versionIdOf(left[0]!)}`, { headers: { authorization: `Bearer ${scientist}` } });
  expect(Buffer.from(await download.arrayBuffer()).equals(linearOnnx)).toBe(true);
}, 60_000);

it('an object removed before the run reads it is no longer there to move: the run goes on, not FAILED naming the object', async () => {
  const modelId = await createModel();
  for (let i = 0; i < 2; i++) await uploadModelVersion(modelId);
  const before = await keysUnder('models', modelId);
  const { version } = await stack.platform.ports.models.rotateFamilyKey(adminPrincipal(), { familyId: modelId });
  let deleted: string | undefined;
  const operations = racing('models', modelKeyFamily, {
    beforeGet: async (key) => {
      deleted = key;
      expectNoErrors(await stack.query(admin, `mutation($id: ID!) { deleteModelVersion(id: $id) { id } }`, { id: await versionIdOf(key) }));
    },
  });
  const progress = await operations.reencrypt(adminPrincipal(), { familyId: modelId, targetVersion: version, batchSize: 10 });
  expect(progress).toMatchObject({ reencrypted: 1, remaining: 0 });
  expect(await keysUnder('models', modelId)).toEqual(before.filter((key) => key !== deleted));
}, 60_000);

it('a run that fails is audited key.reencrypt.failed with outcome FAILED, not SUCCESS', async () => {
  const datasetId = await createDataset();
  await uploadDatasetVersion(datasetId, csv(5, 1));
  const runtime = stack.platform.runtimes.tenants;
  // The owner's re-encryption fails (as a provider outage or an object failing its check would).
  const failing: FamilyKeyOwner = {
    ...stack.platform.ports.datasets,
    reencryptFamilyObjects: async () => {
      throw new Error('the object store refused the write');
    },
  };
  const rotator = new FamilyKeyRotator(
    { db: runtime.db, controlSchema: stack.config.database.controlSchema, owners: { dataset: failing, model: stack.platform.ports.models }, logger: runtime.logger },
    { batchSize: 10, pauseMs: 0 },
  );
  const { operation } = await rotator.rotate(tenant.id, 'dataset', datasetId, adminPrincipal());
  await rotator.idle();
  expect((await rotator.find(operation.id))?.status).toBe('FAILED');
  const deadline = Date.now() + 20_000;
  let events: Array<{ action: string; outcome: string; targetId: string }> = [];
  for (;;) {
    events = expectNoErrors(
      await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; outcome: string; targetId: string } }> } }>(
        admin,
        `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { action outcome targetId } } } }`,
        { filter: { action: 'key.reencrypt.failed', targetId: operation.id } },
      ),
    ).auditEvents.edges.map((edge) => edge.node);
    if (events.length > 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(events).toEqual([{ action: 'key.reencrypt.failed', outcome: 'FAILED', targetId: operation.id }]);
  // The failure is found by its outcome, as an auditor looks for failures.
  const failed = expectNoErrors(
    await stack.query<{ auditEvents: { edges: Array<{ node: { action: string } }> } }>(admin, `query { auditEvents(filter: { outcome: FAILED }, first: 100) { edges { node { action } } } }`),
  ).auditEvents.edges.map((edge) => edge.node.action);
  expect(failed).toContain('key.reencrypt.failed');
}, 60_000);

it('the tenant-wide re-encryption of a file still under the tenant key: a model deleted meanwhile leaves no file of it', async () => {
  // A version written before per-family keys: its file directly under the tenant data key, which
  // deleting the model does not shred — a file written back after the delete would still open.
  const modelId = await createModel();
  await uploadModelVersion(modelId);
  const [row] = await stack.adminQuery<Array<{ id: string; object_key: string }>>(`SELECT id, object_key FROM ${quoteIdentifier(tenant.schema)}.model_versions WHERE model_id = ?`, [modelId]);
  const scope = await scopeOf('models');
  const old = await scope.currentDataKey();
  await scope.bucket.putEncryptedBuffer(row!.object_key, linearOnnx, old);
  await stack.adminQuery(`UPDATE ${quoteIdentifier(tenant.schema)}.model_versions SET key_version = ? WHERE id = ?`, [old.keyVersion, row!.id]);
  expectNoErrors(await stack.query(admin, `mutation { rotateTenantKey { currentVersion } }`));
  // The delete's steps, as deleteModel takes them, with the run's write landing in the middle: the
  // model marked DELETING and its files removed (after the run read the file), then — once the
  // run has written it back — the rows deleted.
  const scopes = racingScopes('models', {
    beforePut: async () => {
      await stack.adminQuery(`UPDATE ${quoteIdentifier(tenant.schema)}.models SET status = 'DELETING' WHERE id = ?`, [modelId]);
      await scope.bucket.removePrefix(`models/${modelId}/`);
    },
  });
  await reencryptTableObjects(scopes, adminPrincipal(), 'model_versions', { belowVersion: old.keyVersion + 1, batchSize: 10 });
  await stack.adminQuery(`DELETE FROM ${quoteIdentifier(tenant.schema)}.models WHERE id = ?`, [modelId]);
  expect(await keysUnder('models', modelId)).toEqual([]);
}, 60_000);
