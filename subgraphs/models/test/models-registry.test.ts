import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Role } from '@tessera/auth';
import { decryptBuffer } from '@tessera/crypto';
import { ModelRegistry } from '@tessera/models';
import { FamilyKeys } from '@tessera/service-kit';
import { objectStoreTransport } from '@tessera/storage';
import { Readable } from 'node:stream';
import { modelKeys } from '../src/data/model-keys';
import { defaultModelsConfig } from '../src/domain/models-config';
import { ModelService } from '../src/domain/model.service';
import { ModelUploadService } from '../src/domain/model-upload.service';
import { createModelUploadCapacity } from '../src/server';
import { errorCodes, expectNoErrors, requestSubgraph, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import {
  auditTrail,
  completeUpload,
  deleteModel,
  deleteVersion,
  linearModel,
  logisticModel,
  mlpModel,
  modelState,
  newModel,
  putBytes,
  removeAlias,
  reserveUpload,
  setAlias,
  replaceVersionObject,
  uploadVersion,
} from './model-flow';

const versionFields = `id number sha256 byteSize irVersion opsets { domain version } producer
  inputs { name elementType shapeKnown shape { size symbol } } outputs { name elementType shape { size symbol } }
  lineage { datasetVersionId jobId } createdBy aliases downloadUrl`;

describe('models: registry, versions, aliases, downloads, delete', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let admin: string;
  let scientist: string;
  let viewer: string;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
    [admin, scientist, viewer] = await Promise.all([acme.token('admin'), acme.token('data_scientist'), acme.token('viewer')]);
  });
  afterAll(() => stack?.stop());

  it('uploads an ONNX file as version 1 with its signature, checksum and lineage, encrypted at rest', async () => {
    const modelId = await newModel(stack, scientist, 'price');
    const onnx = linearModel();
    const v1 = await uploadVersion(stack, scientist, modelId, onnx);
    expect(v1).toMatchObject({ number: 1, byteSize: onnx.length, sha256: createHash('sha256').update(onnx).digest('hex') });

    const res = expectNoErrors(await stack.query<{ model: { name: string; versionCount: number; latestVersion: Record<string, unknown> } }>(viewer, `query($id: ID!) { model(id: $id) { name versionCount latestVersion { ${versionFields} } } }`, { id: modelId }));
    expect(res.model.versionCount).toBe(1);
    expect(res.model.latestVersion).toMatchObject({
      id: v1.id,
      number: 1,
      inputs: [{ name: 'input', elementType: 'float32', shapeKnown: true, shape: [{ size: null, symbol: 'batch' }, { size: 3, symbol: null }] }],
      outputs: [{ name: 'output', elementType: 'float32', shape: [{ size: null, symbol: 'batch' }, { size: 1, symbol: null }] }],
      lineage: { datasetVersionId: null, jobId: null },
      aliases: [],
      downloadUrl: `${stack.gatewayUrl}/downloads/models/${v1.id}`,
    });
    expect((res.model.latestVersion['irVersion'] as number) > 0).toBe(true);

    const state = await modelState(stack, acme);
    const objects = state.objects.filter((key) => key.startsWith(`models/${modelId}/`));
    expect(objects).toHaveLength(1);
    const stored = await readObject(acme.bucket, objects[0]!);
    expect(stored.equals(Buffer.from(onnx))).toBe(false);
    // Under the model's own key (header version 0), not directly under the tenant's.
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: acme.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const key = await modelKeys(scope).resolver(modelId)(0);
    const plain = await decryptBuffer(stored, { resolveKey: async () => key, associatedData: `${acme.id}/${objects[0]}` });
    expect(plain.equals(Buffer.from(onnx))).toBe(true);
    const tenantKey = await stack.platform.runtime.keyring.keyFor(acme.id, 1);
    await expect(decryptBuffer(stored, { resolveKey: async () => tenantKey, associatedData: `${acme.id}/${objects[0]}` })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
  });

  it('crypto-shredding: deleting a model destroys its key, so a copy of its encrypted version file opens with nothing the platform still holds', async () => {
    const modelId = await newModel(stack, scientist, 'to-shred');
    const onnx = linearModel();
    await uploadVersion(stack, scientist, modelId, onnx);
    const [objectKey] = (await modelState(stack, acme)).objects.filter((key) => key.startsWith(`models/${modelId}/`));
    const copy = await readObject(acme.bucket, objectKey!);
    const associatedData = `${acme.id}/${objectKey}`;
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 't', tenantId: acme.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const modelKey = await modelKeys(scope).resolver(modelId)(0);
    expect((await decryptBuffer(copy, { resolveKey: async () => modelKey, associatedData })).equals(Buffer.from(onnx))).toBe(true);
    expectNoErrors(await stack.query(admin, `mutation($id: ID!) { deleteModel(id: $id) { id } }`, { id: modelId }));
    expect(await stack.platform.runtime.db.query(`SELECT model_id FROM \`${acme.schema}\`.model_keys WHERE model_id = ?`, [modelId])).toEqual([]);
    await expect(modelKeys(scope).resolver(modelId)(0)).rejects.toThrow(/shredded/);
    const held: Buffer[] = [];
    for (const { version } of await stack.platform.runtime.keyring.versions(acme.id)) held.push(await stack.platform.runtime.keyring.keyFor(acme.id, version));
    for (const row of (await stack.platform.runtime.db.query(`SELECT model_id FROM \`${acme.schema}\`.model_keys`)) as Array<{ model_id: string }>) held.push(await modelKeys(scope).resolver(row.model_id)(0));
    expect(held.length).toBeGreaterThan(1);
    for (const key of held) await expect(decryptBuffer(copy, { resolveKey: async () => key, associatedData })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
  });

  it('numbers versions 1, 2, 3 and never reuses a number after the latest is deleted', async () => {
    const modelId = await newModel(stack, scientist, 'numbered');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    const v2 = await uploadVersion(stack, scientist, modelId, logisticModel());
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expectNoErrors(await stack.query(admin, deleteVersion, { id: v2.id }));
    const v3 = await uploadVersion(stack, scientist, modelId, mlpModel());
    expect(v3.number).toBe(3);
    const res = expectNoErrors(
      await stack.query<{ model: { versions: { edges: Array<{ node: { number: number; sha256: string } }> }; v1: { id: string }; latestVersion: { number: number } } }>(
        viewer,
        `query($id: ID!) { model(id: $id) { versions { edges { node { number sha256 } } } v1: version(number: 1) { id } latestVersion { number } } }`,
        { id: modelId },
      ),
    );
    expect(res.model.versions.edges.map((e) => e.node.number)).toEqual([1, 3]);
    expect(res.model.v1.id).toBe(v1.id);
    expect(res.model.latestVersion.number).toBe(3);
    // Version 1 is unchanged by everything that happened after it.
    expect(res.model.versions.edges[0]!.node.sha256).toBe(v1.sha256);
    expect(errorCodes(await stack.query(viewer, `query($id: ID!) { model(id: $id) { version(number: 2) { id } } }`, { id: modelId }))).toEqual(['NOT_FOUND']);
  });

  it('finds a model by name (case-insensitive), lists models, and refuses duplicate names', async () => {
    const modelId = await newModel(stack, scientist, 'Churn Predictor');
    const found = expectNoErrors(await stack.query<{ modelByName: { id: string } }>(viewer, `{ modelByName(name: "churn predictor") { id } }`));
    expect(found.modelByName.id).toBe(modelId);
    expect(errorCodes(await stack.query(scientist, `mutation { createModel(input: { name: "CHURN PREDICTOR" }) { id } }`))).toEqual(['CONFLICT']);
    expect(errorCodes(await stack.query(viewer, `{ modelByName(name: "no-such-model") { id } }`))).toEqual(['NOT_FOUND']);
    const list = expectNoErrors(await stack.query<{ models: { edges: Array<{ node: { id: string } }> } }>(viewer, `{ models(first: 100) { edges { node { id } } } }`));
    expect(list.models.edges.map((e) => e.node.id)).toContain(modelId);
  });

  it('aliases: set, move (promote), roll back, list per model and per version, remove — each audited', async () => {
    const modelId = await newModel(stack, scientist, 'aliased');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    const v2 = await uploadVersion(stack, scientist, modelId, logisticModel());
    const set = (alias: string, version: number) => stack.query<{ setModelAlias: { alias: string; version: { id: string; number: number } } }>(scientist, setAlias, { input: { modelId, alias, version } });
    expect(expectNoErrors(await set('production', 1)).setModelAlias).toMatchObject({ alias: 'production', version: { id: v1.id, number: 1 } });
    expectNoErrors(await set('staging', 2));
    expectNoErrors(await set('production', 2)); // promote
    const aliasesNow = async () =>
      expectNoErrors(
        await stack.query<{ model: { aliases: Array<{ alias: string; version: { number: number } }>; versions: { edges: Array<{ node: { number: number; aliases: string[] } }> } } }>(
          viewer,
          `query($id: ID!) { model(id: $id) { aliases { alias version { number } } versions { edges { node { number aliases } } } } }`,
          { id: modelId },
        ),
      ).model;
    let now = await aliasesNow();
    expect(now.aliases).toEqual([{ alias: 'production', version: { number: 2 } }, { alias: 'staging', version: { number: 2 } }]);
    expect(now.versions.edges.map((e) => e.node)).toEqual([{ number: 1, aliases: [] }, { number: 2, aliases: ['production', 'staging'] }]);
    expectNoErrors(await set('production', 1)); // roll back
    now = await aliasesNow();
    expect(now.aliases).toEqual([{ alias: 'production', version: { number: 1 } }, { alias: 'staging', version: { number: 2 } }]);

    expect(expectNoErrors(await stack.query<{ removeModelAlias: unknown }>(scientist, removeAlias, { modelId, alias: 'staging' })).removeModelAlias).toEqual({
      modelId,
      alias: 'staging',
      versionNumber: 2,
    });
    expect(errorCodes(await stack.query(scientist, removeAlias, { modelId, alias: 'staging' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await set('canary', 9))).toEqual(['NOT_FOUND']);
    for (const bad of ['Production', '1', 'has space', '', 'x'.repeat(64), 'drop;table']) {
      expect(errorCodes(await set(bad, 1))).toEqual(['BAD_USER_INPUT']);
    }
    expect(errorCodes(await stack.query(viewer, setAlias, { input: { modelId, alias: 'viewer-try', version: 1 } }))).toEqual(['FORBIDDEN']);

    const actions = await auditActions(modelId);
    expect(actions.filter((a) => a.startsWith('model.alias'))).toEqual(['model.alias.set', 'model.alias.set', 'model.alias.set', 'model.alias.set', 'model.alias.remove']);
    const parsed = (await auditTrail(stack, acme)).filter((e) => e.action === 'model.alias.set' && e.targetId === modelId).map((e) => e.details);
    expect(parsed.map((d) => [d['alias'], d['fromVersion'], d['toVersion']])).toEqual([
      ['production', null, 1],
      ['staging', null, 2],
      ['production', 1, 2],
      ['production', 2, 1],
    ]);
  });

  it('a version with an alias cannot be deleted (CONFLICT, nothing changed) until the alias moves; a model with aliases neither', async () => {
    const modelId = await newModel(stack, scientist, 'guarded');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    const v2 = await uploadVersion(stack, scientist, modelId, linearModel());
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId, alias: 'production', version: 1 } }));
    const before = await modelState(stack, acme);
    const refused = await stack.query(admin, deleteVersion, { id: v1.id });
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors?.[0]?.message).toMatch(/production/);
    expect(errorCodes(await stack.query(admin, deleteModel, { id: modelId }))).toEqual(['CONFLICT']);
    expect(await modelState(stack, acme)).toEqual(before);

    expect(errorCodes(await stack.query(scientist, deleteVersion, { id: v2.id }))).toEqual(['FORBIDDEN']);
    expectNoErrors(await stack.query(scientist, setAlias, { input: { modelId, alias: 'production', version: 2 } }));
    expect(expectNoErrors(await stack.query<{ deleteModelVersion: unknown }>(admin, deleteVersion, { id: v1.id })).deleteModelVersion).toEqual({ id: v1.id, modelId, number: 1 });
    const after = await modelState(stack, acme);
    expect(after.rows['model_versions']).toBe(before.rows['model_versions']! - 1);
    expect(after.objects.filter((k) => k.startsWith(`models/${modelId}/`))).toHaveLength(1);
    expect(errorCodes(await stack.query(viewer, `query($id: ID!) { modelVersion(id: $id) { id } }`, { id: v1.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(admin, deleteVersion, { id: v1.id }))).toEqual(['NOT_FOUND']);

    expectNoErrors(await stack.query(scientist, removeAlias, { modelId, alias: 'production' }));
    expect(expectNoErrors(await stack.query<{ deleteModel: unknown }>(admin, deleteModel, { id: modelId })).deleteModel).toEqual({ id: modelId, deletedVersions: 1, deletedObjects: 1 });
    const gone = await modelState(stack, acme);
    expect(gone.objects.filter((k) => k.includes(modelId))).toEqual([]);
    expect(gone.rows['models']).toBe(before.rows['models']! - 1);
    expect(errorCodes(await stack.query(viewer, `query($id: ID!) { model(id: $id) { id } }`, { id: modelId }))).toEqual(['NOT_FOUND']);
    expect(await auditActions(modelId)).toEqual(expect.arrayContaining(['model.create', 'model.alias.set', 'model.alias.remove', 'model.delete']));
  });

  it('deleteModelVersion racing setModelAlias on the same version: one wins, the other is CONFLICT or NOT_FOUND (never a 500)', async () => {
    const modelId = await newModel(stack, scientist, 'contended');
    for (let round = 0; round < 10; round += 1) {
      const version = await uploadVersion(stack, scientist, modelId, linearModel());
      const [aliased, deleted] = await Promise.all([
        stack.query(scientist, setAlias, { input: { modelId, alias: 'production', version: version.number } }),
        stack.query(admin, deleteVersion, { id: version.id }),
      ]);
      const outcome = `${errorCodes(aliased).join(',') || 'ok'}/${errorCodes(deleted).join(',') || 'ok'}`;
      // Either the alias came first (the delete sees it), or the delete did (the alias finds no version).
      expect(['ok/CONFLICT', 'NOT_FOUND/ok']).toContain(outcome);
      const state = expectNoErrors(
        await stack.query<{ model: { aliases: Array<{ version: { id: string } }> } }>(scientist, `query($id: ID!) { model(id: $id) { aliases { version { id } } } }`, { id: modelId }),
      );
      if (outcome === 'ok/CONFLICT') expect(state.model.aliases.map((a) => a.version.id)).toEqual([version.id]);
      if (state.model.aliases.length > 0) expectNoErrors(await stack.query(scientist, removeAlias, { modelId, alias: 'production' }));
    }
  });

  it('an upload whose model is deleted outright while its bytes are stored, or before its first write, is NOT_FOUND', async () => {
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: acme.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['admin']));
    const onnx = linearModel();
    // (1) The whole delete (objects, rows, the model's keys) just after the object is stored: the
    // key it was written under is gone because the model is, so NOT_FOUND (Model), not CONFLICT
    // FAMILY_KEY_ROTATED "write it again".
    const stored = await newModel(stack, scientist, 'deleted-while-stored');
    const first = await reserveUpload(stack, scientist, stored, onnx.length);
    const uploader = Object.create(uploaderScope) as typeof uploaderScope;
    const uploaderBucket = Object.create(uploaderScope.bucket) as typeof uploaderScope.bucket;
    uploaderBucket.putEncryptedBuffer = async (...args) => {
      const result = await uploaderScope.bucket.putEncryptedBuffer(...args);
      await new ModelService(adminScope).delete(stored);
      return result;
    };
    Object.defineProperty(uploader, 'bucket', { value: uploaderBucket });
    const afterStore = new ModelUploadService(uploader, defaultModelsConfig, createModelUploadCapacity(defaultModelsConfig.uploads)).receive(first.id, Readable.from([Buffer.from(onnx)]), onnx.length);
    await expect(afterStore).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Model' } });
    // (2) The delete just before the upload asks for the model's key: no key may be made for a
    // model that is gone (before: a plain Error, a 500).
    const keyless = await newModel(stack, scientist, 'deleted-before-key');
    const second = await reserveUpload(stack, scientist, keyless, onnx.length);
    const forWriting = FamilyKeys.prototype.forWriting;
    const spy = jest.spyOn(FamilyKeys.prototype, 'forWriting').mockImplementationOnce(async function (this: FamilyKeys, familyId: string) {
      await new ModelService(adminScope).delete(keyless);
      return forWriting.call(this, familyId);
    });
    try {
      const beforeKey = new ModelUploadService(uploaderScope, defaultModelsConfig, createModelUploadCapacity(defaultModelsConfig.uploads)).receive(second.id, Readable.from([Buffer.from(onnx)]), onnx.length);
      await expect(beforeKey).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Model' } });
    } finally {
      spy.mockRestore();
    }
    expect((await modelState(stack, acme)).objects.filter((key) => key.startsWith(`models/${stored}/`) || key.startsWith(`models/${keyless}/`))).toEqual([]);
  });

  it('completing an upload while its model is deleted is NOT_FOUND for the one and done for the other, not a deadlock', async () => {
    const modelId = await newModel(stack, scientist, 'completed-while-deleted');
    const onnx = linearModel();
    const upload = await reserveUpload(stack, scientist, modelId, onnx.length);
    expect((await putBytes(upload.uploadUrl, scientist, onnx)).status).toBe(200);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: acme.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['admin']));
    // The delete's last transaction holds the model's row when the complete comes; the complete
    // must wait for it without holding the upload's row the delete takes next (the other order
    // was a deadlock, one of the two answered with MariaDB's error as a 500).
    let paused!: () => void;
    const atPause = new Promise<void>((resolve) => (paused = resolve));
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    const deleter = Object.create(adminScope) as typeof adminScope;
    Object.defineProperty(deleter, 'transaction', {
      value: <T>(fn: (manager: Parameters<Parameters<typeof adminScope.transaction>[0]>[0]) => Promise<T>) =>
        adminScope.transaction((manager) => {
          const held = new Proxy(manager, {
            get(target, property, receiver) {
              if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
              return async (sql: string, parameters?: unknown[]) => {
                const result = (await target.query(sql, parameters)) as unknown;
                if (sql === 'SELECT id FROM models WHERE id = ? FOR UPDATE') {
                  paused();
                  await gate;
                }
                return result;
              };
            },
          });
          return fn(held);
        }),
    });
    let deleted: Promise<unknown>;
    let completed: Promise<unknown>;
    try {
      deleted = new ModelService(deleter).delete(modelId);
      await atPause;
      completed = new ModelUploadService(uploaderScope, defaultModelsConfig, createModelUploadCapacity(defaultModelsConfig.uploads)).complete(upload.id);
      // Time for the complete to reach the model's row.
      await sleep(500);
      letGo();
      await Promise.allSettled([deleted, completed]);
    } finally {
      letGo();
    }
    await expect(deleted).resolves.toMatchObject({ id: modelId });
    await expect(completed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await modelState(stack, acme)).objects.filter((key) => key.startsWith(`models/${modelId}/`))).toEqual([]);
  });

  it('an upload whose bytes are stored while its model is being deleted leaves no object behind', async () => {
    const modelId = await newModel(stack, scientist, 'deleted-mid-upload');
    const onnx = linearModel();
    const upload = await reserveUpload(stack, scientist, modelId, onnx.length);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: acme.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.models.scopes.forPrincipal(principal(['admin']));
    // The worst moment: the upload's object is written after the delete listed the model's objects,
    // and the upload records it before the delete removes the model's rows.
    let listed!: () => void;
    const afterListing = new Promise<void>((resolve) => (listed = resolve));
    let received!: Promise<unknown>;
    const uploader = Object.create(uploaderScope) as typeof uploaderScope;
    const uploaderBucket = Object.create(uploaderScope.bucket) as typeof uploaderScope.bucket;
    uploaderBucket.putEncryptedBuffer = async (...args) => {
      await afterListing;
      return uploaderScope.bucket.putEncryptedBuffer(...args);
    };
    Object.defineProperty(uploader, 'bucket', { value: uploaderBucket });
    const deleter = Object.create(adminScope) as typeof adminScope;
    const deleterBucket = Object.create(adminScope.bucket) as typeof adminScope.bucket;
    deleterBucket.removePrefix = async (prefix) => {
      const removed = await adminScope.bucket.removePrefix(prefix);
      listed();
      await received.catch(() => undefined);
      return removed;
    };
    Object.defineProperty(deleter, 'bucket', { value: deleterBucket });

    received = new ModelUploadService(uploader, defaultModelsConfig, createModelUploadCapacity(defaultModelsConfig.uploads)).receive(upload.id, Readable.from([Buffer.from(onnx)]), onnx.length);
    const deleted = await new ModelService(deleter).delete(modelId);
    await received.catch(() => undefined);
    expect(deleted.id).toBe(modelId);
    expect((await modelState(stack, acme)).objects.filter((key) => key.startsWith(`models/${modelId}/`))).toEqual([]);
    await expect(received).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('downloads a version through the gateway: exact bytes for data_scientist/admin, FORBIDDEN for viewers, audited', async () => {
    const modelId = await newModel(stack, scientist, 'downloadable');
    const onnx = mlpModel();
    const v1 = await uploadVersion(stack, scientist, modelId, onnx);
    const url = `${stack.gatewayUrl}/downloads/models/${v1.id}`;
    for (const token of [scientist, admin]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="downloadable-v1.onnx"');
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(onnx))).toBe(true);
    }
    const denied = await fetch(url, { headers: { authorization: `Bearer ${viewer}` } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const missing = await fetch(`${stack.gatewayUrl}/downloads/models/${randomUUID()}`, { headers: { authorization: `Bearer ${scientist}` } });
    expect(missing.status).toBe(404);
    const downloads = (await auditTrail(stack, acme)).filter((e) => e.action === 'model.download' && e.targetId === v1.id);
    expect(downloads.map((e) => e.actorSubject).sort()).toHaveLength(2);
  });

  it('a download the client abandons closes the object-store response behind it', async () => {
    const modelId = await newModel(stack, scientist, 'abandoned');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    // The version's object replaced by 8 MiB under the model's key: far more than the sockets on the way buffer.
    const big = await replaceVersionObject(stack, acme, modelId, v1.id, 8 * 1024 * 1024);
    // Every object-store client of this process goes through this one keep-alive agent.
    const storeAgent = objectStoreTransport(stack.config.objectStore).transportAgent as Agent;
    const busy = () => Object.values(storeAgent.sockets).reduce((count, list) => count + (list?.length ?? 0), 0);
    const settle = async () => {
      for (let i = 0; i < 150 && busy() > 0; i++) await sleep(20);
      return busy();
    };
    expect(await settle()).toBe(0);

    const request = httpsRequest(`${stack.gatewayUrl}/downloads/models/${v1.id}`, { headers: { authorization: `Bearer ${scientist}` }, ca: stack.pki.ca });
    request.end();
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    expect(response.statusCode).toBe(200);
    const [first] = (await once(response, 'data')) as [Buffer];
    expect(first.equals(big.subarray(0, first.length))).toBe(true);
    expect(busy()).toBeGreaterThan(0);
    request.destroy();

    expect(await settle()).toBe(0);
    // Whole downloads still work.
    const whole = await fetch(`${stack.gatewayUrl}/downloads/models/${v1.id}`, { headers: { authorization: `Bearer ${scientist}` } });
    expect(Buffer.from(await whole.arrayBuffer()).equals(big)).toBe(true);
  });

  it('serving configuration: defaults, update (audited), validation', async () => {
    const modelId = await newModel(stack, scientist, 'served');
    const query = `query($id: ID!) { model(id: $id) { serving { batching maxBatchSize maxDelayMs timeoutMs } } }`;
    expect(expectNoErrors(await stack.query<{ model: { serving: unknown } }>(viewer, query, { id: modelId })).model.serving).toEqual({ batching: true, maxBatchSize: 32, maxDelayMs: 2, timeoutMs: 10000 });
    const update = `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { serving { batching maxBatchSize maxDelayMs timeoutMs } } }`;
    const updated = expectNoErrors(await stack.query<{ updateModelServing: { serving: unknown } }>(scientist, update, { id: modelId, input: { batching: false, timeoutMs: 500 } }));
    expect(updated.updateModelServing.serving).toEqual({ batching: false, maxBatchSize: 32, maxDelayMs: 2, timeoutMs: 500 });
    const before = await modelState(stack, acme);
    for (const input of [{}, { maxBatchSize: 0 }, { maxBatchSize: 5000 }, { maxDelayMs: -1 }, { timeoutMs: 1 }]) {
      expect(errorCodes(await stack.query(scientist, update, { id: modelId, input }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(errorCodes(await stack.query(viewer, update, { id: modelId, input: { batching: true } }))).toEqual(['FORBIDDEN']);
    expect(await modelState(stack, acme)).toEqual(before);
    expect(await auditActions(modelId)).toContain('model.serving.update');
  });

  it('ModelRegistry.registerVersion (the training worker path): creates the model, records lineage, idempotent by key', async () => {
    const scope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'worker:train', tenantId: acme.id, roles: ['data_scientist'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const registry = new ModelRegistry(scope);
    const lineage = { datasetVersionId: randomUUID(), jobId: randomUUID() };
    const first = await registry.registerVersion({ modelName: 'trained-by-job', onnx: logisticModel(), lineage, idempotencyKey: `job:${lineage.jobId}` });
    expect(first.created).toBe(true);
    expect(first.version.number).toBe(1);
    const before = await modelState(stack, acme);
    const again = await registry.registerVersion({ modelName: 'trained-by-job', onnx: logisticModel(), lineage, idempotencyKey: `job:${lineage.jobId}` });
    expect(again).toMatchObject({ created: false, version: { id: first.version.id, number: 1 } });
    expect(await modelState(stack, acme)).toEqual(before);
    // Concurrent retries of one job still make exactly one version.
    const key = `job:${randomUUID()}`;
    const racing = await Promise.all([1, 2, 3].map(() => registry.registerVersion({ modelName: 'trained-by-job', onnx: mlpModel(), lineage, idempotencyKey: key })));
    expect(new Set(racing.map((r) => r.version.id)).size).toBe(1);
    expect(racing.filter((r) => r.created)).toHaveLength(1);

    const res = expectNoErrors(
      await stack.query<{ modelByName: { versions: { edges: Array<{ node: { number: number; lineage: unknown; createdBy: string } }> } } }>(
        viewer,
        `{ modelByName(name: "trained-by-job") { versions { edges { node { number lineage { datasetVersionId jobId } createdBy } } } } }`,
      ),
    );
    expect(res.modelByName.versions.edges.map((e) => e.node)).toEqual([
      { number: 1, lineage, createdBy: 'worker:train' },
      { number: 2, lineage, createdBy: 'worker:train' },
    ]);
    const afterRace = await modelState(stack, acme);
    expect(afterRace.objects.filter((k) => k.startsWith(`models/${first.model.id}/`))).toHaveLength(2);
    await expect(registry.registerVersion({ modelName: 'trained-by-job', onnx: new TextEncoder().encode('not a model') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const viewerScope = await stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'v', tenantId: acme.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    await expect(new ModelRegistry(viewerScope).registerVersion({ modelName: 'x', onnx: logisticModel() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('completeModelUpload with an idempotencyKey: a second upload with the same key is a CONFLICT and adds no version', async () => {
    const modelId = await newModel(stack, scientist, 'keyed');
    const first = await reserveUpload(stack, scientist, modelId, linearModel().length);
    expect((await putBytes(first.uploadUrl, scientist, linearModel())).status).toBe(200);
    const made = expectNoErrors(await stack.query<{ completeModelUpload: { id: string } }>(scientist, completeUpload, { id: first.id, key: 'release-1' })).completeModelUpload;
    // The same completion again (a client whose first answer was lost): CONFLICT naming the version it made, nothing added.
    const replayBefore = await modelState(stack, acme);
    const replay = await stack.query(scientist, completeUpload, { id: first.id, key: 'release-1' });
    expect(errorCodes(replay)).toEqual(['CONFLICT']);
    expect(replay.errors?.[0]?.extensions).toMatchObject({ reason: 'ALREADY_COMPLETED', versionId: made.id, uploadId: first.id });
    expect(await modelState(stack, acme)).toEqual(replayBefore);
    const second = await reserveUpload(stack, scientist, modelId, linearModel().length);
    expect((await putBytes(second.uploadUrl, scientist, linearModel())).status).toBe(200);
    const before = await modelState(stack, acme);
    expect(errorCodes(await stack.query(scientist, completeUpload, { id: second.id, key: 'release-1' }))).toEqual(['CONFLICT']);
    const after = await modelState(stack, acme);
    expect(after.rows['model_versions']).toBe(before.rows['model_versions']);
  });

  it("the subgraph's file routes refuse calls that bypass the gateway (no client certificate → no connection; no or forged context → UNAUTHENTICATED)", async () => {
    const modelId = await newModel(stack, scientist, 'bypass');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    const upload = await reserveUpload(stack, scientist, modelId, linearModel().length);
    const base = `${stack.platform.subgraphs.models.url}/internal`;
    const before = await modelState(stack, acme);
    const attempts: Array<Record<string, string>> = [{}, { 'x-tessera-context': 'forged.token.value' }, { authorization: `Bearer ${scientist}` }];
    await expect(fetch(`${base}/downloads/${v1.id}`)).rejects.toThrow();
    // Even holding the gateway's client certificate, a caller needs a context the gateway signed.
    const asGateway = { subgraph: 'models', ca: stack.pki.ca, client: stack.pki.identity('gateway') };
    for (const headers of attempts) {
      const down = await requestSubgraph(`${base}/downloads/${v1.id}`, { ...asGateway, method: 'GET', headers });
      expect(down.status).toBe(401);
      expect((JSON.parse(down.text) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
      const up = await requestSubgraph(`${base}/uploads/${upload.id}`, { ...asGateway, method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: Buffer.from(linearModel()) });
      expect(up.status).toBe(401);
    }
    expect(await modelState(stack, acme)).toEqual(before);
  });

  async function auditActions(targetOrModelId: string): Promise<string[]> {
    return (await auditTrail(stack, acme)).filter((e) => e.targetId === targetOrModelId || e.details['modelId'] === targetOrModelId).map((e) => e.action);
  }

  async function readObject(bucket: string, key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(bucket, key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
});
