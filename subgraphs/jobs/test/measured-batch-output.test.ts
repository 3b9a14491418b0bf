import { createHash } from 'node:crypto';
import { CsvProfiler } from '@tessera/tabular';
import { measuredBatchOutput, type BatchOutputMeasure } from '@tessera/workers';

/**
 * The check between a batch inference's two reads of its dataset: the bytes streamed to the store
 * must be exactly those counted (and reserved) in the first read, from the same rows; otherwise the
 * stream fails DATA_CORRUPTED before its end, so the upload is aborted and nothing is registered.
 */
describe('a batch inference output measured on its way to the store', () => {
  const rowsDigest = (rows: string[]) => rows.reduce((hash, row) => hash.update(row).update('\n'), createHash('sha256'));

  function measure(body: string, rows: string[], firstRows = rows): BatchOutputMeasure {
    return {
      byteSize: Buffer.byteLength(body),
      sha256: createHash('sha256'),
      profiler: new CsvProfiler({ maxRows: 10, maxBytes: 1000 }),
      firstRead: rowsDigest(firstRows).digest('hex'),
      secondRead: rowsDigest(rows),
    };
  }

  async function drain(pieces: string[], m: BatchOutputMeasure): Promise<Buffer> {
    const out: Buffer[] = [];
    async function* source() {
      for (const piece of pieces) yield Buffer.from(piece);
    }
    for await (const piece of measuredBatchOutput(source(), m)) out.push(piece);
    return Buffer.concat(out);
  }

  it('passes the bytes through, hashed and profiled, when they are the ones counted from the same rows', async () => {
    const body = 'x,prediction\n1,3\n2,5\n';
    const m = measure(body, ['1', '2']);
    m.profiler.on('error', () => undefined);
    expect((await drain(['x,prediction\n1,3\n', '2,5\n'], m)).toString()).toBe(body);
    expect(m.sha256.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await m.profiler.result()).toMatchObject({ rowCount: 2, byteSize: body.length, columns: [{ name: 'x', type: 'INTEGER' }, { name: 'prediction', type: 'INTEGER' }] });
  });

  it('fails DATA_CORRUPTED, before the end, on more bytes, fewer bytes, or other rows than the first read saw', async () => {
    const body = 'x,prediction\n1,3\n2,5\n';
    const longer = drain(['x,prediction\n1,3\n', '2,5\n', '3,7\n'], measure(body, ['1', '2']));
    await expect(longer).rejects.toMatchObject({ code: 'DATA_CORRUPTED' });
    const shorter = drain(['x,prediction\n1,3\n'], measure(body, ['1', '2']));
    await expect(shorter).rejects.toMatchObject({ code: 'DATA_CORRUPTED' });
    // Same size, other rows (a row changed between the two reads).
    const other = drain(['x,prediction\n1,3\n', '4,9\n'], measure(body, ['1', '4'], ['1', '2']));
    await expect(other).rejects.toMatchObject({ code: 'DATA_CORRUPTED' });
  });
});
