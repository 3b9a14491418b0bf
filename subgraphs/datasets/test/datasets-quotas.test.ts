import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Role } from '@tessera/auth';
import { storedSizeOf } from '@tessera/storage';
import { FamilyKeys } from '@tessera/service-kit';
import { Reservation } from '@tessera/quotas';
import { CsvParsePool } from '@tessera/tabular';
import { errorCodes, expectNoErrors, startTestStack, tenantState, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, createDataset, createUpload, newDataset, putBytes, reserveUpload, uploadVersion } from './dataset-flow';
import { defaultDatasetsConfig } from '../src/server';
import { DatasetService } from '../src/domain/dataset.service';
import { DatasetUploadService } from '../src/domain/dataset-upload.service';
import { UploadSpool } from '../src/domain/upload-spool';
import { profileResultsClearing } from '../src/domain/profile-results';

const csv = Buffer.from('x,y\n1,2\n3,4\n');
const stored = storedSizeOf(csv.length);
const usageQuery = '{ tenantUsage { quotas { name limit used reserved } } }';

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
}

async function quotasOf(stack: TestStack, token: string): Promise<Record<string, QuotaRow>> {
  const data = expectNoErrors(await stack.query<{ tenantUsage: { quotas: QuotaRow[] } }>(token, usageQuery));
  return Object.fromEntries(data.tenantUsage.quotas.map((q) => [q.name, q]));
}

function quotaError(response: GraphQLResponse) {
  return response.errors?.[0]?.extensions;
}

/**
 * Dataset writers against the tenant's quotas: datasets, dataset versions and storage bytes.
 * Every refusal is QUOTA_EXCEEDED naming the quota, its limit and current usage, and leaves the
 * tenant's rows and bucket as they were; deletes give usage back.
 */
