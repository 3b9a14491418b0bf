import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CHUNK_SIZE,
  HEADER_SIZE,
  CryptoError,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  encryptBuffer,
  encryptedSize,
  generateDataKey,
  readKeyVersion,
} from '../src';

const SEALED = CHUNK_SIZE + 16;
const AD = 'tenant-a/datasets/iris.csv';
const dek = generateDataKey();
const encOpts = { dataKey: dek, keyVersion: 1, associatedData: AD };
const decOpts = { resolveKey: () => dek, associatedData: AD };

const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 17, 5 * 1024 * 1024];

/** Feeds `input` in pieces of the given sizes (cycled) so chunk boundaries never line up with writes. */
function source(input: Buffer, pieces: number[] = [input.length || 1]): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; offset < input.length; i += 1) {
    const size = pieces[i % pieces.length] ?? 1;
    parts.push(input.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(parts);
}

function collector(): { sink: Writable; output: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, output: () => Buffer.concat(chunks) };
}

async function viaStreams(input: Buffer, pieces?: number[]): Promise<{ ciphertext: Buffer; plaintext: Buffer }> {
  const enc = collector();
  await pipeline(source(input, pieces), createEncryptStream(encOpts), enc.sink);
  const ciphertext = enc.output();
  const dec = collector();
  await pipeline(source(ciphertext, pieces), createDecryptStream(decOpts), dec.sink);
  return { ciphertext, plaintext: dec.output() };
}

/** Decrypts and returns both the outcome and every plaintext byte the stream released. */
async function decryptCollecting(ciphertext: Buffer, opts = decOpts): Promise<{ error: unknown; released: Buffer }> {
  const dec = collector();
  try {
    await pipeline(source(ciphertext, [4096]), createDecryptStream(opts), dec.sink);
    return { error: undefined, released: dec.output() };
  } catch (error) {
    return { error, released: dec.output() };
  }
}

async function expectTampered(ciphertext: Buffer, opts = decOpts): Promise<void> {
  await expect(decryptBuffer(ciphertext, opts)).rejects.toMatchObject({ name: 'CryptoError', code: 'OBJECT_TAMPERED' });
  const { error } = await decryptCollecting(ciphertext, opts);
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe('OBJECT_TAMPERED');
}

const flip = (buf: Buffer, index: number): Buffer => {
  const copy = Buffer.from(buf);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
};

/** Byte range [start, end) of chunk `i` in the ciphertext. */
const chunkRange = (i: number, total: number): [number, number] => [
  HEADER_SIZE + i * SEALED,
  Math.min(HEADER_SIZE + (i + 1) * SEALED, total),
];

describe('object cipher round trips', () => {
  it.each(SIZES)('streams %i bytes', async (size) => {
    const input = randomBytes(size);
    const { ciphertext, plaintext } = await viaStreams(input);
    expect(plaintext.equals(input)).toBe(true);
    expect(ciphertext.length).toBe(encryptedSize(size));
  });

  it.each(SIZES)('buffer helpers handle %i bytes', async (size) => {
    const input = randomBytes(size);
    const ciphertext = await encryptBuffer(input, encOpts);
    expect(ciphertext.length).toBe(encryptedSize(size));
    expect((await decryptBuffer(ciphertext, decOpts)).equals(input)).toBe(true);
  });

  it('does not depend on how the input is split into writes', async () => {
    const input = randomBytes(3 * CHUNK_SIZE + 17);
    const { ciphertext, plaintext } = await viaStreams(input, [1, 7, 1000, CHUNK_SIZE + 3, 5]);
    expect(plaintext.equals(input)).toBe(true);
    expect(ciphertext.length).toBe(encryptedSize(input.length));
  });

  it('encryptedSize counts one chunk for empty input and no extra chunk at exact multiples', () => {
    expect(encryptedSize(0)).toBe(HEADER_SIZE + 16);
    expect(encryptedSize(CHUNK_SIZE)).toBe(HEADER_SIZE + CHUNK_SIZE + 16);
    expect(encryptedSize(2 * CHUNK_SIZE + 1)).toBe(HEADER_SIZE + 2 * CHUNK_SIZE + 1 + 3 * 16);
    expect(() => encryptedSize(-1)).toThrow(CryptoError);
  });

  it('uses a fresh salt and nonce prefix per object', async () => {
    const input = randomBytes(100);
    const a = await encryptBuffer(input, encOpts);
    const b = await encryptBuffer(input, encOpts);
    expect(a.subarray(9, HEADER_SIZE).equals(b.subarray(9, HEADER_SIZE))).toBe(false);
    expect(a.subarray(HEADER_SIZE).equals(b.subarray(HEADER_SIZE))).toBe(false);
  });
});

