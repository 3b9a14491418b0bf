import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TesseraError } from '@tessera/errors';
import { CsvParsePool, defaultCsvParseWorkerHeapMb, parseCsvRows, type CsvLimits, type CsvParsePoolOptions } from '../src';
import { chunked, profile } from './helpers';

/** What an outcome looks like to a client: the profile, or the error's message and extensions. */
async function outcome(run: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await run };
  } catch (error) {
    expect(error).toBeInstanceOf(TesseraError);
    return { message: (error as TesseraError).message, extensions: { ...(error as TesseraError).extensions } };
  }
}

async function pooledProfile(pool: CsvParsePool, tenant: string, chunks: Buffer[], limits: Partial<CsvLimits> = {}) {
  const thread = await pool.acquire(tenant);
  const profiler = thread.profiler(limits);
  await pipeline(Readable.from(chunks), profiler).catch(() => undefined);
  return profiler.result();
}

/** The preview as it was computed in process: the first `limit` rows of parseCsvRows. */
async function inProcessFirstRows(chunks: Buffer[], limits: Partial<CsvLimits>, limit: number) {
  let columns: readonly string[] = [];
  const rows: string[][] = [];
  for await (const row of parseCsvRows(Readable.from(chunks), { limits, onHeader: (names) => (columns = names) })) {
    rows.push(columns.map((name) => row[name]!));
    if (rows.length >= limit) break;
  }
  return { columns: [...columns], rows };
}

