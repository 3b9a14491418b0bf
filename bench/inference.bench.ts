/**
 * `npm run bench:inference` — what serving a model through Tessera costs, against onnxruntime
 * itself, and what dynamic batching buys. One run, one machine, same model:
 *
 *   raw      onnxruntime-node `session.run` on one row, in a loop, in this process, with the same
 *            intra-op thread count as the tenant's inference pool (the ceiling for one process);
 *   gateway  `predict` through the gateway (OIDC token, tenant, rate limit, signed context, query
 *            plan, models subgraph: version lookup, input validation, the tenant's pool over IPC)
 *            at concurrency 1, 8 and 32, with dynamic batching off and on (`updateModelServing`).
 *
 * The model is an MLP built in code: BENCH_MLP_FEATURES (256) inputs → BENCH_MLP_LAYERS (3) relu
 * layers of BENCH_MLP_WIDTH (2560) units → 16 outputs, float32 (55 MB of weights, 13.8 M
 * multiply-adds per row, ≈ 2–4 ms per row on one core): big enough that inference, not HTTP, is the
 * work. (Larger files fail on the local S3 server: s3rver does not implement the multipart listing the
 * minio client uses above 64 MiB; real S3/MinIO does.) Every answer is checked
 * against the raw session's output for the same row (an error or a wrong value counts as an error).
 * The load comes from a worker thread; warm-up is discarded; phases alternate over BENCH_ROUNDS so
 * drift hits all configurations alike.
 *
 * Targets (issue #4): at concurrency 32, batching gives ≥ 2× the throughput of no batching with
 * p99 ≤ 1.5× of it; predict through the gateway reaches ≥ 60% of raw onnxruntime throughput.
 * Environment: BENCH_REQUESTS per configuration (600), BENCH_WARMUP (60), BENCH_ROUNDS (2),
 * BENCH_RAW_RUNS (600), BENCH_MAX_BATCH (32), BENCH_MAX_DELAY_MS (2), BENCH_TIER (shared | dedicated),
 * BENCH_MLP_FEATURES, BENCH_MLP_WIDTH, BENCH_MLP_LAYERS. Exits non-zero on any error, never on a target.
 */
import { availableParallelism, loadavg } from 'node:os';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildMlp, type MlpLayer } from '@tessera/onnx';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import { fmt, intFromEnv, LoadGenerator, percentile, runBench, uploadModel, type LoadTarget, type ResponseExpectation, type RunResult } from './support';

const settings = {
  requests: intFromEnv('BENCH_REQUESTS', 600, 1),
  warmup: intFromEnv('BENCH_WARMUP', 60, 0),
  rounds: intFromEnv('BENCH_ROUNDS', 2, 1),
  rawRuns: intFromEnv('BENCH_RAW_RUNS', 600, 1),
  maxBatchSize: intFromEnv('BENCH_MAX_BATCH', 32, 2),
  maxDelayMs: intFromEnv('BENCH_MAX_DELAY_MS', 2, 0),
  features: intFromEnv('BENCH_MLP_FEATURES', 256, 1),
  width: intFromEnv('BENCH_MLP_WIDTH', 2560, 1),
  layers: intFromEnv('BENCH_MLP_LAYERS', 3, 1),
  tier: process.env['BENCH_TIER'] === 'dedicated' ? ('dedicated' as const) : ('shared' as const),
};
const concurrencies = [1, 8, 32] as const;
const outputs = 16;
const targets = { batchingThroughput: 2, batchingP99: 1.5, gatewayOfRaw: 0.6 };

/** Deterministic weights (a fixed LCG), scaled by 1/√fan-in so activations stay in range. */
function mlpLayers(): MlpLayer[] {
  let state = 42;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const sizes = [settings.features, ...Array<number>(settings.layers).fill(settings.width), outputs];
  return sizes.slice(1).map((units, i) => {
    const fanIn = sizes[i]!;
    const scale = 2 / Math.sqrt(fanIn);
    return {
      weights: Array.from({ length: fanIn }, () => Array.from({ length: units }, () => next() * scale)),
      bias: Array.from({ length: units }, () => next() * 0.1),
      activation: i === sizes.length - 2 ? 'none' : 'relu',
    };
  });
}

interface Summary {
  requests: number;
  errors: number;
  throughput: number;
  p50: number;
  p99: number;
  meanBatch: number;
}