describe('key versions', () => {
  it('resolves the DEK from the header key version', async () => {
    const keys = new Map([
      [1, generateDataKey()],
      [2, generateDataKey()],
    ]);
    const v1Plain = randomBytes(CHUNK_SIZE + 5);
    const v2Plain = randomBytes(77);
    const v1 = await encryptBuffer(v1Plain, { dataKey: keys.get(1)!, keyVersion: 1, associatedData: AD });
    const v2 = await encryptBuffer(v2Plain, { dataKey: keys.get(2)!, keyVersion: 2, associatedData: AD });
    expect(readKeyVersion(v1)).toBe(1);
    expect(readKeyVersion(v2.subarray(0, HEADER_SIZE))).toBe(2);

    const requested: number[] = [];
    const resolveKey = async (version: number) => {
      requested.push(version);
      const key = keys.get(version);
      if (!key) throw new Error(`no key ${version}`);
      return key;
    };
    expect((await decryptBuffer(v1, { resolveKey, associatedData: AD })).equals(v1Plain)).toBe(true);
    expect((await decryptBuffer(v2, { resolveKey, associatedData: AD })).equals(v2Plain)).toBe(true);
    expect(requested).toEqual([1, 2]);
  });

  it('passes resolver errors through unchanged', async () => {
    const ciphertext = await encryptBuffer(randomBytes(10), encOpts);
    const failure = new Error('key version retired');
    await expect(decryptBuffer(ciphertext, { resolveKey: () => Promise.reject(failure), associatedData: AD })).rejects.toBe(failure);
  });

  it('readKeyVersion rejects a short or foreign header', () => {
    expect(() => readKeyVersion(Buffer.alloc(HEADER_SIZE - 1))).toThrow(expect.objectContaining({ code: 'OBJECT_TAMPERED' }));
    expect(() => readKeyVersion(Buffer.alloc(HEADER_SIZE))).toThrow(expect.objectContaining({ code: 'OBJECT_TAMPERED' }));
  });
});

