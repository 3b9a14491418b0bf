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
    const validation = validator.validate(sent, 'tenant-a');
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
    const result = await validator.validate(small, 'tenant-a');
    expect(result.bytes).toBe(small);
  });

  it('refuses a bad file with the same typed error, and runs many files on at most two threads', async () => {
    await expect(validator.validate(owned(new Uint8Array(4096).fill(7)), 'tenant-a')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'NOT_ONNX' } });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => validator.validate(owned(onnxFixtures.buildDeepChainModel(200 + i)), 'tenant-a')));
    expect(results.map((result) => result.info.inputs[0]!.name)).toEqual(new Array(6).fill('input'));
    expect(validator.threadCount).toBeLessThanOrEqual(2);
  });
});

describe('OnnxValidator with a heap cap', () => {
  const capped = new OnnxValidator({ threads: 1, inlineBelowBytes: 1024, maxHeapMb: 64 });
  afterAll(() => capped.close());

  it('refuses a file whose decoding needs more than a thread may hold, typed, and the next file gets a new thread', async () => {
    const huge = owned(onnxFixtures.buildDeepChainModel(600_000));
    await expect(capped.validate(huge, 'tenant-a')).rejects.toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE', reason: 'MODEL_TOO_COMPLEX', maxHeapMb: 64 } });
    const result = await capped.validate(owned(mlp), 'tenant-a');
    expect(result.info).toEqual(validateOnnx(mlp));
  });
});

/**
 * The validation threads serve every tenant's uploads (one by default). Files waited in one queue,
 * first come first served: a tenant keeping its eight transfer slots busy with 5 MiB chains (about
 * 1.5 s each on a thread) kept another tenant's 60 KB model waiting behind all of them, 8–12 s
 * instead of 60 ms. Waiting files are now taken in turns by tenant, and a tenant validates at most
 * all threads but one at once (one at a time with one or two threads).
 */
describe('OnnxValidator shared by tenants', () => {
  it('takes waiting files in turns by tenant: one file of tenant A waits for at most the file of B in progress', async () => {
    const validator = new OnnxValidator({ threads: 1, inlineBelowBytes: 1024 });
    const validations: Array<Promise<unknown>> = [];
    try {
      const finished: string[] = [];
      const files = Array.from({ length: 4 }, (_, i) => validator.validate(owned(onnxFixtures.buildDeepChainModel(2_000 + i)), 'tenant-b').then(() => finished.push(`b${i}`)));
      const a = validator.validate(owned(onnxFixtures.buildDeepChainModel(1_000)), 'tenant-a').then(() => finished.push('a'));
      validations.push(...files, a);
      await Promise.all([...files, a]);
      expect(finished).toEqual(['b0', 'a', 'b1', 'b2', 'b3']);
    } finally {
      await Promise.allSettled(validations);
      await validator.close();
    }
  });

  it('leaves a thread for the other tenants: with two threads, a tenant validates one file at a time', async () => {
    const validator = new OnnxValidator({ threads: 2, inlineBelowBytes: 1024 });
    const validations: Array<Promise<unknown>> = [];
    try {
      for (let i = 0; i < 3; i++) validations.push(validator.validate(owned(onnxFixtures.buildDeepChainModel(2_000 + i)), 'tenant-b'));
      expect(validator.threadCount).toBe(1);
      validations.push(validator.validate(owned(onnxFixtures.buildDeepChainModel(1_000)), 'tenant-a'));
      expect(validator.threadCount).toBe(2);
      await Promise.all(validations);
    } finally {
      await Promise.allSettled(validations);
      await validator.close();
    }
  });
});
