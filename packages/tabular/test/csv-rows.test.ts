import { Readable } from 'node:stream';
import { parseCsvRows } from '../src';
import { chunked, rejection } from './helpers';

async function collect(source: AsyncIterable<Record<string, string>>) {
  const rows: Array<Record<string, string>> = [];
  for await (const row of source) rows.push({ ...row });
  return rows;
}

describe('parseCsvRows', () => {
  it('streams rows as objects keyed by the trimmed header names, with values unaltered', async () => {
    const input = '\uFEFF id , note,n\r\n1,"a, ""b""\r\nc", 7 \r\n2,,x\r\n';
    for (const chunkSize of [0, 1, 3]) {
      const rows = await collect(parseCsvRows(Readable.from(chunked(input, chunkSize))));
      expect(rows).toEqual([
        { id: '1', note: 'a, "b"\r\nc', n: ' 7 ' },
        { id: '2', note: '', n: 'x' },
      ]);
    }
  });

  it('treats keys like __proto__ as plain column names', async () => {
    const [row] = await collect(parseCsvRows(Readable.from(['__proto__,constructor\n1,2\n'])));
    expect(Object.keys(row!)).toEqual(['__proto__', 'constructor']);
    expect(row!['__proto__']).toBe('1');
  });

  it('throws the same typed errors as the profiler', async () => {
    const error = await rejection(collect(parseCsvRows(Readable.from(['a,b\n1,2\n3\n']))));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', line: 3, expected: 2, actual: 1 });
    const tooMany = await rejection(collect(parseCsvRows(Readable.from(['a\n1\n2\n']), { limits: { maxRows: 1 } })));
    expect(tooMany.extensions['code']).toBe('PAYLOAD_TOO_LARGE');
  });

  it('reads the source lazily and destroys it when the consumer stops early', async () => {
    let pulled = 0;
    const source = new Readable({
      highWaterMark: 1,
      read() {
        pulled++;
        this.push(pulled === 1 ? 'n\n' : `${pulled}\n`.repeat(100));
      },
    });
    const seen: string[] = [];
    for await (const row of parseCsvRows(source)) {
      seen.push(row['n']!);
      if (seen.length === 150) break;
    }
    expect(seen[0]).toBe('2');
    expect(pulled).toBeLessThan(10);
    expect(source.destroyed).toBe(true);
  });

  it('accepts any async iterable of bytes or strings', async () => {
    async function* source() {
      yield new Uint8Array([0x61, 0x0a]); // "a\n"
      yield '1\n';
      yield Buffer.from('2');
    }
    expect(await collect(parseCsvRows(source()))).toEqual([{ a: '1' }, { a: '2' }]);
  });
});