describe('tamper detection', () => {
  const size = 3 * CHUNK_SIZE + 17; // chunks 0..2 full, chunk 3 short and last
  let plaintext: Buffer;
  let ciphertext: Buffer;

  beforeAll(async () => {
    plaintext = randomBytes(size);
    ciphertext = await encryptBuffer(plaintext, encOpts);
  });

  it('flipped magic byte', () => expectTampered(flip(ciphertext, 0)));
  it('flipped format version', () => expectTampered(flip(ciphertext, 4)));
  it('flipped key version (resolver returns the same key)', () => expectTampered(flip(ciphertext, 8)));
  it('flipped salt byte', () => expectTampered(flip(ciphertext, 20)));
  it('flipped nonce prefix byte', () => expectTampered(flip(ciphertext, HEADER_SIZE - 1)));

  it('flipped byte in a middle chunk', () => expectTampered(flip(ciphertext, chunkRange(1, ciphertext.length)[0] + 100)));
  it('flipped byte in the last tag', () => expectTampered(flip(ciphertext, ciphertext.length - 1)));

  it('truncated at a chunk boundary (final chunk dropped)', () =>
    expectTampered(ciphertext.subarray(0, chunkRange(3, ciphertext.length)[0])));
  it('truncated at a chunk boundary of an exact-multiple object', async () => {
    const exact = await encryptBuffer(randomBytes(2 * CHUNK_SIZE), encOpts);
    await expectTampered(exact.subarray(0, HEADER_SIZE + SEALED));
  });
  it('truncated mid-chunk', () => expectTampered(ciphertext.subarray(0, chunkRange(1, ciphertext.length)[0] + 1234)));
  it('truncated inside the last tag', () => expectTampered(ciphertext.subarray(0, ciphertext.length - 1)));
  it('truncated to the header only', () => expectTampered(ciphertext.subarray(0, HEADER_SIZE)));
  it('truncated inside the header', () => expectTampered(ciphertext.subarray(0, 10)));
  it('empty input', () => expectTampered(Buffer.alloc(0)));

  it('swapped chunks', () => {
    const [a0, a1] = chunkRange(0, ciphertext.length);
    const [b0, b1] = chunkRange(1, ciphertext.length);
    const swapped = Buffer.concat([
      ciphertext.subarray(0, a0),
      ciphertext.subarray(b0, b1),
      ciphertext.subarray(a0, a1),
      ciphertext.subarray(b1),
    ]);
    expect(swapped.length).toBe(ciphertext.length);
    return expectTampered(swapped);
  });

  it('chunk spliced in from another object under the same DEK', async () => {
    const other = await encryptBuffer(randomBytes(size), encOpts);
    const [s, e] = chunkRange(1, ciphertext.length);
    return expectTampered(Buffer.concat([ciphertext.subarray(0, s), other.subarray(s, e), ciphertext.subarray(e)]));
  });

  it('appended bytes', async () => {
    await expectTampered(Buffer.concat([ciphertext, Buffer.from([0])]));
    await expectTampered(Buffer.concat([ciphertext, randomBytes(SEALED)]));
    const [s, e] = chunkRange(3, ciphertext.length);
    await expectTampered(Buffer.concat([ciphertext, ciphertext.subarray(s, e)]));
  });

  it('appended bytes after an exact-multiple object', async () => {
    const exact = await encryptBuffer(randomBytes(CHUNK_SIZE), encOpts);
    await expectTampered(Buffer.concat([exact, randomBytes(16)]));
  });

  it('wrong associatedData', () => expectTampered(ciphertext, { ...decOpts, associatedData: 'tenant-b/datasets/iris.csv' }));
  it('different DEK', () => expectTampered(ciphertext, { ...decOpts, resolveKey: () => generateDataKey() }));
});

describe('no unverified plaintext is released', () => {
  let plaintext: Buffer;
  let ciphertext: Buffer;

  beforeAll(async () => {
    plaintext = randomBytes(3 * CHUNK_SIZE + 17);
    ciphertext = await encryptBuffer(plaintext, encOpts);
  });

  it('stops before a corrupted middle chunk', async () => {
    const { error, released } = await decryptCollecting(flip(ciphertext, chunkRange(1, ciphertext.length)[0] + 5));
    expect((error as CryptoError).code).toBe('OBJECT_TAMPERED');
    expect(released.equals(plaintext.subarray(0, CHUNK_SIZE))).toBe(true);
  });

  it('stops before a last chunk with a bad tag', async () => {
    const { error, released } = await decryptCollecting(flip(ciphertext, ciphertext.length - 1));
    expect((error as CryptoError).code).toBe('OBJECT_TAMPERED');
    expect(released.equals(plaintext.subarray(0, 3 * CHUNK_SIZE))).toBe(true);
  });

  it('releases nothing when the first chunk fails', async () => {
    const { error, released } = await decryptCollecting(ciphertext, { ...decOpts, associatedData: 'elsewhere' });
    expect((error as CryptoError).code).toBe('OBJECT_TAMPERED');
    expect(released.length).toBe(0);
  });
});

describe('backpressure', () => {
  it('does not run ahead of a consumer that stops reading', async () => {
    const encrypt = createEncryptStream(encOpts);
    let written = 0;
    const chunk = randomBytes(CHUNK_SIZE);
    // Nobody reads; write() must start returning false after a couple of chunks instead of buffering everything.
    while (encrypt.write(chunk)) {
      written += 1;
      if (written > 10) break;
    }
    expect(written).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(encrypt.readableLength).toBeLessThanOrEqual(2 * (SEALED + HEADER_SIZE));
    encrypt.destroy();
  });
});

it('rejects a DEK of the wrong length', async () => {
  expect(() => createEncryptStream({ ...encOpts, dataKey: randomBytes(16) })).toThrow(expect.objectContaining({ code: 'INVALID_DATA_KEY' }));
  const ciphertext = await encryptBuffer(randomBytes(10), encOpts);
  await expect(decryptBuffer(ciphertext, { ...decOpts, resolveKey: () => randomBytes(16) })).rejects.toMatchObject({ code: 'INVALID_DATA_KEY' });
});
