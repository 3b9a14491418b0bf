/**
 * npm run bench:model-upload — does validating a large uploaded ONNX file hold up other tenants' predictions?
 *
 * Tenant A uploads a valid chain of BENCH_CHAIN_NODES Relu nodes (default 150 000: about 5.5 MiB
 * that take seconds to decode and check) while tenant B predicts, one call at a time. Twice, each
 * on its own stack: with the validation on its thread (as deployed), and inline on the event loop
 * (`inlineValidationBelowBytes: Infinity`, as before). The subgraphs run in this process, so the
 * event loop's delay is theirs.
 *
 * Reported per mode: B's predictions alone (BENCH_BASELINE_MS, 2 000) and during A's upload (from
 * the PUT to its answer): how many, p50, p99 and max latency, the event loop's max delay, and how
 * long A's upload took.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildLinearRegression, onnxFixtures } from '@tessera/onnx';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import { fmt, intFromEnv, runBench, uploadModel } from './support';

const settings = {
  chainNodes: intFromEnv('BENCH_CHAIN_NODES', 150_000, 1),
  baselineMs: intFromEnv('BENCH_BASELINE_MS', 2_000, 100),
};

const predictQuery = 'query($input: PredictInput!) { predict(input: $input) { outputs { data } batchSize } }';

interface Phase {
  predictions: number;
  p50: number;
  p99: number;
  max: number;
  loopDelayMaxMs: number;
}

function percentileOf(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** B predicts one call at a time until `until` settles; latencies in ms. */
async function predictWhile(stack: TestStack, token: string, modelId: string, until: Promise<unknown>): Promise<Phase> {
  let done = false;
  void until.finally(() => (done = true));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    expectNoErrors(await stack.query(token, predictQuery, { input: { modelId, version: 1, inputs: [{ name: 'input', shape: [1, 2], data: [1, 2] }] } }));
    latencies.push(performance.now() - started);
  }
  loop.disable();
  latencies.sort((x, y) => x - y);
  return { predictions: latencies.length, p50: percentileOf(latencies, 50), p99: percentileOf(latencies, 99), max: latencies.at(-1) ?? NaN, loopDelayMaxMs: loop.max / 1e6 };
}

async function putModel(stack: TestStack, token: string, onnx: Uint8Array, name: string): Promise<number> {
  const modelId = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, 'mutation($name: String!) { createModel(input: { name: $name }) { id } }', { name })).createModel.id;
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { uploadUrl: string } }>(token, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { uploadUrl } }', {
      input: { modelId, filename: 'chain.onnx', byteSize: onnx.length },
    }),
  ).createModelUpload;
  const started = performance.now();
  const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(onnx) });
  if (response.status !== 200) throw new Error(`upload failed: HTTP ${response.status} ${await response.text()}`);
  return performance.now() - started;
}

async function runMode(mode: 'thread' | 'inline', chain: Uint8Array): Promise<{ alone: Phase; during: Phase; uploadMs: number }> {
  const stack = await startTestStack(mode === 'inline' ? { modelUploads: { inlineValidationBelowBytes: Number.POSITIVE_INFINITY } } : {});
  try {
    const [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    const served = await uploadModel(stack, tokenB, buildLinearRegression({ weights: [0.5, -1.25], bias: 0.75 }), 'served');
    // Warm-up: B's inference process and session, A's first upload (and the validation thread).
    await predictWhile(stack, tokenB, served, new Promise((resolve) => setTimeout(resolve, 500)));
    await putModel(stack, tokenA, onnxFixtures.buildDeepChainModel(2_000), 'warm-up');
    const alone = await predictWhile(stack, tokenB, served, new Promise((resolve) => setTimeout(resolve, settings.baselineMs)));
    let uploadMs = 0;
    const upload = putModel(stack, tokenA, chain, 'chain').then((ms) => (uploadMs = ms));
    const during = await predictWhile(stack, tokenB, served, upload);
    await upload;
    return { alone, during, uploadMs };
  } finally {
    await stack.stop();
  }
}

const row = (label: string, phase: Phase) =>
  `${label.padEnd(28)} ${String(phase.predictions).padStart(6)} ${fmt(phase.p50).padStart(9)} ${fmt(phase.p99).padStart(9)} ${fmt(phase.max).padStart(9)} ${fmt(phase.loopDelayMaxMs).padStart(12)}`;

runBench(async () => {
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  const chain = onnxFixtures.buildDeepChainModel(settings.chainNodes);
  console.log(`model upload bench: a chain of ${settings.chainNodes} nodes (${fmt(chain.length / 1024 / 1024)} MiB) uploaded by tenant A while tenant B predicts`);
  const results = { thread: await runMode('thread', chain), inline: await runMode('inline', chain) };
  console.log(`${'phase'.padEnd(28)} ${'calls'.padStart(6)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'max ms'.padStart(9)} ${'loop max ms'.padStart(12)}`);
  for (const [mode, result] of Object.entries(results)) {
    console.log(row(`${mode}: B alone`, result.alone));
    console.log(row(`${mode}: B during A's upload`, result.during));
    console.log(`${mode}: A's upload took ${fmt(result.uploadMs, 0)} ms`);
  }
  return 0;
});
