import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvProfiler, type CsvLimits } from '../src';
import { bytes, profile, rejected, rejection } from './helpers';

const code = (error: { extensions: Record<string, unknown> }) => error.extensions['code'];

describe('CsvProfiler: rejections', () => {
  describe('empty files', () => {
    it.each([
      ['0 bytes', ''],
      ['only whitespace', ' \t\r\n \n'],
      ['only a BOM', '\uFEFF'],
      ['a BOM and whitespace', '\uFEFF\n\n   \r\n'],
    ])('rejects a file with %s', async (_label, input) => {
      const error = await rejected(input);
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^The file is empty/);
    });

    it('rejects a header without data rows', async () => {
      for (const input of ['a,b\n', 'a,b', 'a,b\r\n\r\n\n']) {
        const error = await rejected(input);
        expect(code(error)).toBe('BAD_USER_INPUT');
        expect(error.message).toBe('CSV has a header but no data rows');
      }
    });
  });

  describe('encoding', () => {
    it('rejects a Latin-1 byte in the middle, naming its byte offset', async () => {
      const before = bytes('name,city\nAnn,Paris\nJos');
      const input = Buffer.concat([before, Buffer.from([0xe9]), bytes(',Lyon\n')]); // "José" in Latin-1
      const error = await rejected(input);
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/not valid UTF-8/);
      expect(error.message).toContain(`byte offset ${before.length}`);
      expect(error.message).toContain('line 3');
      expect(error.extensions['byteOffset']).toBe(before.length);
    });

    it('names the offset of an invalid byte far into a large file', async () => {
      const before = bytes('a,b\n' + 'x,1\n'.repeat(50_000));
      const input = Buffer.concat([before, Buffer.from([0xff]), bytes(',2\n')]);
      const error = await rejection(
        pipeline(Readable.from([input.subarray(0, 70_000), input.subarray(70_000, 150_000), input.subarray(150_000)]), new CsvProfiler()),
      );
      expect(error.extensions['byteOffset']).toBe(before.length);
    });

    it('rejects other invalid sequences: overlong, surrogate, stray continuation, truncated at the end', async () => {
      const cases: Array<[number[], number]> = [
        [[0xc0, 0xaf], 0], // overlong "/"
        [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
        [[0x80], 0], // continuation byte without a lead
        [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      ];
      for (const [bad, at] of cases) {
        const prefix = bytes('a,b\n1,');
        const error = await rejected(Buffer.concat([prefix, Buffer.from(bad), bytes('\n')]));
        expect(error.extensions['byteOffset']).toBe(prefix.length + at);
      }
      const truncated = Buffer.concat([bytes('a,b\n1,'), Buffer.from([0xe2, 0x82])]); // "€" cut short
      const error = await rejected(truncated);
      expect(error.message).toMatch(/not valid UTF-8/);
      expect(error.extensions['byteOffset']).toBe(6);
    });

    it('recognises a UTF-16 file', async () => {
      const error = await rejected(Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le'));
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/UTF-16/);
    });
  });

  describe('header', () => {
    it('rejects an empty column name, naming its position', async () => {
      for (const header of ['a,,b', 'a,  ,b', 'a,"",b']) {
        const error = await rejected(`${header}\n1,2,3\n`);
        expect(code(error)).toBe('BAD_USER_INPUT');
        expect(error.message).toMatch(/empty column name at position 2/);
        expect(error.extensions['column']).toBe(2);
      }
      expect((await rejected('a,b,\n1,2,3\n')).message).toMatch(/position 3/);
    });

    it('rejects duplicate column names, compared trimmed and case-insensitively, naming them', async () => {
      const error = await rejected('id,Name,age, name \n1,a,2,b\n');
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/duplicate column names/);
      expect(error.message).toContain('"Name" and "name" (positions 2, 4)');
      expect(error.extensions['duplicates']).toEqual(['Name', 'name']);
    });

    it('rejects a column name longer than 128 characters', async () => {
      await expect(profileOf(`${'x'.repeat(128)},b\n1,2\n`)).resolves.toMatchObject({ rowCount: 1 });
      const error = await rejected(`a,${'y'.repeat(129)}\n1,2\n`);
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/position 2 .* is 129 characters long; column names can have at most 128/);
    });

    it('rejects a column name containing a control character', async () => {
      for (const [name, shown] of [['"a\tb"', 'U+0009'], ['"a\nb"', 'U+000A'], ['a\u0000b', 'U+0000'], ['a\u007fb', 'U+007F']] as const) {
        const error = await rejected(`id,${name}\n1,2\n`);
        expect(code(error)).toBe('BAD_USER_INPUT');
        expect(error.message).toContain(`position 2`);
        expect(error.message).toContain(`control character (${shown})`);
      }
    });

    it('rejects a 10 000-column header as too many columns', async () => {
      const header = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',');
      const row = Array.from({ length: 10_000 }, () => '1').join(',');
      const error = await rejection(profileOf(`${header}\n${row}\n`));
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/The header has 10000 columns, more than the limit of 1000/);
      expect(error.extensions).toMatchObject({ columns: 10_000, limit: 1000 });
    });

    it('fails on too many columns while the header is still arriving, without waiting for more data', async () => {
      const profiler = new CsvProfiler();
      profiler.on('error', () => {});
      // The header is not even finished: no line break, no rows, and the stream is not ended.
      profiler.write(Array.from({ length: 5_000 }, (_, i) => `c${i}`).join(','));
      const error = await rejection(profiler.result());
      expect(error.message).toMatch(/^The header has at least 5000 columns, more than the limit of 1000/);
      expect(profiler.destroyed).toBe(true);
    });

    it('counts columns exactly at the limit as fine', async () => {
      const header = Array.from({ length: 5 }, (_, i) => `c${i}`).join(',');
      await expect(profileOf(`${header}\n1,2,3,4,5\n`, { maxColumns: 5 })).resolves.toMatchObject({ rowCount: 1 });
      const error = await rejected(`${header},c5\n1,2,3,4,5,6\n`, { maxColumns: 5 });
      expect(error.message).toMatch(/The header has 6 columns, more than the limit of 5/);
    });
  });

  describe('rows', () => {
    it('rejects a row with fewer fields than the header, naming the line and both counts', async () => {
      const error = await rejected('a,b,c\n1,2,3\n4,5\n6,7,8\n');
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^Line 3 has 2 fields, but the header has 3 columns/);
      expect(error.extensions).toMatchObject({ line: 3, expected: 3, actual: 2 });
    });

    it('rejects a row with more fields than the header', async () => {
      const error = await rejected('a,b\r\n1,2\r\n3,"x\r\ny"\r\n4,5,6\r\n');
      expect(error.message).toMatch(/^Line 5 has 3 fields, but the header has 2 columns/);
    });

    it('rejects a row with more fields than the column limit as soon as it goes over, before the row is collected', async () => {
      // Up to the limit the row reaches the parser and gets the exact count; past it, the row is refused
      // at the comma that goes over (a line of 50 million commas was collected as 50 million fields).
      const exact = await rejected('a,b\n1,2\n3,4,5,6\n', { maxColumns: 4 });
      expect(exact.extensions).toMatchObject({ line: 3, expected: 2, actual: 4 });
      const over = await rejected('a,b\n1,2\n"x\ny",4,5,6,7,8\n', { maxColumns: 4 });
      expect(code(over)).toBe('BAD_USER_INPUT');
      expect(over.message).toMatch(/^Line 4 has more than 4 fields, but the header has 2 columns/);
      expect(over.extensions).toMatchObject({ line: 4, expected: 2, limit: 4 });
      const commas = await rejection(profile(`a\n1\n${','.repeat(5_000_000)}\n`));
      expect(commas.message).toMatch(/^Line 3 has more than 1000 fields, but the header has 1 column/);
    });

    it('counts lines physically (blank lines, leading blank lines and quoted line breaks included)', async () => {
      const error = await rejected('\n\na,b\n\n1,"two\nlines"\n\n3\n');
      expect(error.extensions).toMatchObject({ line: 8, expected: 2, actual: 1 });
    });

    it('rejects a stray quote inside an unquoted value, naming line and column', async () => {
      const error = await rejected('a,b\n1,2\n3,4 "inch"\n');
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^Malformed quoting on line 3, column 2 \("b"\)/);
    });

    it('rejects characters after a closing quote, naming the line', async () => {
      const error = await rejected('a,b\n1,"x"y\n');
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^Malformed quoting on line 2:/);
    });

    it('rejects a quote that is never closed, naming the line where it opens', async () => {
      const error = await rejected('a,b\n1,2\n3,"never closed\n4,5\n6,7\n');
      expect(code(error)).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^Malformed quoting: the quoted value that starts on line 3 is never closed/);
    });
  });

  describe('size limits', () => {
    it('rejects a value over maxFieldBytes with PAYLOAD_TOO_LARGE, counting UTF-8 bytes', async () => {
      const limits = { maxFieldBytes: 10 };
      await expect(profileOf('a,b\n1,éééé\n', limits)).resolves.toMatchObject({ rowCount: 1 }); // 10 bytes
      const error = await rejected('a,b\n1,2\n3,éééééx\n', limits); // 6 characters, 11 bytes
      expect(code(error)).toBe('PAYLOAD_TOO_LARGE');
      expect(error.message).toMatch(/column 2 \("b"\) on line 3 is larger than the limit of 10 bytes/);
      const quoted = await rejected('a,b\n1,"x,""yz"""\n2,"aaaa\naaaaaa"\n', limits);
      expect(quoted.message).toMatch(/column 2 \("b"\) on line 3/);
      expect(quoted.message).toMatch(/never closed/); // the hint for a runaway quote
    });

    it('stops on an oversized value before the record ends', async () => {
      const profiler = new CsvProfiler({ maxFieldBytes: 1024 });
      profiler.on('error', () => {});
      profiler.write('a,b\n1,');
      for (let i = 0; i < 3 && !profiler.destroyed; i++) profiler.write('x'.repeat(600));
      const error = await rejection(profiler.result());
      expect(code(error)).toBe('PAYLOAD_TOO_LARGE');
      expect(profiler.byteCount).toBeLessThanOrEqual(6 + 1200);
    });

    it('stops an endless stream with PAYLOAD_TOO_LARGE once maxBytes is passed', async () => {
      const maxBytes = 1024 * 1024;
      let produced = 0;
      let id = 0;
      const endless = new Readable({
        read() {
          let chunk = produced === 0 ? 'id,value\n' : '';
          while (chunk.length < 16 * 1024) chunk += `${++id},${id * 2}\n`;
          produced += chunk.length;
          this.push(chunk);
        },
      });
      const error = await rejection(pipeline(endless, new CsvProfiler({ maxBytes })));
      expect(code(error)).toBe('PAYLOAD_TOO_LARGE');
      expect(error.message).toMatch(/larger than the limit of 1048576 bytes \(1 MiB\)/);
      expect(endless.destroyed).toBe(true);
      expect(produced).toBeLessThan(maxBytes + 256 * 1024);
    });

    it('counts the BOM towards maxBytes', async () => {
      const body = 'a\n1\n';
      await expect(profileOf(body, { maxBytes: body.length })).resolves.toMatchObject({ byteSize: 4 });
      const error = await rejected(`\uFEFF${body}`, { maxBytes: body.length });
      expect(code(error)).toBe('PAYLOAD_TOO_LARGE');
    });

    it('rejects more than maxRows rows with PAYLOAD_TOO_LARGE', async () => {
      await expect(profileOf('a\n1\n2\n3\n', { maxRows: 3 })).resolves.toMatchObject({ rowCount: 3 });
      const error = await rejected('a\n1\n2\n3\n4\n', { maxRows: 3 });
      expect(code(error)).toBe('PAYLOAD_TOO_LARGE');
      expect(error.message).toMatch(/more than 3 data rows/);
      expect(error.extensions['line']).toBe(5);
    });
  });
});

