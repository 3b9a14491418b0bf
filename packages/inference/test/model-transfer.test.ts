import { buildLinearRegression, onnxFixtures } from '@tessera/onnx';
// The module object itself (not an import-star copy), so the spy is what worker-process.ts calls.
import childProcess = require('node:child_process');
import { serialize } from 'node:v8';
import { InferencePools } from '../src';
import { modelPartBytes } from '../src/worker/ipc-protocol';

/**
 * A model file reaches an inference process whenever a session must be created (first use, an
 * eviction from the process's session LRU, a replaced process) — and a tenant can make that happen
 * on every call (models rotating past the LRU, a model that always times out). The file used to
 * travel as one IPC message: structured clone serialises a message whole on the parent's event
 * loop, which every tenant's predictions share, so each load of a 96 MiB file held that loop for
 * 0.2–0.6 s on this machine. Sent in parts of 1 MiB, no single step holds it for long.
 */
const valuesInModel = 24 * 1024 * 1024; // 96 MiB of float32 weights (zeros)

/**
 * Records the size of every IPC message the pools send to their processes (what structured clone
 * serialises on the parent's event loop in one step), by wrapping `send` on each spawned child.
 */
function recordSentMessages(): { sizes: Array<{ kind: string; bytes: number }>; restore(): void } {
  const sizes: Array<{ kind: string; bytes: number }> = [];
  const spy = jest.spyOn(childProcess, 'spawn').mockImplementation(((...args: Parameters<typeof childProcess.spawn>) => {
    const child = originalSpawn(...args);
    const send = child.send.bind(child) as (...sendArgs: unknown[]) => boolean;
    child.send = ((message: unknown, ...rest: unknown[]) => {
      sizes.push({ kind: String((message as { kind?: unknown }).kind), bytes: serialize(message).byteLength });
      return send(message, ...rest);
    }) as typeof child.send;
    return child;
  }) as typeof childProcess.spawn);
  return { sizes, restore: () => spy.mockRestore() };
}
const originalSpawn = childProcess.spawn;

describe('InferencePools: a large model file reaches its process without holding the event loop', () => {
  const sent = recordSentMessages();
  const pools = new InferencePools({ shared: { processes: 1 }, modelBytesCacheBytes: 256 * 1024 * 1024 });
  afterAll(async () => {
    await pools.close();
    sent.restore();
  });
  const x = { x: { type: 'float32' as const, data: new Float32Array([0]), dims: [1, 1] } };

  it('loads and runs a 96 MiB model sent in parts of 1 MiB: no single message carries more than one part', async () => {
    const bytes = onnxFixtures.buildLargeWeightsModel(valuesInModel);
    expect(bytes.byteLength).toBeGreaterThan(96 * 1024 * 1024);
    const small = buildLinearRegression({ weights: [1], bias: 0 });
    await pools.predict({ tenantId: 't-transfer', tier: 'shared', modelKey: 'warm:1', load: async () => small, inputs: { input: { type: 'float32', data: new Float32Array([1]), dims: [1, 1] } } });
    // A small model still goes inline with its run: parts are only for files larger than one.
    expect(sent.sizes.filter((m) => m.kind === 'model-part')).toEqual([]);
    expect(sent.sizes.find((m) => m.kind === 'run')!.bytes).toBeGreaterThan(small.byteLength);

    const result = await pools.predict({ tenantId: 't-transfer', tier: 'shared', modelKey: 'big:1', load: async () => bytes, inputs: x, timeoutMs: 60_000 });
    expect(Array.from(result.outputs['out']!.data as number[])).toEqual([0]);
    expect(result.sessionLoaded).toBe(true);
    // Sent whole, the file was one message of its full size, serialised in one step on the event
    // loop every tenant's predictions share (0.2–0.6 s here); now each step is one part.
    const parts = sent.sizes.filter((m) => m.kind === 'model-part');
    expect(parts).toHaveLength(Math.ceil(bytes.byteLength / modelPartBytes));
    const overhead = 1024; // the message's other fields
    expect(Math.max(...sent.sizes.map((m) => m.bytes))).toBeLessThanOrEqual(modelPartBytes + overhead);
  });
});
