import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { profileCsv } from '@tessera/tabular';
import { errorCodes, expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { defaultDatasetsConfig } from '../src';
import { completeUpload, newDataset, putBytes, reserveUpload, uploadVersion, type PutResult } from './dataset-flow';

const listPage = 'query { datasets(first: 10) { edges { node { id name } } } }';

/** `rows` data rows of a three-column CSV (about 20 bytes each), built without holding strings per row. */
function bigCsv(rows: number): Buffer {
  const parts: string[] = ['id,value,label\n'];
  let block = '';
  for (let i = 0; i < rows; i++) {
    block += `${i},${(i * 7) % 1000}.5,l${i % 13}\n`;
    if (block.length > 1 << 20) {
      parts.push(block);
      block = '';
    }
  }
  parts.push(block);
  return Buffer.from(parts.join(''));
}

async function uploadStatus(stack: TestStack, tenant: TestTenant, uploadId: string): Promise<string | undefined> {
  const rows = (await stack.platform.runtime.db.query(`SELECT status FROM \`${tenant.schema}\`.dataset_uploads WHERE id = ?`, [uploadId])) as Array<{ status: string }>;
  return rows[0]?.status;
}

/** A PUT whose body the test sends piece by piece, so the upload stays in progress for as long as the test wants. */
function streamingPut(url: string, token: string, declared: number) {
  let push!: (chunk: Buffer | null) => void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (chunk) => (chunk ? controller.enqueue(new Uint8Array(chunk)) : controller.close());
    },
  });
  const response = fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'text/csv', 'content-length': String(declared), authorization: `Bearer ${token}` },
    body,
    duplex: 'half',
  } as RequestInit).then(async (res): Promise<PutResult> => ({ status: res.status, body: JSON.parse(await res.text()) as PutResult['body'] }));
  return { send: (chunk: Buffer) => push(chunk), end: () => push(null), response };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * CSV uploads and previews are parsed on the datasets service's pool of worker threads, not on the
 * event loop that answers every tenant: the same rules and errors as before, a per-tenant cap, and a
 * thread that dies fails only its own upload.
 */
