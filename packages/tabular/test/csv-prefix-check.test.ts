import { Readable } from 'node:stream';
import { CsvPrefixCheck, prefixCheckMaxBytes, prefixCheckUsualBytes, profileCsv, type CsvLimits } from '../src';
import { chunked, rejection } from './helpers';

/** What the prefix check says of `file` fed in chunks of `size` bytes (0: whole): the error, or undefined. */
async function prefixVerdict(file: Buffer, limits: Partial<CsvLimits>, size: number, prefixBytes?: number) {
  const check = new CsvPrefixCheck(limits, prefixBytes);
  try {
    for (const chunk of chunked(file, size)) await check.check(chunk);
    return undefined;
  } catch (error) {
    expect(error).toBe(check.refusal);
    return error as Error;
  } finally {
    check.dispose();
  }
}

const fullCheck = (file: Buffer, limits: Partial<CsvLimits>) => rejection(profileCsv(Readable.from([file]), limits));

/**
 * (A file's last few bytes are held back by csv-parse until more arrive or the file ends, so each
 * bad file below goes on for a row after its problem, as an upload's body does.)
 *
 * The first part of an upload is checked with the full check's own validator, so it refuses only
 * what the full check refuses, with the same error, and leaves to the full check what needs the
 * whole file.
 */
describe('CsvPrefixCheck', () => {
  const limits: Partial<CsvLimits> = { maxBytes: 10 * 1024 * 1024, maxFieldBytes: 1024 };

  it.each([
    ['a binary file (not UTF-8)', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]), Buffer.from('a,b\n1,2\n')])],
    ['a UTF-16 file', Buffer.from('\ufeffa,b\n1,2\n', 'utf16le')],
    ['NUL bytes in the header', Buffer.from('a\u0000b,c\n1,2\n')],
    ['a duplicate column name', Buffer.from('a,A,b\n1,2,3\n')],
    ['an empty column name', Buffer.from('a,,b\n1,2,3\n')],
    ['a row with too few fields', Buffer.from('a,b\n1,2\n3\n4,5\n')],
    ['a row with too many fields', Buffer.from('a,b\n1,2,3\n4,5\n')],
    ['malformed quoting', Buffer.from('a,b\n1,"x"y\n4,5\n')],
    ['invalid UTF-8 in a row', Buffer.concat([Buffer.from('name\ncaf'), Buffer.from([0xe9]), Buffer.from('\nx\n')])],
    ['a line longer than a value may be', Buffer.from(`a,b\n1,${'x'.repeat(2000)}\n`)],
  ])('refuses %s with the full check’s error, however the bytes are cut', async (_label, file) => {
    const expected = await fullCheck(file, limits);
    for (const size of [0, 1, 7]) {
      const error = await prefixVerdict(file, limits, size);
      expect(error).toBeDefined();
      expect(error!.message).toBe(expected.message);
      expect((error as typeof expected).extensions).toEqual(expected.extensions);
    }
  });

  it('leaves alone what only the whole file decides, and valid files', async () => {
    for (const file of ['a,b\n', 'a,b\n"1,2\n3,4\n', '', '  \n', 'a,b\n1,2\n', 'a,b\r\n1,"x\r\ny"\r\n', `a,b\n${'1,2\n'.repeat(5000)}`]) {
      for (const size of [0, 1, 5]) expect(await prefixVerdict(Buffer.from(file), limits, size)).toBeUndefined();
    }
  });

  it('looks no further than its prefix, and holds nothing after it', async () => {
    const head = Buffer.from(`a,b\n${'1,2\n'.repeat(100)}`);
    const file = Buffer.concat([head, Buffer.from('3\n4,5\n')]);
    expect(await fullCheck(file, limits)).toBeDefined();
    expect(await prefixVerdict(file, limits, 16, head.length)).toBeUndefined();
    expect(await prefixVerdict(file, limits, 16, file.length)).toBeDefined();
    const check = new CsvPrefixCheck(limits, 10);
    await check.check(Buffer.from('a,b\n1,2\n3,4\n'));
    expect(check.finished).toBe(true);
    expect(check.check(Buffer.from('\u0000\u0000'))).toBeUndefined();
  });

  it('looks at a file of usual lines only to the end of the line its first 16 KiB end in; at one still inside a line, on to 64 KiB and no further', async () => {
    const usual = { maxBytes: 10 * 1024 * 1024 };
    const rows = Buffer.from(`a,b\n${'12345,67890\n'.repeat(10_000)}`);
    const bad = Buffer.concat([rows, Buffer.from('1\n2,3\n')]);
    expect(await fullCheck(bad, usual)).toBeDefined();
    const check = new CsvPrefixCheck(usual);
    await check.check(rows.subarray(0, prefixCheckUsualBytes - 1));
    expect(check.finished).toBe(false);
    await check.check(rows.subarray(prefixCheckUsualBytes - 1));
    expect(check.finished).toBe(true);
    expect(await prefixVerdict(bad, usual, 4096)).toBeUndefined();
    // A value over a limit the first 64 KiB reach: refused where it passes it.
    const small = { ...usual, maxFieldBytes: 32 * 1024 };
    const over = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.alloc(32 * 1024 + 1, 'x'), Buffer.from('\n')]);
    expect((await prefixVerdict(over, small, 8 * 1024))?.message).toBe((await fullCheck(over, small)).message);
    // A line of 1 MiB + 1 byte (no break in it): over its limit, but past what the event loop is
    // given to parse, so left to the full check, which refuses it.
    const line = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.alloc(1024 * 1024 + 1, 'x'), Buffer.from('\n')]);
    expect(await prefixVerdict(line, usual, 8 * 1024)).toBeUndefined();
    expect(await fullCheck(line, usual)).toBeDefined();
    // It stops looking once 64 KiB are behind it, inside the line.
    const followed = new CsvPrefixCheck(usual);
    let fed = 0;
    while (!followed.finished && fed < line.length) {
      await followed.check(line.subarray(fed, fed + 8 * 1024));
      fed += 8 * 1024;
    }
    expect(prefixCheckMaxBytes).toBe(64 * 1024);
    expect(fed).toBe(prefixCheckMaxBytes);
  });
});
