/**
 * Developer measurement (not a test): raw in-process onnxruntime vs InferencePools.predict on an MLP,
 * at concurrency 1 and 32, with and without dynamic batching. Run: npx tsx packages/inference/scripts/ipc-overhead.ts
 */
import * as ort from 'onnxruntime-node';
import { buildMlp } from '@tessera/onnx';
import { InferencePools } from '../src';

const features = 16;
const layer = (inputs: number, outputs: number, activation: 'relu' | 'none') => ({
  weights: Array.from({ length: inputs }, (_, i) => Array.from({ length: outputs }, (_, j) => Math.sin(i * 31 + j) / 4)),
  bias: Array.from({ length: outputs }, (_, j) => j / 100),
  activation,
});
const model = buildMlp({ layers: [layer(features, 64, 'relu'), layer(64, 64, 'relu'), layer(64, 1, 'none')] });
const row = Array.from({ length: features }, (_, i) => i / features);
const durationMs = Number(process.env['DURATION_MS'] ?? 2000);

async function measure(name: string, concurrency: number, call: () => Promise<unknown>): Promise<number> {
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        await call();
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const throughput = latencies.length / (durationMs / 1000);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  console.log(`${name.padEnd(34)} c=${String(concurrency).padEnd(3)} ${throughput.toFixed(0).padStart(7)} req/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
  return throughput;
}

async function main(): Promise<void> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, executionMode: 'sequential' });
  const raw = await measure('raw session.run', 1, () => session.run({ input: new ort.Tensor('float32', Float32Array.from(row), [1, features]) }));
  const pools = new InferencePools({ shared: { processes: 1 } });
  const predict = (batching: false | { maxBatchSize: number; maxDelayMs: number }) => () =>
    pools.predict({ tenantId: 't', tier: 'shared', modelKey: 'mlp', load: async () => model, inputs: { input: { type: 'float32', data: row, dims: [1, features] } }, batching });
  await predict(false)();
  const c1 = await measure('predict, no batching', 1, predict(false));
  await measure('predict, batching (64, 0 ms)', 1, predict({ maxBatchSize: 64, maxDelayMs: 0 }));
  await measure('predict, batching (64, 2 ms)', 1, predict({ maxBatchSize: 64, maxDelayMs: 2 }));
  await measure('predict, no batching', 32, predict(false));
  await measure('predict, batching (64, 2 ms)', 32, predict({ maxBatchSize: 64, maxDelayMs: 2 }));
  const batched = await measure('predict, batching (64, 0 ms)', 32, predict({ maxBatchSize: 64, maxDelayMs: 0 }));
  console.log(`ratios: predict c=1 / raw = ${(c1 / raw).toFixed(2)}, batched c=32 / raw = ${(batched / raw).toFixed(2)}`);
  // Big tensors: 4096 rows in one call (256 KiB in, 16 KiB out) — typed arrays over the IPC channel.
  const rows = 4096;
  const big = Float32Array.from({ length: rows * features }, (_, i) => (i % 97) / 97);
  const rawBig = await measure(`raw session.run, ${rows} rows`, 1, () => session.run({ input: new ort.Tensor('float32', big, [rows, features]) }));
  const predictBig = await measure(`predict, ${rows} rows (Float32Array)`, 1, () =>
    pools.predict({ tenantId: 't', tier: 'shared', modelKey: 'mlp', load: async () => model, inputs: { input: { type: 'float32', data: big, dims: [rows, features] } }, batching: false }),
  );
  console.log(`ratio big: predict / raw = ${(predictBig / rawBig).toFixed(2)}`);
  await pools.close();
}

void main();