describe('datasets: CSV parsing off the event loop', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let c: TestTenant;
  let tokenA: string;
  let tokenB: string;
  let tokenC: string;
  const spoolDir = mkdtempSync(join(tmpdir(), 'tessera-csv-spool-test-'));
  const spoolFiles = () => readdirSync(spoolDir).map((name) => readFileSync(join(spoolDir, name)));
  const spoolBytes = () => spoolFiles().reduce((sum, file) => sum + file.length, 0);

  beforeAll(async () => {
    // Two threads, one per tenant; a short queue wait keeps the refusal test quick; a small heap per
    // thread lets a file with one enormous row run a thread out of memory (32 MiB, as in the pool's
    // own test: the smaller the heap, the smaller that file; a parse holds one chunk at a time).
    stack = await startTestStack({ csvParsing: { workers: 2, perTenant: 1, queueTimeoutMs: 1_500, workerHeapMb: 32 }, uploadSpool: { dir: spoolDir } });
    // B asks without pause during A's upload: its rate limit must not be what answers it.
    [a, b, c] = await Promise.all([
      stack.createTenant({ limits: { maxUploadBytes: 400 * 1024 * 1024 } }),
      stack.createTenant({ limits: { costPerMinute: 10_000_000, costBurst: 1_000_000 } }),
      stack.createTenant(),
    ]);
    [tokenA, tokenB, tokenC] = await Promise.all([a.token('data_scientist'), b.token('data_scientist'), c.token('data_scientist')]);
    await newDataset(stack, tokenB, 'b-first');
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it("a large upload of tenant A does not hold up tenant B's queries", async () => {
    const datasetId = await newDataset(stack, tokenA, 'large');
    const csv = bigCsv(300_000);
    const timeQuery = async () => {
      const started = performance.now();
      expectNoErrors(await stack.query(tokenB, listPage));
      return performance.now() - started;
    };
    const alone: number[] = [];
    for (let i = 0; i < 40; i++) alone.push(await timeQuery());

    const upload = await reserveUpload(stack, tokenA, datasetId, csv.length);
    let uploading = true;
    const put = putBytes(upload.uploadUrl, tokenA, csv).finally(() => (uploading = false));
    const during: number[] = [];
    await waitFor(async () => (await uploadStatus(stack, a, upload.id)) === 'RECEIVING');
    while (uploading) during.push(await timeQuery());
    const result = await put;
    expect(result.status).toBe(200);
    expect(result.body.data).toMatchObject({ rowCount: 300_000, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'value', type: 'FLOAT' }, { name: 'label', type: 'STRING' }] });

    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    // Parsed on this event loop, the upload held each of B's queries behind its chunks: about 15 of
    // them answered over a whole upload of 1.5 million rows (so about 3 over these 300 000), with a
    // median many times the one alone; parsed off it, B's queries go on (some hundreds here).
    expect(during.length).toBeGreaterThanOrEqual(20);
    expect(median(during)).toBeLessThan(Math.max(4 * median(alone), median(alone) + 40));
  });

  it('a bad file gets exactly the typed error the in-process check gives, and leaves nothing behind', async () => {
    const datasetId = await newDataset(stack, tokenA, 'bad');
    const files = [
      Buffer.from('a,b\n1,2\n3\n'),
      Buffer.from('a,b\n"1,2\n3,4\n'),
      Buffer.concat([Buffer.from('name\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      Buffer.from('a,A,b\n1,2,3\n'),
      Buffer.from('a,b\n'),
      // An error far into a file of many chunks (about 0.9 MB: some fourteen 64 KiB chunks at least).
      Buffer.concat([bigCsv(50_000), Buffer.from('1,2\n')]),
    ];
    for (const file of files) {
      const expected = await profileCsv(Readable.from([file]), { ...defaultDatasetsConfig.csv, maxBytes: file.length }).then(
        () => undefined,
        (error: { message: string; extensions: Record<string, unknown> }) => ({ message: error.message, extensions: { ...error.extensions } }),
      );
      expect(expected).toBeDefined();
      const upload = await reserveUpload(stack, tokenA, datasetId, file.length);
      const before = await tenantState(stack, a);
      const put = await putBytes(upload.uploadUrl, tokenA, file);
      expect(put.body.errors).toEqual([expected]);
      expect(await uploadStatus(stack, a, upload.id)).toBe('FAILED');
      expect((await tenantState(stack, a)).objects).toEqual(before.objects);
    }
  });

  it("uploads trickling in hold no thread: with one from each of two tenants in progress, the same tenants' next uploads and a third tenant's upload and preview go through", async () => {
    const datasetA = await newDataset(stack, tokenA, 'trickle-a');
    const datasetC = await newDataset(stack, tokenC, 'trickle-c');
    const datasetB = await newDataset(stack, tokenB, 'beside');
    const versionB = await uploadVersion(stack, tokenB, datasetB, Buffer.from('p,q\n5,6\n'));
    const head = Buffer.from('x,y\n1,2\n');
    const tail = Buffer.from('3,4\n');
    const small = Buffer.from('s,t\n7,8\n');

    // A and C each send the start of an upload and then nothing (well within the gateway's idle
    // timeout): two threads, one per tenant, would be all of the pool if a body held one.
    const slow = await Promise.all(
      [
        { token: tokenA, tenant: a, dataset: datasetA },
        { token: tokenC, tenant: c, dataset: datasetC },
      ].map(async ({ token, tenant, dataset }) => {
        const upload = await reserveUpload(stack, token, dataset, head.length + tail.length);
        const put = streamingPut(upload.uploadUrl, token, head.length + tail.length);
        put.send(head);
        // Its first bytes are in the service: claimed (a body holding a thread) or on the spool.
        await waitFor(async () => (await uploadStatus(stack, tenant, upload.id)) === 'RECEIVING' || spoolBytes() >= head.length * 2);
        return { upload, put, tenant };
      }),
    );

    // B's upload and preview are parsed meanwhile, and so are A's and C's next uploads (their
    // per-tenant share is one thread, held by nothing while their first bodies wait).
    const otherB = await uploadVersion(stack, tokenB, datasetB, small);
    const secondA = await uploadVersion(stack, tokenA, datasetA, small);
    const secondC = await uploadVersion(stack, tokenC, datasetC, small);
    expect([otherB.rowCount, secondA.rowCount, secondC.rowCount]).toEqual([1, 1, 1]);
    const preview = expectNoErrors(
      await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(tokenB, 'query($id: ID!) { datasetVersion(id: $id) { preview(limit: 5) { rows } } }', { id: versionB.id }),
    );
    expect(preview.datasetVersion.preview.rows).toEqual([['5', '6']]);

    // What waits on the spool is encrypted; the trickled uploads are not claimed yet (a refusal now
    // would leave them usable), and finish.
    expect(spoolFiles().some((file) => file.includes(head))).toBe(false);
    for (const { upload, tenant } of slow) expect(await uploadStatus(stack, tenant, upload.id)).toBe('PENDING');
    for (const { put } of slow) {
      put.send(tail);
      put.end();
    }
    for (const { put } of slow) expect((await put.response).body.data).toMatchObject({ rowCount: 2 });
    expect(spoolFiles()).toEqual([]);
  });

  it('a thread that dies (out of its heap on one enormous row) fails only that upload, typed, with nothing left; the pool goes on with new threads', async () => {
    const datasetId = await newDataset(stack, tokenA, 'crash');
    // One data row of 75 values of 1 MiB - 1 byte each: within every CSV limit, beyond a 32 MiB heap
    // (as 150 were beyond 64 MiB: the same 2.3 times the heap, half the upload).
    const value = 'v'.repeat(1024 * 1024 - 1);
    const file = Buffer.from(`${Array.from({ length: 75 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 75 }, () => value).join(',')}\n`);
    const upload = await reserveUpload(stack, tokenA, datasetId, file.length);
    const before = await tenantState(stack, a);
    const put = await putBytes(upload.uploadUrl, tokenA, file);
    // Typed: the file's values are more than a check may hold (the service logs the thread's end too).
    expect(put.status).toBe(413);
    expect(put.body.errors?.[0]?.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', reason: 'CSV_TOO_COMPLEX' });
    expect(await uploadStatus(stack, a, upload.id)).toBe('FAILED');
    expect(await tenantState(stack, a)).toEqual(before);
    expect(errorCodes(await stack.query(tokenA, completeUpload, { id: upload.id }))).toEqual(['CONFLICT']);

    // Both threads work again, for both tenants at once; previews (also parsed on them) too.
    const [versionA, versionB] = await Promise.all([
      uploadVersion(stack, tokenA, datasetId, Buffer.from('a,b\n1,2\n')),
      uploadVersion(stack, tokenB, await newDataset(stack, tokenB, 'after-crash'), Buffer.from('c\n3\n')),
    ]);
    expect([versionA.rowCount, versionB.rowCount]).toEqual([1, 1]);
    const preview = expectNoErrors(
      await stack.query<{ datasetVersion: { preview: { columns: string[]; rows: string[][] } } }>(tokenA, 'query($id: ID!) { datasetVersion(id: $id) { preview(limit: 5) { columns rows } } }', { id: versionA.id }),
    );
    expect(preview.datasetVersion.preview).toEqual({ columns: ['a', 'b'], rows: [['1', '2']] });
  });
});
