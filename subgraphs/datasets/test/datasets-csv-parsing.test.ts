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
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    // Two threads, one per tenant; a short queue wait keeps the refusal test quick; a small heap per
    // thread lets a file with one enormous row run a thread out of memory.
    stack = await startTestStack({ csvParsing: { workers: 2, perTenant: 1, queueTimeoutMs: 1_500, workerHeapMb: 64 } });
    // B asks without pause during A's upload: its rate limit must not be what answers it.
    [a, b] = await Promise.all([stack.createTenant({ limits: { maxUploadBytes: 400 * 1024 * 1024 } }), stack.createTenant({ limits: { costPerMinute: 10_000_000, costBurst: 1_000_000 } })]);
    [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    await newDataset(stack, tokenB, 'b-first');
  });
  afterAll(() => stack?.stop());

  it("a large upload of tenant A does not hold up tenant B's queries", async () => {
    const datasetId = await newDataset(stack, tokenA, 'large');
    const csv = bigCsv(1_500_000);
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
    expect(result.body.data).toMatchObject({ rowCount: 1_500_000, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'value', type: 'FLOAT' }, { name: 'label', type: 'STRING' }] });

    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    // Parsed on this event loop, the upload held each of B's queries behind its chunks: about 15 of
    // them answered over the whole upload, with a median many times the one alone.
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
      // An error far into a file of many chunks.
      Buffer.concat([bigCsv(200_000), Buffer.from('1,2\n')]),
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

  it("a tenant gets at most its share of the threads: one more upload waits in the queue, then is refused RATE_LIMITED and stays usable; the other tenant's goes through", async () => {
    const datasetA = await newDataset(stack, tokenA, 'capped');
    const datasetB = await newDataset(stack, tokenB, 'beside');
    const head = Buffer.from('x,y\n1,2\n');
    const tail = Buffer.from('3,4\n');
    const small = Buffer.from('p,q\n5,6\n');

    // A's first upload holds A's one thread while its body trickles in.
    const first = await reserveUpload(stack, tokenA, datasetA, head.length + tail.length);
    const slow = streamingPut(first.uploadUrl, tokenA, head.length + tail.length);
    slow.send(head);
    await waitFor(async () => (await uploadStatus(stack, a, first.id)) === 'RECEIVING');

    // Its second waits for the queue's 1.5 s and is refused, retryable, without being claimed.
    const second = await reserveUpload(stack, tokenA, datasetA, small.length);
    const before = await tenantState(stack, a);
    const started = Date.now();
    const refused = await putBytes(second.uploadUrl, tokenA, small);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1, limit: 'csvParseWorkers', limitValue: 1 });
    expect(await uploadStatus(stack, a, second.id)).toBe('PENDING');
    expect(await tenantState(stack, a)).toEqual(before);

    // B is not behind A: the other thread is free for it.
    expect((await uploadVersion(stack, tokenB, datasetB, small)).rowCount).toBe(1);

    // Sent while A's first still holds the thread, A's second waits and goes through once it ends.
    const queued = putBytes(second.uploadUrl, tokenA, small);
    await new Promise((resolve) => setTimeout(resolve, 300));
    slow.send(tail);
    slow.end();
    expect((await slow.response).status).toBe(200);
    const retried = await queued;
    expect(retried.status).toBe(200);
    expect(expectNoErrors(await stack.query<{ completeDatasetUpload: { rowCount: number } }>(tokenA, completeUpload, { id: second.id })).completeDatasetUpload.rowCount).toBe(1);
  });

  it('a thread that dies (out of its heap on one enormous row) fails only that upload, typed, with nothing left; the pool goes on with new threads', async () => {
    const datasetId = await newDataset(stack, tokenA, 'crash');
    // One data row of 300 values of 1 MiB - 1 byte each: within every CSV limit, far beyond a 64 MiB heap.
    const value = 'v'.repeat(1024 * 1024 - 1);
    const file = Buffer.from(`${Array.from({ length: 300 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 300 }, () => value).join(',')}\n`);
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
