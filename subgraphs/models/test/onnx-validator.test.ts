import { buildMlp, onnxFixtures } from '@tessera/onnx';
import { validateOnnx } from '../src/domain/onnx-validation';
import { OnnxValidator } from '../src/domain/onnx-validator';

/** A file's own memory (as readExactly allocates it), holding `bytes`. */
function owned(bytes: Uint8Array): Buffer {
  const buffer = Buffer.allocUnsafeSlow(bytes.length);
  buffer.set(bytes);
  return buffer;
}

const mlp = buildMlp({ layers: [{ weights: Array.from({ length: 128 }, (_, i) => Array.from({ length: 64 }, (_, j) => ((i * j) % 5) / 10)), bias: new Array<number>(64).fill(0.5), activation: 'relu' }] });

/**
 * Uploaded files of `inlineBelowBytes` and more are validated on threads: the same answer as on
 * the event loop, the file's memory moved there and back (the caller's buffer is detached while
 * it is away), a refusal typed as inline, at most `threads` threads whatever the number of files.
 */
describe('OnnxValidator', () => {
  const validator = new OnnxValidator({ threads: 2, inlineBelowBytes: 1024 });
  afterAll(() => validator.close());

  it('answers as inline validation does, and moves the memory rather than copying it', async () => {
    const sent = owned(mlp);
    const validation = validator.validate(sent);
    expect(sent.buffer.byteLength).toBe(0); // transferred to the thread
    const result = await validation;
    expect(result.info).toEqual(validateOnnx(mlp));
    expect(result.bytes.length).toBe(mlp.length);
    expect(Buffer.compare(result.bytes, Buffer.from(mlp))).toBe(0);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps small files on the calling thread', async () => {
    const small = owned(onnxFixtures.buildDeepChainModel(2));
    expect(small.length).toBeLessThan(1024);
    const result = await validator.validate(small);
    expect(result.bytes).toBe(small);
  });

  it('refuses a bad file with the same typed error, and runs many files on at most two threads', async () => {
    await expect(validator.validate(owned(new Uint8Array(4096).fill(7)))).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'NOT_ONNX' } });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => validator.validate(owned(onnxFixtures.buildDeepChainModel(200 + i)))));
    expect(results.map((result) => result.info.inputs[0]!.name)).toEqual(new Array(6).fill('input'));
    expect(validator.threadCount).toBeLessThanOrEqual(2);
  });
});

describe('OnnxValidator: tenants take turns', () => {
  const single = new OnnxValidator({ threads: 1, inlineBelowBytes: 1024 });
  afterAll(() => single.close());

  it("a tenant's queued files do not hold up another tenant's: the next file is the one of the tenant with the fewest ahead of it", async () => {
    // First in, first out let one tenant queue as many slow files as its upload memory holds (~36
    // chains of 2 s at 256 MiB) in front of everyone else's upload, on the one thread of the default.
    const finished: string[] = [];
    const submit = (tenant: string, label: string) =>
      single.validate(owned(onnxFixtures.buildDeepChainModel(300)), tenant).then(() => finished.push(label));
    const flood = ['b1', 'b2', 'b3', 'b4'].map((label) => submit('tenant-b', label));
    const other = submit('tenant-a', 'a1');
    await Promise.all([...flood, other]);
    expect(finished).toEqual(['b1', 'a1', 'b2', 'b3', 'b4']);
  });
});

describe('OnnxValidator with a heap cap', () => {
  const capped = new OnnxValidator({ threads: 1, inlineBelowBytes: 1024, maxHeapMb: 64 });
  afterAll(() => capped.close());

  it('refuses a file whose decoding needs more than a thread may hold, typed, and the next file gets a new thread', async () => {
    const huge = owned(onnxFixtures.buildDeepChainModel(600_000));
    await expect(capped.validate(huge)).rejects.toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE', reason: 'MODEL_TOO_COMPLEX', maxHeapMb: 64 } });
    const result = await capped.validate(owned(mlp));
    expect(result.info).toEqual(validateOnnx(mlp));
  });
});