function summarize(results: RunResult[]): Summary {
  const total = results.reduce((n, r) => n + r.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const r of results) {
    all.set(r.latenciesMs, offset);
    offset += r.latenciesMs.length;
  }
  all.sort();
  const errors = results.reduce((n, r) => n + r.errors, 0);
  return {
    requests: total,
    errors,
    throughput: total / (results.reduce((s, r) => s + r.durationMs, 0) / 1000),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    meanBatch: results.reduce((n, r) => n + r.batchSizeSum, 0) / Math.max(1, total - errors),
  };
}

async function rawBaseline(onnx: Uint8Array, row: Float32Array, intraOpNumThreads: number): Promise<{ summary: Summary; expected: number[] }> {
  const session = await InferenceSession.create(onnx, { intraOpNumThreads, interOpNumThreads: 1 });
  try {
    const feeds = { input: new Tensor('float32', row, [1, settings.features]) };
    let expected: number[] = [];
    for (let i = 0; i < 20; i += 1) expected = Array.from((await session.run(feeds))['output']!.data as Float32Array);
    const latencies = new Float64Array(settings.rawRuns);
    const started = performance.now();
    for (let i = 0; i < settings.rawRuns; i += 1) {
      const t0 = performance.now();
      await session.run(feeds);
      latencies[i] = performance.now() - t0;
    }
    const durationMs = performance.now() - started;
    const sorted = Float64Array.from(latencies).sort();
    return {
      summary: { requests: settings.rawRuns, errors: 0, throughput: settings.rawRuns / (durationMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), meanBatch: 1 },
      expected,
    };
  } finally {
    await session.release();
  }
}

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Building the MLP and starting the stack (issuer, S3 server, MariaDB, subgraphs, gateway)…');
  const onnx = buildMlp({ layers: mlpLayers() });
  const stack = await startTestStack({ tenantCacheTtlMs: 5000 });
  const load = new LoadGenerator(Math.max(...concurrencies));
  try {
    // The pool's processes and threads are tenant limits: the tier's former defaults (shared 1 × 1 thread,
    // dedicated 2 × one thread per core), and quotas that never refuse the load.
    const inference =
      settings.tier === 'dedicated' ? { inferenceProcesses: 2, inferenceThreads: availableParallelism() } : { inferenceProcesses: 1, inferenceThreads: 1 };
    const tenant = await stack.createTenant({
      tier: settings.tier,
      limits: {
        costPerMinute: 10_000_000,
        costBurst: 10_000_000,
        maxConcurrentOperations: 1_000,
        maxUploadBytes: 512 * 1024 * 1024,
        maxStorageBytes: 4 * 1024 * 1024 * 1024,
        predictionsPerMinute: 10_000_000,
        maxPredictionsInFlight: 10_000,
        maxQueuedPredictions: 10_000,
        ...inference,
      },
    });
    const scientist = await tenant.token('data_scientist');
    const modelId = await uploadModel(stack, scientist, onnx);
    const threads = inference.inferenceThreads;
    const row = Float32Array.from({ length: settings.features }, (_, i) => ((i * 37) % 101) / 101 - 0.5);

    const macs = [settings.features, ...Array<number>(settings.layers).fill(settings.width), outputs].reduce((sum, units, i, sizes) => (i === 0 ? 0 : sum + sizes[i - 1]! * units), 0);
    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ` +
        `MLP ${settings.features} → ${settings.layers}×${settings.width} relu → ${outputs} (${(onnx.length / 1e6).toFixed(1)} MB, ${(macs / 1e6).toFixed(1)} M multiply-adds per row); ` +
        `tenant tier ${settings.tier} (pool: ${inference.inferenceProcesses} process(es), ${threads} intra-op thread(s)); ` +
        `batching maxBatchSize ${settings.maxBatchSize}, maxDelayMs ${settings.maxDelayMs}; ${settings.requests} requests per configuration in ${settings.rounds} round(s) after ${settings.warmup} warm-up`,
    );

    const raw = await rawBaseline(onnx, row, threads);
    console.log(`raw onnxruntime: ${fmt(raw.summary.throughput, 0)} runs/s, p50 ${fmt(raw.summary.p50)} ms, p99 ${fmt(raw.summary.p99)} ms (${settings.rawRuns} runs of 1 row)`);

    const viewer = await stack.issueToken({ tenant: tenant.id, roles: ['viewer'], tokenTtlSeconds: 3600 });
    const target: LoadTarget = {
      name: 'predict',
      url: stack.graphqlUrl,
      tls: { ca: stack.pki.ca },
      headers: { authorization: `Bearer ${viewer}` },
      body: JSON.stringify({
        query: 'query($input: PredictInput!) { predict(input: $input) { outputs { data } batchSize } }',
        variables: { input: { modelId, version: 1, inputs: [{ name: 'input', shape: [1, settings.features], data: Array.from(row) }] } },
      }),
    };
    const expect: ResponseExpectation = { kind: 'predict', values: raw.expected };
    const serving = async (batching: boolean) =>
      expectNoErrors(
        await stack.query(scientist, `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`, {
          id: modelId,
          input: { batching, maxBatchSize: settings.maxBatchSize, maxDelayMs: settings.maxDelayMs },
        }),
      );

    const key = (batching: boolean, c: number) => `${batching ? 'batching' : 'no batching'} c=${c}`;
    const results = new Map<string, RunResult[]>();
    let warmupErrors = 0;
    const perRound = Math.max(1, Math.floor(settings.requests / settings.rounds));
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const batching of [false, true]) {
        await serving(batching);
        for (const c of concurrencies) {
          if (settings.warmup > 0) warmupErrors += (await load.runExpecting(target, settings.warmup, expect, c)).errors;
          const result = await load.runExpecting(target, perRound, expect, c);
          results.set(key(batching, c), [...(results.get(key(batching, c)) ?? []), result]);
          const s = summarize([result]);
          console.log(`  round ${round + 1} ${key(batching, c).padEnd(16)} ${fmt(s.throughput, 0).padStart(6)} req/s  p50 ${fmt(s.p50).padStart(7)} ms  p99 ${fmt(s.p99).padStart(7)} ms  mean batch ${fmt(s.meanBatch, 1)}`);
        }
      }
    }

    console.log('');
    console.log('configuration       requests  errors     req/s    p50 ms    p99 ms  mean batch  vs raw');
    const row_ = (name: string, s: Summary) =>
      console.log(
        `${name.padEnd(19)} ${String(s.requests).padStart(8)} ${String(s.errors).padStart(7)} ${fmt(s.throughput, 0).padStart(9)} ${fmt(s.p50).padStart(9)} ${fmt(s.p99).padStart(9)} ${fmt(s.meanBatch, 1).padStart(11)} ${`${fmt((100 * s.throughput) / raw.summary.throughput, 0)}%`.padStart(7)}`,
      );
    row_('raw onnxruntime', raw.summary);
    const summaries = new Map([...results].map(([name, list]) => [name, summarize(list)]));
    for (const [name, s] of summaries) row_(name, s);

    const off = summaries.get(key(false, 32))!;
    const on = summaries.get(key(true, 32))!;
    const throughputRatio = on.throughput / off.throughput;
    const p99Ratio = on.p99 / off.p99;
    const best = [...summaries.entries()].reduce((a, b) => (b[1].throughput > a[1].throughput ? b : a));
    const ofRaw = on.throughput / raw.summary.throughput;
    const errors = warmupErrors + [...summaries.values()].reduce((n, s) => n + s.errors, 0);
    const verdict = (met: boolean) => (errors > 0 ? 'not evaluated: the run had errors' : met ? 'MET' : 'NOT MET');
    console.log('');
    console.log(`batching at c=32: throughput ${fmt(throughputRatio)}× of no batching (target ≥ ${targets.batchingThroughput}×), p99 ${fmt(p99Ratio)}× (target ≤ ${targets.batchingP99}×) — ${verdict(throughputRatio >= targets.batchingThroughput && p99Ratio <= targets.batchingP99)}`);
    console.log(`gateway vs raw onnxruntime: batching c=32 reaches ${fmt(100 * ofRaw, 0)}% of raw throughput (target ≥ ${100 * targets.gatewayOfRaw}%) — ${verdict(ofRaw >= targets.gatewayOfRaw)}`);
    console.log(
      `  (best configuration: ${best[0]} at ${fmt((100 * best[1].throughput) / raw.summary.throughput, 0)}%; ` +
        `no batching c=1 at ${fmt((100 * summaries.get(key(false, 1))!.throughput) / raw.summary.throughput, 0)}%, ` +
        `p50 overhead at c=1 ${fmt(summaries.get(key(false, 1))!.p50 - raw.summary.p50)} ms over a raw run)`,
    );
    for (const [name, list] of results) for (const sample of list.flatMap((r) => r.errorSamples).slice(0, 3)) console.error(`  ${name} error: ${sample}`);
    if (errors > 0) {
      console.error(`FAILED: ${errors} request(s) did not return the expected prediction.`);
      return 1;
    }
    return 0;
  } finally {
    await load.close();
    await stack.stop();
  }
}

runBench(main);
