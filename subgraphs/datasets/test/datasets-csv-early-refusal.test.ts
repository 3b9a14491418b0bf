import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { profileCsv } from '@tessera/tabular';
import { errorCodes, expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { defaultDatasetsConfig } from '../src';
import { completeUpload, newDataset, reserveUpload, uploadVersion, type PutResult } from './dataset-flow';

const MiB = 1024 * 1024;
/** What each bad upload declares and would send in full: far more than the first part checked. */
const declared = 600 * MiB;
/**
 * What a refused upload's client may have got to send: the part checked (a little over 1 MiB) and
 * what the buffers of two loopback connections held when reading stopped (3–10 MiB seen here; Linux
 * may grow a socket's receive buffer up to tcp_rmem's maximum, 32 MiB by default). Without the early
 * check it is all 600 MiB.
 */
const smallPrefix = 64 * MiB;

const usageQuery = '{ tenantUsage { quotas { name used reserved } } }';

/**
 * A body of `total` bytes — `head`, then `filler` over and over — made only as the connection asks
 * for it (never held whole); `sent()` is what the client got to hand over.
 */
function generatedBody(head: Buffer, filler: Buffer, total: number) {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const source = sent < head.length ? head.subarray(sent) : filler;
      const chunk = source.subarray(0, Math.min(source.length, total - sent));
      sent += chunk.length;
      controller.enqueue(new Uint8Array(chunk));
    },
  });
  return { body, sent: () => sent };
}

async function putGenerated(url: string, token: string, body: ReadableStream<Uint8Array>, length: number): Promise<PutResult> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'text/csv', 'content-length': String(length), authorization: `Bearer ${token}` },
    body,
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, body: JSON.parse(await response.text()) as PutResult['body'] };
}

async function uploadStatus(stack: TestStack, tenant: TestTenant, uploadId: string): Promise<string | undefined> {
  const rows = (await stack.platform.runtime.db.query(`SELECT status FROM \`${tenant.schema}\`.dataset_uploads WHERE id = ?`, [uploadId])) as Array<{ status: string }>;
  return rows[0]?.status;
}

const rows = Buffer.from('1,2\n'.repeat(16 * 1024));
const kinds: Array<{ kind: string; head: Buffer; filler: Buffer }> = [
  { kind: 'a binary file', head: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]), filler: Buffer.alloc(64 * 1024, 0xff) },
  { kind: 'a UTF-16 file', head: Buffer.from('\ufeffa,b\n', 'utf16le'), filler: Buffer.from('1,2\n'.repeat(8 * 1024), 'utf16le') },
  { kind: 'NUL bytes in the header', head: Buffer.from('a\u0000\u0000b,c\n'), filler: rows },
  { kind: 'a duplicate column name', head: Buffer.from('id,value,ID\n'), filler: Buffer.from('1,2,3\n'.repeat(10 * 1024)) },
  { kind: 'a wrong number of fields in the first rows', head: Buffer.from('a,b\n1,2\n3\n'), filler: rows },
  { kind: 'invalid UTF-8 in the first rows', head: Buffer.concat([Buffer.from('name,city\n1,caf'), Buffer.from([0xe9]), Buffer.from('\n')]), filler: rows },
  { kind: 'malformed quoting in the first rows', head: Buffer.from('a,b\n1,"x"y\n'), filler: rows },
];

/**
 * A CSV upload whose first part already shows it is not valid CSV is refused while it streams, with
 * the error the check of the whole file gives: the client gets to send only a small prefix of
 * hundreds of megabytes, the spool holds nothing after, the upload ends FAILED with nothing stored
 * or counted, and the tenant's transfer slot (one here) is free for its next upload as soon as the
 * answer is out (each next upload in the loop needs it).
 */