describe('datasets: quotas', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  describe('one tenant filling its quotas', () => {
    let tenant: TestTenant;
    let admin: string;
    let scientist: string;
    let first: string;
    let second: string;

    beforeAll(async () => {
      tenant = await stack.createTenant({ limits: { maxDatasets: 2, maxDatasetVersions: 2, maxStorageBytes: 3 * stored } });
      [admin, scientist] = await Promise.all([tenant.token('admin'), tenant.token('data_scientist')]);
    });

    it('one dataset more than maxDatasets is refused and writes nothing', async () => {
      first = await newDataset(stack, scientist, 'first');
      second = await newDataset(stack, scientist, 'second');
      const before = await tenantState(stack, tenant);
      const response = await stack.query(scientist, createDataset, { input: { name: 'third' } });
      expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaError(response)).toMatchObject({ quota: 'datasets', limit: 2, used: 2 });
      expect(await tenantState(stack, tenant)).toEqual(before);
    });

    it('a version more than maxDatasetVersions is refused at complete; the received object stays counted as storage', async () => {
      await uploadVersion(stack, scientist, first, csv);
      await uploadVersion(stack, scientist, first, csv);
      expect(await quotasOf(stack, scientist)).toMatchObject({ datasetVersions: { used: 2 }, storageBytes: { used: 2 * stored, reserved: 0 } });

      const upload = await reserveUpload(stack, scientist, second, csv.length);
      expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 2 * stored, reserved: stored });
      expect((await putBytes(upload.uploadUrl, scientist, csv)).status).toBe(200);
      expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 3 * stored, reserved: 0 });

      const before = await tenantState(stack, tenant);
      const response = await stack.query(scientist, completeUpload, { id: upload.id });
      expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaError(response)).toMatchObject({ quota: 'datasetVersions', limit: 2, used: 2 });
      expect(await tenantState(stack, tenant)).toEqual(before);
    });

    it('an upload whose encrypted size does not fit is refused before any byte is sent: no upload row, no object', async () => {
      const before = await tenantState(stack, tenant);
      const response = await stack.query(scientist, createUpload, { input: { datasetId: second, filename: 'more.csv', byteSize: 1 } });
      expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
      expect(quotaError(response)).toMatchObject({ quota: 'storageBytes', limit: 3 * stored, used: 3 * stored, requested: storedSizeOf(1) });
      expect(await tenantState(stack, tenant)).toEqual(before);
    });

    it('deleting a dataset gives back the dataset, its versions and their bytes; what was refused then fits', async () => {
      const before = await quotasOf(stack, scientist);
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: first }));
      const after = await quotasOf(stack, scientist);
      expect(after['datasets']!.used).toBe(before['datasets']!.used - 1);
      expect(after['datasetVersions']!.used).toBe(0);
      expect(after['storageBytes']!.used).toBe(stored); // the second dataset's received upload
      expect(expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientist, createDataset, { input: { name: 'third' } })).createDataset.id).toBeTruthy();
      await uploadVersion(stack, scientist, second, csv);
      expect(await quotasOf(stack, scientist)).toMatchObject({ datasets: { used: 2 }, datasetVersions: { used: 1 }, storageBytes: { used: 2 * stored, reserved: 0 } });
    });

    it("deleting a dataset releases its pending uploads' reservations", async () => {
      await reserveUpload(stack, scientist, second, csv.length);
      expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 2 * stored, reserved: stored });
      expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: second }));
      expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
      expect((await tenantState(stack, tenant)).objects).toEqual([]);
    });

    it('a refused PUT gives its reservation back and leaves no object', async () => {
      const datasetId = await newDataset(stack, scientist, 'fourth');
      const upload = await reserveUpload(stack, scientist, datasetId, 4);
      const put = await putBytes(upload.uploadUrl, scientist, Buffer.from('a,b\n'));
      expect(put.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
      expect((await tenantState(stack, tenant)).objects).toEqual([]);
    });
  });

  it('an upload whose bytes are stored while its dataset is being deleted leaves no object that no quota counts', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, scientist, 'deleted-mid-upload');
    const upload = await reserveUpload(stack, scientist, datasetId, csv.length);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['admin']));
    // The worst moment: the upload's object is written after the delete listed the dataset's
    // objects, and the upload records it before the delete removes the dataset's rows.
    let listed!: () => void;
    const afterListing = new Promise<void>((resolve) => (listed = resolve));
    let received!: Promise<unknown>;
    const uploader = Object.create(uploaderScope) as typeof uploaderScope;
    const uploaderBucket = Object.create(uploaderScope.bucket) as typeof uploaderScope.bucket;
    uploaderBucket.putEncrypted = async (...args) => {
      await afterListing;
      return uploaderScope.bucket.putEncrypted(...args);
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

    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool(), profileResults: profileResultsClearing(stack.platform.ports.jobs, undefined) };
    let deleted: { id: string };
    try {
      received = new DatasetUploadService(uploader, services).receive(upload.id, Readable.from([csv]), csv.length);
      deleted = await new DatasetService(deleter, services).delete(datasetId);
      await received.catch(() => undefined);
    } finally {
      await services.parsing.close();
      await services.uploadSpool.close();
    }
    expect(deleted.id).toBe(datasetId);
    expect((await tenantState(stack, tenant)).objects).toEqual([]);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
    await expect(received).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an upload whose dataset is deleted outright while its bytes are stored is NOT_FOUND, not a key rotation to write again', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, scientist, 'deleted-while-stored');
    const upload = await reserveUpload(stack, scientist, datasetId, csv.length);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['admin']));
    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool(), profileResults: profileResultsClearing(stack.platform.ports.jobs, undefined) };
    // The whole delete (objects, rows, the dataset's keys) runs just after the object is stored:
    // the upload then finds the key it wrote under gone. Its dataset is what went, and retrying is
    // useless, so the answer is the dataset's NOT_FOUND (as when the delete comes a moment later),
    // not CONFLICT FAMILY_KEY_ROTATED "write it again".
    let deleted: Promise<unknown> | undefined;
    const uploader = Object.create(uploaderScope) as typeof uploaderScope;
    const uploaderBucket = Object.create(uploaderScope.bucket) as typeof uploaderScope.bucket;
    uploaderBucket.putEncrypted = async (...args) => {
      const result = await uploaderScope.bucket.putEncrypted(...args);
      deleted = new DatasetService(adminScope, services).delete(datasetId);
      await deleted;
      return result;
    };
    Object.defineProperty(uploader, 'bucket', { value: uploaderBucket });
    let received: Promise<unknown>;
    try {
      received = new DatasetUploadService(uploader, services).receive(upload.id, Readable.from([csv]), csv.length);
      await received.catch(() => undefined);
    } finally {
      await services.parsing.close();
      await services.uploadSpool.close();
    }
    await expect(deleted).resolves.toMatchObject({ id: datasetId });
    await expect(received).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Dataset' } });
    expect((await tenantState(stack, tenant)).objects).toEqual([]);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
  });

  it("a delete that waits for an upload's last transaction gives back the bytes that transaction counted", async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, scientist, 'deleted-while-recorded');
    const upload = await reserveUpload(stack, scientist, datasetId, csv.length);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['admin']));
    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool(), profileResults: profileResultsClearing(stack.platform.ports.jobs, undefined) };
    // The upload saw its dataset ACTIVE and records its object (row UPLOADED, bytes charged) in a
    // transaction still open when the delete comes: the delete hides the dataset, removes its
    // objects and then waits on the upload's row. Once the upload commits, the delete must give back
    // what that commit charged; before, it counted the bytes from a snapshot taken before the
    // commit, and the tenant kept paying for bytes nobody held, for good.
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    // The upload's last transaction, held open just after it charged the bytes (row and quota locked).
    const commitWithin = Reservation.prototype.commitWithin;
    const spy = jest.spyOn(Reservation.prototype, 'commitWithin').mockImplementationOnce(async function (this: Reservation, ...args: Parameters<Reservation['commitWithin']>) {
      await commitWithin.apply(this, args);
      holding();
      await gate;
    });
    const deleter = Object.create(adminScope) as typeof adminScope;
    const deleterBucket = Object.create(adminScope.bucket) as typeof adminScope.bucket;
    let removed!: () => void;
    const afterRemoval = new Promise<void>((resolve) => (removed = resolve));
    deleterBucket.removePrefix = async (prefix) => {
      const count = await adminScope.bucket.removePrefix(prefix);
      removed();
      return count;
    };
    Object.defineProperty(deleter, 'bucket', { value: deleterBucket });
    let received: Promise<unknown>;
    let deleted: Promise<{ id: string }>;
    try {
      received = new DatasetUploadService(uploaderScope, services).receive(upload.id, Readable.from([csv]), csv.length);
      await held;
      deleted = new DatasetService(deleter, services).delete(datasetId);
      await afterRemoval;
      // Time for the delete's last transaction to read the versions and wait on the upload's row.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      letGo();
      await Promise.allSettled([received, deleted]);
    } finally {
      letGo();
      spy.mockRestore();
      await services.parsing.close();
      await services.uploadSpool.close();
    }
    await expect(deleted).resolves.toMatchObject({ id: datasetId });
    expect((await tenantState(stack, tenant)).objects).toEqual([]);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
    expect((await quotasOf(stack, scientist))['datasets']).toMatchObject({ used: 0 });
  });

  it('completing an upload while its dataset is deleted is NOT_FOUND for the one and done for the other, not a deadlock', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, scientist, 'completed-while-deleted');
    const upload = await reserveUpload(stack, scientist, datasetId, csv.length);
    expect((await putBytes(upload.uploadUrl, scientist, csv)).status).toBe(200);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['admin']));
    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool(), profileResults: profileResultsClearing(stack.platform.ports.jobs, undefined) };
    // The delete's last transaction holds the dataset's row when the complete comes; the complete
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
                if (sql === 'SELECT id FROM datasets WHERE id = ? FOR UPDATE') {
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
      deleted = new DatasetService(deleter, services).delete(datasetId);
      await atPause;
      completed = new DatasetUploadService(uploaderScope, services).complete(upload.id);
      // Time for the complete to reach the dataset's row.
      await new Promise((resolve) => setTimeout(resolve, 500));
      letGo();
      await Promise.allSettled([deleted, completed]);
    } finally {
      letGo();
      await services.parsing.close();
      await services.uploadSpool.close();
    }
    await expect(deleted).resolves.toMatchObject({ id: datasetId });
    await expect(completed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await tenantState(stack, tenant)).objects).toEqual([]);
    expect(await quotasOf(stack, scientist)).toMatchObject({ storageBytes: { used: 0, reserved: 0 }, datasetVersions: { used: 0 }, datasets: { used: 0 } });
  });

  it('an upload whose dataset is deleted outright between its claim and its first write is NOT_FOUND, not a 500', async () => {
    const tenant = await stack.createTenant();
    const scientist = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, scientist, 'deleted-before-key');
    const upload = await reserveUpload(stack, scientist, datasetId, csv.length);
    const principal = (roles: Role[]) => ({ kind: 'user' as const, subject: 't', tenantId: tenant.id, roles, clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const uploaderScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['data_scientist']));
    const adminScope = await stack.platform.runtimes.datasets.scopes.forPrincipal(principal(['admin']));
    const services = { ...defaultDatasetsConfig, parsing: new CsvParsePool({ workers: 1 }), uploadSpool: new UploadSpool(), profileResults: profileResultsClearing(stack.platform.ports.jobs, undefined) };
    // The delete runs whole just before the upload asks for the dataset's key (its first object:
    // the key is made now, and the dataset row it would belong to is gone).
    const forWriting = FamilyKeys.prototype.forWriting;
    const spy = jest.spyOn(FamilyKeys.prototype, 'forWriting').mockImplementationOnce(async function (this: FamilyKeys, familyId: string) {
      await new DatasetService(adminScope, services).delete(datasetId);
      return forWriting.call(this, familyId);
    });
    let received: Promise<unknown>;
    try {
      received = new DatasetUploadService(uploaderScope, services).receive(upload.id, Readable.from([csv]), csv.length);
      await received.catch(() => undefined);
    } finally {
      spy.mockRestore();
      await services.parsing.close();
      await services.uploadSpool.close();
    }
    await expect(received).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { kind: 'Dataset' } });
    expect((await tenantState(stack, tenant)).objects).toEqual([]);
    expect((await quotasOf(stack, scientist))['storageBytes']).toMatchObject({ used: 0, reserved: 0 });
  });

  it('concurrent upload reservations never jointly pass the storage quota', async () => {
    const tenant = await stack.createTenant({ limits: { maxStorageBytes: 3 * storedSizeOf(1000) + storedSizeOf(1000) - 1 } });
    const token = await tenant.token('data_scientist');
    const datasetId = await newDataset(stack, token, 'many');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stack.query(token, createUpload, { input: { datasetId, filename: `part-${i}.csv`, byteSize: 1000 } })),
    );
    const granted = responses.filter((r) => !r.errors);
    expect(granted).toHaveLength(3);
    for (const refused of responses.filter((r) => r.errors)) expect(quotaError(refused)).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'storageBytes', used: 0 });
    expect((await tenantState(stack, tenant)).rows['dataset_uploads']).toBe(3);
    expect((await quotasOf(stack, token))['storageBytes']).toMatchObject({ used: 0, reserved: 3 * storedSizeOf(1000) });
  });

  it("tenant B filling its quotas never affects tenant A's", async () => {
    const [a, b] = await Promise.all([stack.createTenant({ limits: { maxDatasets: 1 } }), stack.createTenant({ limits: { maxDatasets: 1 } })]);
    const [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    await newDataset(stack, tokenB, 'b-only');
    expect(errorCodes(await stack.query(tokenB, createDataset, { input: { name: 'b-more' } }))).toEqual(['QUOTA_EXCEEDED']);
    expect((await quotasOf(stack, tokenA))['datasets']).toMatchObject({ used: 0, limit: 1 });
    await newDataset(stack, tokenA, 'a-only');
    expect((await quotasOf(stack, tokenB))['datasets']).toMatchObject({ used: 1, limit: 1 });
  });
});

