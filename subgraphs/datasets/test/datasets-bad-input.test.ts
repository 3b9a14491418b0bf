import { errorCodes, expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { gzipSync } from 'node:zlib';
import { completeUpload, createDataset, createUpload, newDataset, putBytes, reserveUpload, uploadVersion } from './dataset-flow';

/** Every bad input gets a typed error and leaves the tenant's rows and objects exactly as before. */
describe('datasets: bad input changes nothing', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;
  let datasetId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant({ limits: { maxUploadBytes: 5 * 1024 * 1024 } });
    token = await tenant.token('data_scientist');
    datasetId = await newDataset(stack, token, 'target');
    await uploadVersion(stack, token, datasetId, Buffer.from('a,b\n1,2\n'));
  });
  afterAll(() => stack?.stop());

  const badFiles: Array<[string, Buffer, string, RegExp]> = [
    ['an empty file', Buffer.alloc(0), 'BAD_USER_INPUT', /./],
    ['only a BOM and whitespace', Buffer.from('\uFEFF  \n', 'utf8'), 'BAD_USER_INPUT', /empty/i],
    ['a header with no rows', Buffer.from('a,b\n'), 'BAD_USER_INPUT', /no data rows/i],
    ['non-UTF-8 bytes', Buffer.concat([Buffer.from('name\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]), 'BAD_USER_INPUT', /UTF-8/i],
    ['ragged rows', Buffer.from('a,b\n1,2\n3\n'), 'BAD_USER_INPUT', /line 3/i],
    ['a broken quote', Buffer.from('a,b\n"1,2\n3,4\n'), 'BAD_USER_INPUT', /./],
    ['duplicate column names', Buffer.from('a,A,b\n1,2,3\n'), 'BAD_USER_INPUT', /duplicate/i],
    ['an empty column name', Buffer.from('a,,b\n1,2,3\n'), 'BAD_USER_INPUT', /./],
    ['10 000 columns', Buffer.from(`${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 10_000 }, () => '1').join(',')}\n`), 'BAD_USER_INPUT', /column/i],
    ['binary garbage', Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x81]), 'BAD_USER_INPUT', /./],
  ];

  it.each(badFiles)('rejects %s at upload time with %s', async (_label, body, code, message) => {
    const upload = await reserveUpload(stack, token, datasetId, Math.max(body.length, 1));
    const before = await tenantState(stack, tenant);
    const put = await putBytes(upload.uploadUrl, token, body.length === 0 ? Buffer.alloc(0) : body);
    expect(put.body.errors?.[0]?.extensions.code).toBe(body.length === 0 ? 'BAD_USER_INPUT' : code);
    expect(put.body.errors?.[0]?.message).toMatch(body.length === 0 ? /./ : message);
    expect(put.status).toBe(400);
    const after = await tenantState(stack, tenant);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows).toEqual(before.rows);
    // The failed upload cannot be completed or replayed into a version.
    expect(errorCodes(await stack.query(token, completeUpload, { id: upload.id }))).toEqual(['CONFLICT']);
    expect((await putBytes(upload.uploadUrl, token, Buffer.from('a\n1\n'))).body.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect((await tenantState(stack, tenant)).objects).toEqual(before.objects);
  });

  it('rejects a declared size over the tenant limit (1 GB) before any byte is sent', async () => {
    const before = await tenantState(stack, tenant);
    const res = await stack.query(token, createUpload, { input: { datasetId, filename: 'big.csv', byteSize: 1024 * 1024 * 1024 } });
    expect(errorCodes(res)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it('rejects more or fewer bytes than declared, and a wrong Content-Length', async () => {
    const upload = await reserveUpload(stack, token, datasetId, 10);
    const before = await tenantState(stack, tenant);
    const tooMany = await putBytes(upload.uploadUrl, token, Buffer.from('a,b\n1,2\n3,4\n5,6\n'));
    expect(tooMany.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const upload2 = await reserveUpload(stack, token, datasetId, 100);
    const tooFew = await putBytes(upload2.uploadUrl, token, Buffer.from('a,b\n1,2\n'));
    expect(tooFew.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const after = await tenantState(stack, tenant);
    expect(after.objects).toEqual(before.objects);
    expect(after.rows['dataset_versions']).toBe(before.rows['dataset_versions']);
  });

  it('a body in a content coding (or claiming one) is refused at the gateway, stores nothing and leaves the upload usable', async () => {
    const csv = Buffer.from('a,b\n1,2\n');
    const upload = await reserveUpload(stack, token, datasetId, csv.length);
    const before = await tenantState(stack, tenant);
    for (const [encoding, body] of [['gzip', gzipSync(csv)], ['br', csv], ['gzip, identity', gzipSync(csv)]] as const) {
      const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', 'content-encoding': encoding, authorization: `Bearer ${token}` }, body });
      const answer = (await response.json()) as { errors?: Array<{ extensions: { code: string; header?: string } }> };
      expect({ encoding, status: response.status, errors: answer.errors?.map((e) => [e.extensions.code, e.extensions.header]) }).toEqual({ encoding, status: 400, errors: [['BAD_REQUEST', 'Content-Encoding']] });
    }
    expect(await tenantState(stack, tenant)).toEqual(before);
    // Refused before the subgraph saw it: the same upload still takes its bytes, and identity is no coding.
    const accepted = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', 'content-encoding': 'identity', authorization: `Bearer ${token}` }, body: csv });
    expect(accepted.status).toBe(200);
    expectNoErrors(await stack.query(token, completeUpload, { id: upload.id }));
  });

  it('a replayed upload URL is a CONFLICT and adds nothing', async () => {
    const csv = Buffer.from('x\n1\n');
    const upload = await reserveUpload(stack, token, datasetId, csv.length);
    expect((await putBytes(upload.uploadUrl, token, csv)).status).toBe(200);
    const before = await tenantState(stack, tenant);
    const replay = await putBytes(upload.uploadUrl, token, csv);
    expect(replay.status).toBe(409);
    expect(replay.body.errors?.[0]?.extensions.code).toBe('CONFLICT');
    expectNoErrors(await stack.query(token, completeUpload, { id: upload.id }));
    expect(errorCodes(await stack.query(token, completeUpload, { id: upload.id }))).toEqual(['CONFLICT']);
    const after = await tenantState(stack, tenant);
    expect(after.rows['dataset_versions']).toBe(before.rows['dataset_versions']! + 1);
    expect(after.objects).toEqual(before.objects);
  });

  it('completing before the bytes arrived is refused and creates nothing', async () => {
    const upload = await reserveUpload(stack, token, datasetId, 4);
    const before = await tenantState(stack, tenant);
    expect(errorCodes(await stack.query(token, completeUpload, { id: upload.id }))).toEqual(['BAD_USER_INPUT']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it('duplicate dataset names are a CONFLICT (case-insensitive)', async () => {
    await newDataset(stack, token, 'Sales 2024');
    const before = await tenantState(stack, tenant);
    expect(errorCodes(await stack.query(token, createDataset, { input: { name: 'sales 2024' } }))).toEqual(['CONFLICT']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it('a description longer than 1000 characters, with a control character or a lone surrogate is BAD_USER_INPUT and creates nothing; emoji and right-to-left text are kept as sent', async () => {
    const before = await tenantState(stack, tenant);
    for (const description of ['d'.repeat(1_001), 'nul\u0000inside', 'bell\u0007', 'lone \udc00 low', 'lone \ud83d high']) {
      const response = await stack.query(token, createDataset, { input: { name: "described-refused", description } });
      expect({ description: description.slice(0, 20), codes: errorCodes(response), field: response.errors?.[0]?.extensions?.['field'] }).toEqual({ description: description.slice(0, 20), codes: ['BAD_USER_INPUT'], field: 'description' });
    }
    expect(await tenantState(stack, tenant)).toEqual(before);
    const kept = 'Ventes 😀 \u05e9\u05dc\u05d5\u05dd';
    const created = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name: 'described-ok', description: kept } })).createDataset;
    const read = expectNoErrors(await stack.query<{ dataset: { description: string } }>(token, 'query($id: ID!) { dataset(id: $id) { description } }', { id: created.id }));
    expect(read.dataset.description).toBe(kept);
  });

  const hostileStrings = [
    "x'; DROP TABLE datasets; --",
    '" OR 1=1 --',
    '../../etc/passwd',
    '..',
    '/absolute/path',
    'name\u0000with-nul',
    'a'.repeat(129),
    '',
    '   ',
    '<script>alert(1)</script>',
    '%2e%2e%2f',
    'tenant_other.datasets',
  ];

  // `tenant_other.datasets` is a legal name (names are data, bound as parameters); it is only an illegal id.
  it.each(hostileStrings.filter((s) => s !== 'tenant_other.datasets'))('refuses the name %j with BAD_USER_INPUT', async (name) => {
    const before = await tenantState(stack, tenant);
    expect(errorCodes(await stack.query(token, createDataset, { input: { name } }))).toEqual(['BAD_USER_INPUT']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it.each(hostileStrings.filter(Boolean))('refuses the id %j everywhere with BAD_USER_INPUT', async (id) => {
    const before = await tenantState(stack, tenant);
    const admin = await tenant.token('admin');
    expect(errorCodes(await stack.query(token, `query($id: ID!) { dataset(id: $id) { id } }`, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, `query($id: ID!) { datasetVersion(id: $id) { id } }`, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(admin, `mutation($id: ID!) { deleteDataset(id: $id) { id } }`, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, completeUpload, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, createUpload, { input: { datasetId: id, filename: 'a.csv', byteSize: 4 } }))).toEqual(['BAD_USER_INPUT']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it.each(['../evil.csv', 'dir/file.csv', '', 'a'.repeat(300)])('refuses the upload filename %j', async (filename) => {
    const before = await tenantState(stack, tenant);
    expect(errorCodes(await stack.query(token, createUpload, { input: { datasetId, filename, byteSize: 4 } }))).toEqual(['BAD_USER_INPUT']);
    expect(await tenantState(stack, tenant)).toEqual(before);
  });

  it('path-ish and SQL-ish upload URLs are refused by the gateway before reaching a subgraph', async () => {
    for (const suffix of ['datasets/..%2F..%2Fetc', "datasets/1' OR '1'='1", 'nosuchservice/00000000-0000-4000-8000-000000000000']) {
      const res = await fetch(`${stack.gatewayUrl}/uploads/${suffix}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'a\n1\n' });
      expect([400, 404]).toContain(res.status);
      const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(body.errors[0]?.extensions.code);
    }
  });

  it('unknown fields and wrong variable types are typed validation errors', async () => {
    expect(errorCodes(await stack.query(token, `{ datasets { edges { node { id secretColumn } } } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(errorCodes(await stack.query(token, `query($first: Int) { datasets(first: $first) { edges { cursor } } }`, { first: 'ten' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(token, createUpload, { input: { datasetId, filename: 'a.csv', byteSize: 'lots' } }))).toEqual(['BAD_USER_INPUT']);
  });
});