describe('datasets: a bad CSV upload is refused while it streams', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let tokenA: string;
  let tokenB: string;
  const spoolDir = mkdtempSync(join(tmpdir(), 'tessera-csv-early-test-'));

  beforeAll(async () => {
    stack = await startTestStack({ uploadSpool: { dir: spoolDir }, transfers: { perTenant: 1 } });
    [a, b] = await Promise.all([stack.createTenant({ limits: { maxUploadBytes: 900 * MiB } }), stack.createTenant({ limits: { maxUploadBytes: 900 * MiB } })]);
    [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('refuses each early-detectable kind of bad file after a small prefix, with the whole-file error, leaving nothing; tenant B’s upload beside it lands', async () => {
    const datasetA = await newDataset(stack, tokenA, 'early');
    const datasetB = await newDataset(stack, tokenB, 'beside');
    // B sends a valid file of a few MiB all the while (its own transfer slot, its own spool share).
    const fileB = Buffer.from(`p,q\n${'5,6.5\n'.repeat(400_000)}`);
    const uploadB = uploadVersion(stack, tokenB, datasetB, fileB);

    for (const { kind, head, filler } of kinds) {
      // The error the check of the whole file gives (its problem is within the first part, so a few MiB of it say the same).
      const sample = Buffer.concat([head, ...Array.from({ length: Math.ceil((3 * MiB) / filler.length) }, () => filler)]);
      const expected = await profileCsv(Readable.from([sample]), { ...defaultDatasetsConfig.csv, maxBytes: declared }).then(
        () => undefined,
        (error: { message: string; extensions: Record<string, unknown> }) => ({ message: error.message, extensions: { ...error.extensions } }),
      );
      expect({ kind, expected }).toEqual({ kind, expected: expect.anything() });

      const upload = await reserveUpload(stack, tokenA, datasetA, declared);
      const before = await tenantState(stack, a);
      const quotasBefore = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; used: number; reserved: number }> } }>(tokenA, usageQuery));
      const body = generatedBody(head, filler, declared);
      const put = await putGenerated(upload.uploadUrl, tokenA, body.body, declared);

      expect({ kind, errors: put.body.errors }).toEqual({ kind, errors: [expected] });
      expect(put.status).toBe(expected!.extensions['code'] === 'PAYLOAD_TOO_LARGE' ? 413 : 400);
      expect({ kind, smallPrefix: body.sent() < smallPrefix }).toEqual({ kind, smallPrefix: true });
      expect(await uploadStatus(stack, a, upload.id)).toBe('FAILED');
      expect(await tenantState(stack, a)).toEqual(before);
      const quotasAfter = expectNoErrors(await stack.query<{ tenantUsage: { quotas: Array<{ name: string; used: number; reserved: number }> } }>(tokenA, usageQuery));
      // Its storage reservation is given back; nothing is used.
      const storage = (q: typeof quotasAfter) => q.tenantUsage.quotas.find((row) => row.name === 'storageBytes');
      expect(storage(quotasAfter)!.reserved).toBe(0);
      expect(storage(quotasAfter)!.used).toBe(storage(quotasBefore)!.used);
      expect(errorCodes(await stack.query(tokenA, completeUpload, { id: upload.id }))).toEqual(['CONFLICT']);
    }

    expect((await uploadB).rowCount).toBe(400_000);
    // Nothing of A's refused bodies (nor of B's finished one) is left on the spool.
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a valid file, far longer than the part checked early, still lands with its whole profile; so does one whose problem is past that part, refused as before', async () => {
    const datasetId = await newDataset(stack, tokenA, 'valid');
    const valid = Buffer.from(`id,value,label\n${Array.from({ length: 150_000 }, (_, i) => `${i},${i}.5,l${i % 7}`).join('\n')}\n`);
    expect(valid.length).toBeGreaterThan(2 * MiB);
    const version = await uploadVersion(stack, tokenA, datasetId, valid);
    expect(version).toMatchObject({ rowCount: 150_000, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'value', type: 'FLOAT' }, { name: 'label', type: 'STRING' }] });

    const late = Buffer.concat([valid, Buffer.from('1,2\n')]);
    const expected = await profileCsv(Readable.from([late]), { ...defaultDatasetsConfig.csv, maxBytes: late.length }).catch((error: { message: string }) => error.message);
    const upload = await reserveUpload(stack, tokenA, datasetId, late.length);
    const body = generatedBody(late, Buffer.alloc(0), late.length);
    const put = await putGenerated(upload.uploadUrl, tokenA, body.body, late.length);
    expect(put.status).toBe(400);
    expect(put.body.errors?.[0]?.message).toBe(expected);
    expect(body.sent()).toBe(late.length);
    expect(await uploadStatus(stack, a, upload.id)).toBe('FAILED');
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