function profileOf(input: string, limits: Partial<CsvLimits> = {}) {
  return profile(input, { limits });
}

describe('which problem is reported', () => {
  it('is the first one in the file, however the file is cut into chunks', async () => {
    const badRowThenBigValue = 'a,b\n1,2\n3\n4,' + 'x'.repeat(50) + '\n';
    const first = await rejected(badRowThenBigValue, { maxFieldBytes: 20 });
    expect(first.extensions).toMatchObject({ code: 'BAD_USER_INPUT', line: 3 });

    const bigValueThenBadRow = 'a,b\n1,' + 'x'.repeat(50) + '\n3\n';
    expect((await rejected(bigValueThenBadRow, { maxFieldBytes: 20 })).extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', line: 2 });

    const badRowThenLatin1 = Buffer.concat([bytes('a,b\n1\n2,'), Buffer.from([0xe9]), bytes('\n')]);
    expect((await rejected(badRowThenLatin1)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', line: 2, expected: 2 });

    const badRowThenTooBig = 'a,b\n1\n' + '2,3\n'.repeat(100);
    expect((await rejected(badRowThenTooBig, { maxBytes: 100 })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', line: 2 });
  });

  it('hints at UTF-16 when a header is full of NUL characters', async () => {
    const error = await rejected(Buffer.from('a,b\n1,2\n', 'utf16le')); // UTF-16 without a byte order mark
    expect(error.message).toMatch(/control character \(U\+0000\).*UTF-16/);
  });
});

describe('line numbers in messages', () => {
  // Deterministic pseudo-random generator so failures are reproducible.
  function random(seed: number) {
    return () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
  }

  it('are physical lines whatever the line endings, blank lines, quoted line breaks and chunking', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = random(seed);
      const eol = () => ['\n', '\r\n', '\r'][Math.floor(rand() * 3)]!;
      let text = '';
      const add = (s: string) => {
        text += s;
      };
      add(`a,b${eol()}`);
      for (let row = 0; row < 12; row++) {
        if (rand() < 0.2) add(eol()); // blank line
        add(rand() < 0.3 ? `${row},"multi${eol()}line é${eol()}"${eol()}` : `${row},x€${eol()}`);
      }
      // Counted on the whole text: a CR ending one piece and an LF starting the next are one CRLF.
      const badLine = 1 + (text.match(/\r\n|\r|\n/g) ?? []).length;
      add(`bad${eol()}1,2${eol()}`);
      for (const chunkSize of [0, 1, 2, 3, 5, 8]) {
        const error = await rejection(profile(text, { chunkSize }));
        expect({ seed, chunkSize, line: error.extensions['line'] }).toEqual({ seed, chunkSize, line: badLine });
      }
    }
  });
});