const files: Array<[string, string | Buffer, Partial<CsvLimits>]> = [
  ['a good file', 'id, name ,score\n1,ann,1.5\n2,"b, ""q""",\n\n3,c,7\r\n', {}],
  ['ragged rows', 'a,b\n1,2\n3\n', {}],
  ['a quote never closed', 'a,b\n"1,2\n3,4\n', {}],
  ['invalid UTF-8', Buffer.concat([Buffer.from('name\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]), {}],
  ['a UTF-16 file', Buffer.from('\ufeffa,b\n1,2\n', 'utf16le'), {}],
  ['duplicate names', 'a,A,b\n1,2,3\n', {}],
  ['no data rows', 'a,b\n', {}],
  ['an empty file', '', {}],
  ['too many rows', 'a\n1\n2\n3\n', { maxRows: 2 }],
  ['a value too large', 'a,b\n1,xxxxxxxxxx\n', { maxFieldBytes: 4 }],
  ['too many columns', 'a,b,c\n1,2,3\n', { maxColumns: 2 }],
  ['over maxBytes', 'a,b\n1,2\n3,4\n', { maxBytes: 8 }],
];

describe('CsvParsePool', () => {
  const pools: CsvParsePool[] = [];
  const newPool = (options: CsvParsePoolOptions) => {
    const pool = new CsvParsePool(options);
    pools.push(pool);
    return pool;
  };
  afterAll(() => Promise.all(pools.map((pool) => pool.close())));

  it.each(files)('gives %s exactly the outcome CsvProfiler gives, whole and in 1-byte chunks', async (_label, file, limits) => {
    const pool = newPool({ workers: 1 });
    for (const size of [0, 1]) {
      const expected = await outcome(profile(file, { chunkSize: size, limits }));
      expect(await outcome(pooledProfile(pool, 't', chunked(file, size), limits))).toEqual(expected);
    }
    expect(pool.inUse('t')).toBe(0);
  });

  it('bounds every thread\'s heap: 128 MiB unless told otherwise, so threads × heap bounds the pool', async () => {
    expect(defaultCsvParseWorkerHeapMb).toBe(128);
    const pool = newPool({ workers: 2, perTenant: 2 });
    // Both threads started (each by a parse of its own), then asked what Node gave them.
    const [first, second] = await Promise.all([pool.acquire('heap'), pool.acquire('heap')]);
    await Promise.all([first!, second!].map((thread) => pipeline(Readable.from([Buffer.from('a,b\n1,2\n')]), thread.profiler({}))));
    expect(pool.threadHeapLimitsMb()).toEqual([128, 128]);
    const told = newPool({ workers: 1, workerHeapMb: 48 });
    await pooledProfile(told, 'heap', [Buffer.from('a\n1\n')]);
    expect(told.threadHeapLimitsMb()).toEqual([48]);
  });

  it.each(files)("reads the first rows of %s exactly as the in-process preview did", async (_label, file, limits) => {
    const pool = newPool({ workers: 1 });
    for (const [size, limit] of [[0, 100], [3, 1], [1, 2]] as const) {
      const expected = await outcome(inProcessFirstRows(chunked(file, size), limits, limit));
      const thread = await pool.acquire('t');
      expect(await outcome(thread.firstRows(Readable.from(chunked(file, size)), limits, limit))).toEqual(expected);
    }
    expect(pool.inUse('t')).toBe(0);
  });

  it('stops reading first rows after maxReadBytes once the header is in: a row too large to answer is not parsed to its end', async () => {
    const pool = newPool({ workers: 1 });
    let pulled = 0;
    const counted = async function* (parts: Buffer[]) {
      for (const part of parts) {
        pulled += part.length;
        yield part;
      }
    };
    // A value of 900 KiB after the first row: no answer of 64 KiB can hold it, and before, every
    // byte of it (of a first row of a thousand such values, 900 MiB) was parsed for each preview.
    const big = chunked(Buffer.from(`a\n1\n${'x'.repeat(900 * 1024)}\n2\n`), 16 * 1024);
    let thread = await pool.acquire('t');
    expect(await thread.firstRows(counted(big), {}, 100, 64 * 1024, 128 * 1024)).toEqual({ columns: ['a'], rows: [['1']] });
    expect(pulled).toBeLessThanOrEqual(128 * 1024 + 16 * 1024);
    // The header is read whatever its length (the answer names the columns); the bound counts on from there.
    pulled = 0;
    const spacedHeader = chunked(Buffer.from(`"${' '.repeat(200 * 1024)}a"\n1\n2\n`), 16 * 1024);
    thread = await pool.acquire('t');
    const afterHeader = await thread.firstRows(counted(spacedHeader), {}, 100, 64 * 1024, 128 * 1024);
    // (The rows complete in the chunk that ended it: csv-parse holds back the last line break of a chunk.)
    expect(afterHeader).toEqual({ columns: ['a'], rows: [['1']] });
    expect(pool.inUse('t')).toBe(0);
  });

  it("holds at most perTenant threads per tenant: one more waits its turn, first come first served, while another tenant's goes ahead", async () => {
    const pool = newPool({ workers: 2, perTenant: 1, queueTimeoutMs: 5_000 });
    const first = await pool.acquire('a');
    let granted = false;
    const second = pool.acquire('a').then((thread) => {
      granted = true;
      return thread;
    });
    // B is not queued behind A's waiting request.
    const other = await pool.acquire('b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(granted).toBe(false);
    expect(pool.inUse('a')).toBe(1);
    first.release();
    (await second).release();
    expect(granted).toBe(true);
    other.release();
    expect([pool.inUse('a'), pool.inUse('b')]).toEqual([0, 0]);
  });

  it('refuses RATE_LIMITED (retryable) after the queue wait, and at once past the queue bound; nothing stays held', async () => {
    const pool = newPool({ workers: 2, perTenant: 1, queueTimeoutMs: 200, maxQueuedPerTenant: 1 });
    const held = await pool.acquire('a');
    const waiting = outcome(pool.acquire('a'));
    const beyond = await outcome(pool.acquire('a'));
    const refusal = { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1, limit: 'csvParseWorkers', limitValue: 1 } };
    expect(beyond).toMatchObject(refusal);
    expect(await waiting).toMatchObject(refusal);
    held.release();
    held.release(); // twice is once
    expect(pool.inUse('a')).toBe(0);
    (await pool.acquire('a')).release();
  });

  it('a thread that runs out of its heap fails only its own parse, typed; the parse beside it finishes and the pool starts a new thread', async () => {
    const lost: Array<{ reason: string; parsing: boolean }> = [];
    const pool = newPool({ workers: 2, perTenant: 1, workerHeapMb: 32, onThreadLost: ({ reason, parsing }) => lost.push({ reason, parsing }) });
    // Both threads started (one parse each at once), then B's parse runs on one of them, slowly.
    await Promise.all([pooledProfile(pool, 'a', [Buffer.from('a\n1\n')]), pooledProfile(pool, 'b', [Buffer.from('b\n1\n')])]);
    const before = pool.threadIds();
    expect(before).toHaveLength(2);
    const rows = Array.from({ length: 400 }, (_, i) => Buffer.from(`${i},${i * 2}\n`));
    const bThread = await pool.acquire('b');
    const bProfiler = bThread.profiler({});
    const bDone = pipeline(
      Readable.from(
        (async function* () {
          yield Buffer.from('x,y\n');
          for (const row of rows) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            yield row;
          }
        })(),
      ),
      bProfiler,
    );
    // One row of 200 values just under 1 MiB: within every limit, far beyond a 32 MiB heap.
    const value = Buffer.alloc(1024 * 1024 - 1, 'v');
    const header = Buffer.from(`${Array.from({ length: 200 }, (_, i) => `c${i}`).join(',')}\n`);
    const chunks = [header, ...Array.from({ length: 200 }, (_, i) => Buffer.concat([value, Buffer.from(i < 199 ? ',' : '\n')]))];
    const crashed = await outcome(pooledProfile(pool, 'a', chunks, { maxBytes: 400 * 1024 * 1024 }));
    expect(crashed).toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE', reason: 'CSV_TOO_COMPLEX' } });
    expect(lost).toEqual([{ reason: 'csvParseWorkerOutOfMemory', parsing: true }]);
    expect(pool.inUse('a')).toBe(0);

    await bDone;
    expect(await bProfiler.result()).toMatchObject({ rowCount: 400, columns: [{ name: 'x', type: 'INTEGER' }, { name: 'y', type: 'INTEGER' }] });
    expect(pool.inUse('b')).toBe(0);

    // The next parses get a working thread again, one of them new.
    const [again1, again2] = await Promise.all([pooledProfile(pool, 'a', [Buffer.from('a\n1\n')]), pooledProfile(pool, 'b', [Buffer.from('b\n2\n')])]);
    expect([again1.rowCount, again2.rowCount]).toEqual([1, 1]);
    const after = pool.threadIds();
    expect(after).toHaveLength(2);
    expect(after.filter((id) => !before.includes(id))).toHaveLength(1);
  });
});
