import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvProfiler, createCsvProfiler, defaultCsvLimits, profileCsv, type CsvProfile } from '../src';
import { bytes, chunked, profile, rejection } from './helpers';

const MIXED = [
  'id,price,score,active,created_at,city,empty,note',
  '1,9.99,3,true,2024-01-31,Paris,,x',
  '2,10,4.5,FALSE,2024-02-01T10:00:00Z,,,',
  '3,1e3,-2,True,2024-02-02 11:30,Zürich,,7',
  '-4,.5,0,false,2024-02-29T23:59:59.999+01:00,東京,,true',
].join('\n');

describe('CsvProfiler: good files', () => {
  it('infers column types, nullability and null counts', async () => {
    const result = await profile(MIXED + '\n');
    expect(result.rowCount).toBe(4);
    expect(result.byteSize).toBe(bytes(MIXED + '\n').length);
    expect(result.columns).toEqual([
      { name: 'id', type: 'INTEGER', nullable: false, nullCount: 0 },
      { name: 'price', type: 'FLOAT', nullable: false, nullCount: 0 },
      { name: 'score', type: 'FLOAT', nullable: false, nullCount: 0 }, // INTEGER + FLOAT
      { name: 'active', type: 'BOOLEAN', nullable: false, nullCount: 0 },
      { name: 'created_at', type: 'DATETIME', nullable: false, nullCount: 0 },
      { name: 'city', type: 'STRING', nullable: true, nullCount: 1 },
      { name: 'empty', type: 'STRING', nullable: true, nullCount: 4 }, // all null
      { name: 'note', type: 'STRING', nullable: true, nullCount: 1 }, // 'x', '7', 'true' mixed
    ]);
  });

  it('keeps a column INTEGER when its only other values are nulls', async () => {
    const result = await profile('a,b\n1,\n,2\n3,4\n');
    expect(result.columns).toEqual([
      { name: 'a', type: 'INTEGER', nullable: true, nullCount: 1 },
      { name: 'b', type: 'INTEGER', nullable: true, nullCount: 1 },
    ]);
  });

  it('trims column names and keeps their case', async () => {
    const result = await profile('  Id ,"Full Name",\tAge\n1,Ann,30\n');
    expect(result.columns.map((c) => c.name)).toEqual(['Id', 'Full Name', 'Age']);
  });

  it('accepts a file without a final line break', async () => {
    const result = await profile('a,b\n1,2');
    expect(result.rowCount).toBe(1);
    expect(result.columns[1]).toEqual({ name: 'b', type: 'INTEGER', nullable: false, nullCount: 0 });
  });

  it('skips blank lines before the header, between rows and at the end', async () => {
    const result = await profile('\n\r\n  \na,b\n1,2\n\n3,4\n\n\n');
    expect(result.rowCount).toBe(2);
    expect(result.columns.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('strips a UTF-8 BOM (counted in byteSize, not in the first column name)', async () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('id,name\n1,a\n')]);
    for (const chunkSize of [0, 1, 2]) {
      const result = await profile(input, { chunkSize });
      expect(result.columns.map((c) => c.name)).toEqual(['id', 'name']);
      expect(result.columns[0]!.type).toBe('INTEGER');
      expect(result.byteSize).toBe(input.length);
    }
  });

  it('handles CRLF line endings', async () => {
    const input = 'a,b,c\r\n1,x,true\r\n2,"multi\r\nline",false\r\n';
    const result = await profile(input);
    expect(result.rowCount).toBe(2);
    expect(result.columns.map((c) => c.type)).toEqual(['INTEGER', 'STRING', 'BOOLEAN']);
  });

  it('handles old-Mac CR line endings, and line endings mixed in one file', async () => {
    const result = await profile('a,b\r1,2\r3,4\r');
    expect(result.rowCount).toBe(2);
    expect(result.columns.map((c) => c.type)).toEqual(['INTEGER', 'INTEGER']);
    const mixed = await profile('a,b\n1,"x"\r\n2,true\r3,"y"\n');
    expect(mixed.rowCount).toBe(3);
    expect(mixed.columns.map((c) => c.type)).toEqual(['INTEGER', 'STRING']);
  });

  it('handles quoted fields containing commas, line breaks and escaped quotes', async () => {
    const input = 'n,text,"quoted, header"\n1,"a, b","x"\n2,"line 1\nline 2","say ""hi"""\n3,"",""\n';
    const result = await profile(input);
    expect(result.rowCount).toBe(3);
    expect(result.columns).toEqual([
      { name: 'n', type: 'INTEGER', nullable: false, nullCount: 0 },
      { name: 'text', type: 'STRING', nullable: true, nullCount: 1 },
      { name: 'quoted, header', type: 'STRING', nullable: true, nullCount: 1 },
    ]);
    // A quoted number is still a number: quoting is CSV syntax, not a type.
    expect((await profile('a\n"1"\n"2.5"\n')).columns[0]!.type).toBe('FLOAT');
  });

  it('gives the same result whether data arrives whole or in 1-byte chunks', async () => {
    const input = MIXED + '\r\n5,"a ""quoted"", value",1,true,2024-03-01,"multi\nline",,"€"\r\n';
    const whole = await profile(input);
    expect(await profile(input, { chunkSize: 1 })).toEqual(whole);
    expect(await profile(input, { chunkSize: 7 })).toEqual(whole);
  });

  it('handles multibyte UTF-8 characters split across every possible chunk boundary', async () => {
    // 2-, 3- and 4-byte sequences, in names and values, quoted and not.
    const input = bytes('café,名前,"emoji 😀"\né,日本語,"🎉,🎉"\nñ,中,𝄞\n');
    const whole = await profile(input);
    expect(whole.columns.map((c) => c.name)).toEqual(['café', '名前', 'emoji 😀']);
    expect(whole.rowCount).toBe(2);
    for (let cut = 1; cut < input.length; cut++) {
      const source = Readable.from([input.subarray(0, cut), input.subarray(cut)]);
      expect(await profileCsv(source)).toEqual(whole);
    }
  });

  it('accepts string chunks as well as bytes', async () => {
    const profiler = new CsvProfiler();
    profiler.write('a,b\n1,');
    profiler.end('2\n');
    expect((await profiler.result()).rowCount).toBe(1);
  });

  it('works as one branch of a tee of the upload, next to the storage writer', async () => {
    const input = bytes(MIXED + '\n');
    const upload = Readable.from(chunked(input, 16));
    const stored: Buffer[] = [];
    const storage = new Writable({
      write(chunk: Buffer, _enc, cb) {
        stored.push(chunk);
        setImmediate(cb); // a slower sink: the profiler must not make the tee buffer without bound
      },
    });
    const { stream, result } = createCsvProfiler();
    const toStorage = new PassThrough();
    upload.pipe(toStorage);
    upload.pipe(stream);
    await Promise.all([pipeline(toStorage, storage), result()]);
    expect(Buffer.concat(stored)).toEqual(input);
    expect((await result()).rowCount).toBe(4);
  });

  it('applies backpressure: write() returns false until the profiler has parsed what it was given', async () => {
    const profiler = new CsvProfiler({}, { highWaterMark: 1024 });
    const row = '1,2,3\n';
    expect(profiler.write('a,b,c\n' + row.repeat(1000))).toBe(false); // 6 KB > 1 KB high-water mark
    await new Promise((resolve) => profiler.once('drain', resolve));
    expect(profiler.byteCount).toBe(6 + row.length * 1000);
    profiler.end();
    expect((await profiler.result()).rowCount).toBe(1000);
  });

  it('profiles a generated 5 MB stream while holding only a bounded window of it', async () => {
    // Five times the 1 MiB window allowed below: a profiler that buffered instead of pushing back
    // would let the source run megabytes ahead (20 MB took about 15 s of CPU under Jest).
    const target = 5 * 1024 * 1024;
    const profiler = new CsvProfiler();
    let produced = 0;
    let maxInFlight = 0;
    async function* generate() {
      const header = 'id,amount,flag,day,label,maybe\n';
      produced += header.length;
      yield Buffer.from(header);
      let id = 0;
      while (produced < target) {
        let chunk = '';
        while (chunk.length < 16 * 1024) {
          id++;
          chunk += `${id},${(id * 0.37).toFixed(2)},${id % 2 === 0},2024-01-${String((id % 28) + 1).padStart(2, '0')},"label ${id % 97}, ""x""",${id % 10 === 0 ? '' : id}\n`;
        }
        maxInFlight = Math.max(maxInFlight, produced - profiler.byteCount);
        produced += chunk.length;
        yield Buffer.from(chunk);
      }
    }
    await pipeline(generate(), profiler);
    const result = await profiler.result();
    expect(result.byteSize).toBe(produced);
    expect(result.byteSize).toBeGreaterThanOrEqual(target);
    // Rows are under 100 bytes each (200 000 for the 20 MB this test used to generate).
    expect(result.rowCount).toBeGreaterThan(target / 100);
    expect(result.columns).toEqual([
      { name: 'id', type: 'INTEGER', nullable: false, nullCount: 0 },
      { name: 'amount', type: 'FLOAT', nullable: false, nullCount: 0 },
      { name: 'flag', type: 'BOOLEAN', nullable: false, nullCount: 0 },
      { name: 'day', type: 'DATETIME', nullable: false, nullCount: 0 },
      { name: 'label', type: 'STRING', nullable: false, nullCount: 0 },
      { name: 'maybe', type: 'INTEGER', nullable: true, nullCount: Math.floor(result.rowCount / 10) },
    ]);
    // The source is never more than a few chunks ahead of what the profiler has consumed.
    expect(maxInFlight).toBeLessThan(1024 * 1024);
  });

  it('exports the documented default limits', () => {
    expect(defaultCsvLimits).toEqual({
      maxColumns: 1000,
      maxFieldBytes: 1024 * 1024,
      maxRows: 10_000_000,
      maxBytes: 100 * 1024 * 1024,
    });
    expect(() => new CsvProfiler({ maxRows: 0 })).toThrow(RangeError);
  });
});

describe('CsvProfiler: stream behaviour on errors', () => {
  it('emits the same TesseraError on the stream and from result()', async () => {
    const profiler = new CsvProfiler();
    const emitted = new Promise<Error>((resolve) => profiler.once('error', resolve));
    profiler.end('a,a\n1,2\n');
    const error = await rejection(profiler.result());
    expect(await emitted).toBe(error);
    expect(profiler.destroyed).toBe(true);
  });

  it('rejects result() if the upload is aborted before the end', async () => {
    const profiler = new CsvProfiler();
    profiler.write('a,b\n1,2\n');
    profiler.destroy();
    const error = await rejection(profiler.result());
    expect(error.extensions['code']).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/stopped before the whole CSV file was received/);
  });

  it('does not leave an unhandled rejection when only the stream error is observed', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(pipeline(Readable.from([Buffer.from('')]), new CsvProfiler())).rejects.toThrow(/empty/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

export type { CsvProfile };
