import { decryptBuffer, HEADER_SIZE, CHUNK_SIZE } from '@tessera/crypto';
import { errorCodes, expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, newDataset, putBytes, reserveUpload, uploadVersion } from './dataset-flow';
import { datasetKeys } from '../src/data/dataset-keys';

const irisCsv = Buffer.from(
  'sepal_length,sepal_width,species,measured_at,is_train\n5.1,3.5,setosa,2024-01-02,true\n4.9,,setosa,2024-01-03T10:00:00Z,false\n6.3,3.3,virginica,2024-01-04,TRUE\n',
);

const profileBudget = 256 * 1024;

describe('datasets: create, upload, infer, version, list, preview, delete', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let admin: string;
  let scientist: string;
  let viewer: string;

  beforeAll(async () => {
    // The column profiles one request may open: lowered from 8 MiB so that a few wide versions cross
    // it; every other test here reads a few narrow ones.
    stack = await startTestStack({ datasetProfileBytesPerRequest: profileBudget });
    acme = await stack.createTenant();
    [admin, scientist, viewer] = await Promise.all([acme.token('admin'), acme.token('data_scientist'), acme.token('viewer')]);
  });
  afterAll(() => stack?.stop());

  it('uploads a CSV, infers its schema and keeps it encrypted at rest', async () => {
    const datasetId = await newDataset(stack, scientist, 'iris');
    const version = await uploadVersion(stack, scientist, datasetId, irisCsv);
    expect(version.number).toBe(1);
    expect(version.rowCount).toBe(3);
    expect(version.columns).toEqual([
      { name: 'sepal_length', type: 'FLOAT', nullable: false, nullCount: 0 },
      { name: 'sepal_width', type: 'FLOAT', nullable: true, nullCount: 1 },
      { name: 'species', type: 'STRING', nullable: false, nullCount: 0 },
      { name: 'measured_at', type: 'DATETIME', nullable: false, nullCount: 0 },
      { name: 'is_train', type: 'BOOLEAN', nullable: false, nullCount: 0 },
    ]);

    const state = await tenantState(stack, acme);
    expect(state.objects).toEqual([`datasets/${datasetId}/${(await uploadIdsOf(datasetId))[0]}.csv`]);
    const stored = await readObject(acme.bucket, state.objects[0]!);
    expect(stored.includes(Buffer.from('setosa'))).toBe(false); // ciphertext, not the CSV
    // Under the dataset's own key (header version 0), not directly under the tenant's.
    const key = await datasetKeyOf(acme, datasetId);
    const plain = await decryptBuffer(stored, { resolveKey: async (version) => (version === 0 ? key : Buffer.alloc(32)), associatedData: `${acme.id}/${state.objects[0]}` });
    expect(plain.equals(irisCsv)).toBe(true);
    const tenantKey = await stack.platform.runtime.keyring.keyFor(acme.id, 1);
    await expect(decryptBuffer(stored, { resolveKey: async () => tenantKey, associatedData: `${acme.id}/${state.objects[0]}` })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
    // Bound to its tenant and key: the same bytes do not decrypt as another tenant's object.
    await expect(decryptBuffer(stored, { resolveKey: () => key, associatedData: `other/${state.objects[0]}` })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
  });

  it('re-uploading creates a new immutable version; old versions stay readable', async () => {
    const datasetId = await newDataset(stack, admin, 'growing');
    const v1 = await uploadVersion(stack, admin, datasetId, Buffer.from('a,b\n1,2\n'));
    const v2 = await uploadVersion(stack, admin, datasetId, Buffer.from('a,b,c\n1,2,x\n3,4,y\n'));
    expect([v1.number, v2.number]).toEqual([1, 2]);
    // Completing an upload again (a client whose first answer was lost) is a CONFLICT that names the
    // version the first completion made, and adds nothing.
    const lastUpload = ((await stack.platform.runtime.db.query(`SELECT id FROM \`${acme.schema}\`.dataset_uploads WHERE version_id = ?`, [v2.id])) as Array<{ id: string }>)[0]!.id;
    const before = await tenantState(stack, acme);
    const replay = await stack.query(admin, completeUpload, { id: lastUpload });
    expect(errorCodes(replay)).toEqual(['CONFLICT']);
    expect(replay.errors?.[0]?.extensions).toMatchObject({ reason: 'ALREADY_COMPLETED', versionId: v2.id, uploadId: lastUpload });
    expect(await tenantState(stack, acme)).toEqual(before);
    const res = expectNoErrors(
      await stack.query<{ dataset: { versionCount: number; latestVersion: { number: number }; versions: { edges: Array<{ node: { number: number; rowCount: number; preview: { columns: string[]; rows: string[][] } } }> } } }>(
        viewer,
        `query($id: ID!) { dataset(id: $id) { versionCount latestVersion { number } versions { edges { node { number rowCount preview(limit: 5) { columns rows } } } } } }`,
        { id: datasetId },
      ),
    );
    expect(res.dataset.versionCount).toBe(2);
    expect(res.dataset.latestVersion.number).toBe(2);
    expect(res.dataset.versions.edges.map((e) => e.node)).toEqual([
      { number: 1, rowCount: 1, preview: { columns: ['a', 'b'], rows: [['1', '2']] } },
      { number: 2, rowCount: 2, preview: { columns: ['a', 'b', 'c'], rows: [['1', '2', 'x'], ['3', '4', 'y']] } },
    ]);
  });

  it('preview reads a version exactly as the upload parsed it: blank lines, mixed line breaks, multi-line values, spaced header names', async () => {
    const datasetId = await newDataset(stack, scientist, 'preview-as-parsed');
    const previewOf = async (versionId: string, limit: number) =>
      expectNoErrors(
        await stack.query<{ datasetVersion: { rowCount: number; columns: Array<{ name: string }>; preview: { columns: string[]; rows: string[][] } } }>(
          viewer,
          `query($id: ID!, $limit: Int) { datasetVersion(id: $id) { rowCount columns { name } preview(limit: $limit) { columns rows } } }`,
          { id: versionId, limit },
        ),
      ).datasetVersion;
    // Each file was accepted by the upload with these rows; the preview shows the same rows and names.
    const cases: Array<{ csv: string; limit: number; columns: string[]; rows: string[][] }> = [
      // Blank lines before the header and between rows are skipped, as the upload skips them.
      { csv: '\n\na,b\n\n1,2\n\n\n3,4\n\n', limit: 10, columns: ['a', 'b'], rows: [['1', '2'], ['3', '4']] },
      // CRLF, then LF, then a lone CR: each ends a record.
      { csv: 'a,b\r\n1,2\n3,4\r5,6', limit: 10, columns: ['a', 'b'], rows: [['1', '2'], ['3', '4'], ['5', '6']] },
      // A value spanning three lines is one row: limit counts rows, not lines.
      { csv: 'a,b\n"x\ny\nz",1\n2,"say ""hi"", ok"\n4,5\n', limit: 2, columns: ['a', 'b'], rows: [['x\ny\nz', '1'], ['2', 'say "hi", ok']] },
      // Header names are trimmed (the version's column names); values are kept as written.
      { csv: '\uFEFF a , b \n 1 ,2\n', limit: 10, columns: ['a', 'b'], rows: [[' 1 ', '2']] },
    ];
    for (const { csv, limit, columns, rows } of cases) {
      const version = await uploadVersion(stack, scientist, datasetId, Buffer.from(csv));
      const read = await previewOf(version.id, limit);
      expect(read.columns.map((c) => c.name)).toEqual(columns);
      expect(read.preview).toEqual({ columns, rows });
    }
  });

  it('a preview holds at most 1 MiB of values: rows past it are left out, however large the rows', async () => {
    const datasetId = await newDataset(stack, scientist, 'preview-bytes');
    const previewOf = async (versionId: string, limit: number) =>
      expectNoErrors(
        await stack.query<{ datasetVersion: { rowCount: number; preview: { columns: string[]; rows: string[][] } } }>(
          viewer,
          `query($id: ID!, $limit: Int) { datasetVersion(id: $id) { rowCount preview(limit: $limit) { columns rows } } }`,
          { id: versionId, limit },
        ),
      ).datasetVersion;
    const big = 'x'.repeat(400 * 1024);
    // Six rows of 400 KiB: two fit in 1 MiB, the third would pass it.
    const rowsOf400k = await uploadVersion(stack, scientist, datasetId, Buffer.from(`v,n\n${Array.from({ length: 6 }, (_, i) => `${big},${i}\n`).join('')}`));
    const read = await previewOf(rowsOf400k.id, 100);
    expect(read.rowCount).toBe(6);
    expect(read.preview.columns).toEqual(['v', 'n']);
    const shape = (rows: string[][]) => rows.map((row) => row.map((value) => (value === big ? 'big' : value)));
    expect(shape(read.preview.rows)).toEqual([['big', '0'], ['big', '1']]);
    // One row of three 400 KiB values (1.2 MiB) already passes it: no row, not the whole row.
    const wide = await uploadVersion(stack, scientist, datasetId, Buffer.from(`a,b,c\n${big},${big},${big}\n1,2,3\n`));
    const wideRead = await previewOf(wide.id, 10);
    expect(wideRead.preview.columns).toEqual(['a', 'b', 'c']);
    expect(shape(wideRead.preview.rows)).toEqual([]);
    // Small rows are unaffected: the limit counts rows as before.
    const small = await uploadVersion(stack, scientist, datasetId, Buffer.from('a\n1\n2\n3\n'));
    expect((await previewOf(small.id, 2)).preview.rows).toEqual([['1'], ['2']]);
    // Counted as the answer carries them: a control character is six bytes there (`\u0001`), a
    // quote or backslash two. Rows of 100 KiB of U+0001 (600 KiB in the answer): one fits. Counted
    // as UTF-8, ten did, and eight aliased previews of such a version answered 50 MB.
    const controls = '\u0001'.repeat(100 * 1024);
    const escaped = await uploadVersion(stack, scientist, datasetId, Buffer.from(`c\n${`${controls}\n`.repeat(12)}`));
    const escapedRows = (await previewOf(escaped.id, 100)).preview.rows;
    expect(escapedRows.map((row) => row.map((value) => (value === controls ? 'controls' : value.length)))).toEqual([['controls']]);
    expect(Buffer.byteLength(JSON.stringify(escapedRows))).toBeLessThan(1024 * 1024);
    const quotes = '"\\'.repeat(150 * 1024); // 300 KiB, 600 KiB in the answer
    const quoted = await uploadVersion(stack, scientist, datasetId, Buffer.from(`q\n${`"${quotes.replaceAll('"', '""')}"\n`.repeat(4)}`));
    expect((await previewOf(quoted.id, 100)).preview.rows.map((row) => row.map((value) => (value === quotes ? 'quotes' : value.length)))).toEqual([['quotes']]);
  });

  it('after a data-key rotation new objects use the new key and old versions still decrypt', async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    const datasetId = await newDataset(stack, token, 'rotating');
    const v1 = await uploadVersion(stack, token, datasetId, Buffer.from('k\nold\n'));
    // The tenants service owns the keys and rotates; the datasets service sees the new current key
    // when its cached one expires (a minute), which the test does not wait for.
    expect(await stack.platform.runtimes.tenants.keyring.rotate(tenant.id)).toBe(2);
    stack.platform.runtimes.datasets.keyring.forget(tenant.id);
    const v2 = await uploadVersion(stack, token, datasetId, Buffer.from('k\nnew\n'));
    const keyVersions = (await stack.platform.runtime.db.query(`SELECT number, key_version FROM \`${tenant.schema}\`.dataset_versions ORDER BY number`)) as Array<{ number: number; key_version: number }>;
    // Both under the dataset's own key (version 0), which tenant key v1 wraps; a dataset created after the rotation gets a key wrapped by v2.
    expect(keyVersions.map((row) => [row.number, row.key_version])).toEqual([[1, 0], [2, 0]]);
    const other = await newDataset(stack, token, 'after-rotation');
    await uploadVersion(stack, token, other, Buffer.from('k\nlater\n'));
    const wraps = (await stack.platform.runtime.db.query(`SELECT dataset_id, tenant_key_version FROM \`${tenant.schema}\`.dataset_keys`)) as Array<{ dataset_id: string; tenant_key_version: number }>;
    expect(Object.fromEntries(wraps.map((row) => [row.dataset_id, Number(row.tenant_key_version)]))).toEqual({ [datasetId]: 1, [other]: 2 });
    for (const [id, value] of [[v1.id, 'old'], [v2.id, 'new']] as const) {
      const res = expectNoErrors(await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id }));
      expect(res.datasetVersion.preview.rows).toEqual([[value]]);
    }
    expect((await stack.platform.runtime.keyring.versions(tenant.id)).map(({ version, status }) => ({ version, status }))).toEqual([{ version: 1, status: 'RETIRED' }, { version: 2, status: 'ACTIVE' }]);
  });

  it('one request opens at most its budget of stored column profiles: past it the field is QUERY_TOO_COMPLEX naming the limit, a smaller page answers, another request or tenant is not charged', async () => {
    // 8 versions of 300 columns with 100-character names: about 60 KB of stored profile each.
    const header = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}_${'x'.repeat(95)}`).join(',');
    const csv = Buffer.from(`${header}\n${Array.from({ length: 300 }, (_, i) => i).join(',')}\n`);
    const datasetId = await newDataset(stack, scientist, 'wide-profiles');
    for (let i = 0; i < 8; i++) await uploadVersion(stack, scientist, datasetId, csv);
    const wide = `query($id: ID!, $first: Int) { dataset(id: $id) { versions(first: $first) { edges { node { number columns { name } } } } } }`;
    const all = await stack.query<{ dataset: { versions: { edges: Array<{ node: { number: number; columns: Array<{ name: string }> } | null }> } } | null }>(viewer, wide, { id: datasetId, first: 8 });
    const refusals = (all.errors ?? []).map((error) => ({ code: error.extensions?.['code'], limit: error.extensions?.['limit'], limitValue: error.extensions?.['limitValue'] }));
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals.map((refusal) => JSON.stringify(refusal)))).toEqual(new Set([JSON.stringify({ code: 'QUERY_TOO_COMPLEX', limit: 'maxProfileBytesPerRequest', limitValue: profileBudget })]));
    expect(all.errors!.every((error) => (error.extensions?.['measured'] as number) > profileBudget)).toBe(true);
    // A page that fits answers whole, and the next request starts with a budget of its own.
    for (let round = 0; round < 2; round++) {
      const page = expectNoErrors(await stack.query<{ dataset: { versions: { edges: Array<{ node: { columns: Array<{ name: string }> } }> } } }>(viewer, wide, { id: datasetId, first: 2 }));
      expect(page.dataset.versions.edges.map((edge) => edge.node.columns.length)).toEqual([300, 300]);
    }
    // Another tenant's request, at the same moment as one that runs out, is not charged for it.
    const other = await stack.createTenant();
    const otherToken = await other.token('data_scientist');
    const otherDataset = await newDataset(stack, otherToken, 'wide-elsewhere');
    await uploadVersion(stack, otherToken, otherDataset, csv);
    const [, elsewhere] = await Promise.all([
      stack.query(viewer, wide, { id: datasetId, first: 8 }),
      stack.query<{ dataset: { versions: { edges: Array<{ node: { columns: Array<{ name: string }> } }> } } }>(otherToken, wide, { id: otherDataset, first: 8 }),
    ]);
    expect(expectNoErrors(elsewhere).dataset.versions.edges.map((edge) => edge.node.columns.length)).toEqual([300]);
  });

  it('lists with cursor pagination and rejects invalid cursors and page sizes', async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newDataset(stack, token, `page-${i}`));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { datasets: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = expectNoErrors(
        await stack.query(token, `query($after: String) { datasets(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after }),
      );
      seen.push(...page.datasets.edges.map((e) => e.node.id));
      if (!page.datasets.pageInfo.hasNextPage) break;
      after = page.datasets.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    expect(errorCodes(await stack.query(token, `{ datasets(after: "not-a-cursor") { edges { cursor } } }`))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, `{ datasets(first: 1000) { edges { cursor } } }`))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, `{ datasets(first: 0) { edges { cursor } } }`))).toEqual(['BAD_USER_INPUT']);
  });

  it('delete removes the dataset, its versions, its uploads and its objects (admin only)', async () => {
    const datasetId = await newDataset(stack, admin, 'to-delete');
    await uploadVersion(stack, admin, datasetId, Buffer.from('x\n1\n'));
    await uploadVersion(stack, admin, datasetId, Buffer.from('x\n2\n'));
    const before = await tenantState(stack, acme);
    expect(before.objects.filter((key) => key.startsWith(`datasets/${datasetId}/`))).toHaveLength(2);

    const denied = await stack.query(scientist, `mutation($id: ID!) { deleteDataset(id: $id) { id } }`, { id: datasetId });
    expect(errorCodes(denied)).toEqual(['FORBIDDEN']);
    expect(await tenantState(stack, acme)).toEqual(before);

    const res = expectNoErrors(
      await stack.query<{ deleteDataset: { id: string; deletedVersions: number; deletedObjects: number } }>(
        admin,
        `mutation($id: ID!) { deleteDataset(id: $id) { id deletedVersions deletedObjects } }`,
        { id: datasetId },
      ),
    );
    expect(res.deleteDataset).toEqual({ id: datasetId, deletedVersions: 2, deletedObjects: 2 });
    const after = await tenantState(stack, acme);
    expect(after.objects.filter((key) => key.includes(datasetId))).toEqual([]);
    expect(after.rows['dataset_versions']).toBe(before.rows['dataset_versions']! - 2);
    expect(errorCodes(await stack.query(admin, `query($id: ID!) { dataset(id: $id) { id } }`, { id: datasetId }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(admin, `mutation($id: ID!) { deleteDataset(id: $id) { id } }`, { id: datasetId }))).toEqual(['NOT_FOUND']);
  });

  it('records every change and every content read in the tenant audit trail', async () => {
    const datasetId = await newDataset(stack, admin, 'audited');
    const version = await uploadVersion(stack, admin, datasetId, Buffer.from('q\n1\n'));
    expectNoErrors(await stack.query(viewer, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id: version.id }));
    const events = expectNoErrors(
      await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; targetId: string | null; actorSubject: string } }> } }>(
        admin,
        `{ auditEvents(first: 100) { edges { node { action targetId actorSubject } } } }`,
      ),
    ).auditEvents.edges.map((e) => e.node);
    const actions = events.filter((e) => e.targetId === datasetId || e.targetId === version.id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['dataset.create', 'dataset.version.create', 'dataset.read']));
  });

  it('a viewer can read but not create, upload or complete', async () => {
    const datasetId = await newDataset(stack, admin, 'viewer-check');
    const upload = await reserveUpload(stack, admin, datasetId, 4);
    const before = await tenantState(stack, acme);
    expect(errorCodes(await stack.query(viewer, `mutation { createDataset(input: { name: "nope" }) { id } }`))).toEqual(['FORBIDDEN']);
    const put = await putBytes(upload.uploadUrl, viewer, Buffer.from('a\n1\n'));
    expect(put.status).toBe(403);
    expect(put.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(errorCodes(await stack.query(viewer, completeUpload, { id: upload.id }))).toEqual(['FORBIDDEN']);
    expect(await tenantState(stack, acme)).toEqual(before);
  });

  it('a stored object altered, cut short or without its key: preview fails with a typed error and the service keeps answering', async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    // ~100 KB, two sealed chunks: the damage is in the second, after rows of the first have been parsed.
    const rows = Array.from({ length: 100 }, (_, i) => `${i},${'v'.repeat(1000)}`);
    const csv = Buffer.from(`id,text\n${rows.join('\n')}\n`);
    const previewOf = (id: string) => stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 100) { rows } } }`, { id });
    const upload = async (name: string) => {
      const datasetId = await newDataset(stack, token, name);
      const version = await uploadVersion(stack, token, datasetId, csv);
      const [row] = (await stack.platform.runtime.db.query(`SELECT object_key FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`, [version.id])) as Array<{ object_key: string }>;
      return { datasetId, versionId: version.id, objectKey: row!.object_key };
    };
    const store = stack.platform.runtime.objectStore;
    const good = await upload('intact');
    const altered = await upload('altered');
    const cut = await upload('cut-short');
    const keyless = await upload('keyless');

    const stored = await readObject(tenant.bucket, altered.objectKey);
    expect(stored.length).toBeGreaterThan(HEADER_SIZE + CHUNK_SIZE);
    const flipped = Buffer.from(stored);
    flipped[HEADER_SIZE + CHUNK_SIZE + 100]! ^= 0x01;
    await store.putObject(tenant.bucket, altered.objectKey, flipped, flipped.length);
    const truncated = (await readObject(tenant.bucket, cut.objectKey)).subarray(0, stored.length - 100);
    await store.putObject(tenant.bucket, cut.objectKey, truncated, truncated.length);
    // The key lookup fails: the dataset's key row is gone.
    await stack.platform.runtime.db.query(`DELETE FROM \`${tenant.schema}\`.dataset_keys WHERE dataset_id = ?`, [keyless.datasetId]);

    for (const damaged of [altered, cut]) {
      const response = await previewOf(damaged.versionId);
      expect(errorCodes(response)).toEqual(['DATA_CORRUPTED']);
      expect(JSON.stringify(response)).not.toMatch(/stack|CryptoError|vvvv/);
    }
    const keyFailure = await previewOf(keyless.versionId);
    expect(errorCodes(keyFailure)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(keyFailure)).not.toMatch(/dataset_keys|shredded|vvvv/);
    // The service is still up, and the intact version reads whole.
    const res = expectNoErrors(await previewOf(good.versionId));
    expect(res.datasetVersion.preview.rows).toHaveLength(100);
    expect(res.datasetVersion.preview.rows[99]).toEqual(['99', 'v'.repeat(1000)]);
  });

  async function uploadIdsOf(datasetId: string): Promise<string[]> {
    const rows = (await stack.platform.runtime.db.query(`SELECT id FROM \`${acme.schema}\`.dataset_uploads WHERE dataset_id = ? ORDER BY created_at`, [datasetId])) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  async function datasetKeyOf(tenant: TestTenant, datasetId: string): Promise<Buffer> {
    const scope = await stack.platform.runtimes.datasets.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
    return datasetKeys(scope).resolver(datasetId)(0);
  }

  it('crypto-shredding: deleting a dataset destroys its key, so a copy of its encrypted bytes opens with nothing the platform still holds', async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    const datasetId = await newDataset(stack, token, 'to-shred');
    await uploadVersion(stack, token, datasetId, Buffer.from('secret\nvalue-1\n'));
    const keep = await newDataset(stack, token, 'to-keep');
    const kept = await uploadVersion(stack, token, keep, Buffer.from('k\nstays\n'));
    const [objectKey] = (await tenantState(stack, tenant)).objects.filter((key) => key.startsWith(`datasets/${datasetId}/`));
    // The "backup": the encrypted bytes as they were before the delete.
    const copy = await readObject(tenant.bucket, objectKey!);
    const associatedData = `${tenant.id}/${objectKey}`;
    const datasetKey = await datasetKeyOf(tenant, datasetId);
    expect((await decryptBuffer(copy, { resolveKey: async () => datasetKey, associatedData })).toString()).toBe('secret\nvalue-1\n');
    // A rotation before the delete: the shred must not depend on which tenant key wrapped the dataset key.
    await stack.platform.runtimes.tenants.keyring.rotate(tenant.id);

    expectNoErrors(await stack.query(token, `mutation($id: ID!) { deleteDataset(id: $id) { id } }`, { id: datasetId }));
    expect(await stack.platform.runtime.db.query(`SELECT dataset_id FROM \`${tenant.schema}\`.dataset_keys WHERE dataset_id = ?`, [datasetId])).toEqual([]);
    await expect(datasetKeyOf(tenant, datasetId)).rejects.toThrow(/shredded/);
    // Every key the platform still holds for this tenant (each data-key version, every other dataset's key) fails on the copy.
    const held: Buffer[] = [];
    for (const { version } of await stack.platform.runtime.keyring.versions(tenant.id)) held.push(await stack.platform.runtime.keyring.keyFor(tenant.id, version));
    for (const row of (await stack.platform.runtime.db.query(`SELECT dataset_id FROM \`${tenant.schema}\`.dataset_keys`)) as Array<{ dataset_id: string }>) held.push(await datasetKeyOf(tenant, row.dataset_id));
    expect(held.length).toBe(3);
    for (const key of held) await expect(decryptBuffer(copy, { resolveKey: async () => key, associatedData })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
    // The tenant's other dataset is untouched.
    const res = expectNoErrors(await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id: kept.id }));
    expect(res.datasetVersion.preview.rows).toEqual([['stays']]);
  });

  it("reads a version stored before per-dataset keys (directly under the tenant key) by its header's version", async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('admin');
    const datasetId = await newDataset(stack, token, 'legacy');
    const version = await uploadVersion(stack, token, datasetId, Buffer.from('k\nlegacy\n'));
    const scope = await stack.platform.runtimes.datasets.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
    const [row] = (await stack.platform.runtime.db.query(`SELECT object_key FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`, [version.id])) as Array<{ object_key: string }>;
    // What an older release wrote: the object under tenant key v1, the row saying so.
    const stored = await scope.bucket.reencrypt(row!.object_key, datasetKeys(scope).resolver(datasetId), await scope.currentDataKey());
    expect(stored.keyVersion).toBe(1);
    await stack.platform.runtime.db.query(`UPDATE \`${tenant.schema}\`.dataset_versions SET key_version = 1 WHERE id = ?`, [version.id]);
    expect(await scope.bucket.headerKeyVersion(row!.object_key)).toBe(1);
    const res = expectNoErrors(await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id: version.id }));
    expect(res.datasetVersion.preview.rows).toEqual([['legacy']]);
  });

  async function readObject(bucket: string, key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await stack.platform.runtime.objectStore.getObject(bucket, key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
});
