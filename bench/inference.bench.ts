/**
 * `npm run bench:inference` — what serving a model through Tessera costs, against onnxruntime
 * itself, and what dynamic batching buys. One run, one machine, same model:
 *
 *   raw 1 row     onnxruntime-node `session.run` on one row, back to back, in this process, with
 *                 the same intra-op thread count as the tenant's pool;
 *   raw batches   `session.run` back to back on the SAME batch sizes the pool ran in a phase (the
 *                 mix of rows per run it recorded), which is the ceiling batching can reach;
 *   floor         the same hops with no platform code (hop-floor.ts: a relay process, a mutual-TLS
 *                 server here, an IPC child running the same MLP): the least any implementation of
 *                 this layout can add to raw on this machine in this load, measured each round;
 *   graphql       the `predict` query through the gateway (OIDC token, tenant, rate limit, signed
 *                 context, query plan, models subgraph, the tenant's pool over IPC) at concurrency
 *                 1, 8 and 32, with dynamic batching off and on (`updateModelServing`);
 *   route         the same prediction through `POST /v1/predict` (the same pipeline and the same
 *                 PredictionService, no GraphQL on either hop), same concurrencies and batching.
 *
 * Layout: the gateway in its own process (the production layout; BENCH_GATEWAY=in-process puts it
 * in this process with the subgraphs), the subgraphs in this process, the inference pool's child
 * process, and the load on a worker thread of this process. Per phase it prints the CPU each of
 * those processes used per request (from /proc; the load thread's CPU is subtracted from this
 * process's, and what each burns idle — the platform's timers, measured for 5 s before the first
 * phase — is subtracted), and the CPU spent outside `session.run` per predict: everything the three
 * processes used minus the CPU the child spent inside `session.run`.
 *
 * The model is an MLP built in code: BENCH_MLP_FEATURES (256) inputs → BENCH_MLP_LAYERS (3) relu
 * layers of BENCH_MLP_WIDTH (2560) units → 16 outputs, float32 (55 MB of weights, 13.8 M
 * multiply-adds per row). (Larger files fail on the local S3 server: s3rver does not implement the
 * multipart listing the minio client uses above 64 MiB; real S3/MinIO does.) Every answer is
 * checked against the raw session's output for the same row. Inputs and outputs travel as base64
 * float32 (BENCH_ENCODING=json: number lists). Warm-up is discarded; phases alternate over
 * BENCH_ROUNDS so drift hits all configurations alike.
 *
 * Targets: c=1 p50 overhead over a raw 1-row run ≤ 1 ms; c=32 with batching ≥ 60 % of raw
 * `session.run` throughput on the same batch sizes, ≥ 2.5× the no-batching throughput at ≤ 1.5×
 * its p99. Environment: BENCH_REQUESTS per configuration (600), BENCH_WARMUP (60 before each
 * phase), BENCH_WARMUP_START (1000 per path and serving mode, and for the floor, once before the first round), BENCH_ROUNDS
 * (2), BENCH_RAW_RUNS (600), BENCH_MAX_BATCH (32), BENCH_MAX_DELAY_MS (2), BENCH_TIER (shared |
 * dedicated), BENCH_ENCODING (base64 | json), BENCH_GATEWAY (own-process | in-process),
 * BENCH_MLP_*, BENCH_PATHS (graphql,route), BENCH_PROFILE (ms; 0) and BENCH_PROFILE_CONCURRENCY (1).
 * Exits non-zero on any error, never on a target.
 */
import { availableParallelism, loadavg } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildMlp, type MlpLayer } from '@tessera/onnx';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack } from '@tessera/testing';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';
import { processCpuMicros } from './process-stats';
import { startHopFloor, type FloorRound } from './hop-floor';
import { profileOverInspector, profileThisProcess, summarizeProfile, topLines } from './cpu-profile';
import { fmt, intFromEnv, LoadGenerator, percentile, runBench, uploadModel, type LoadTarget, type ResponseExpectation, type RunResult } from './support';

const settings = {
  requests: intFromEnv('BENCH_REQUESTS', 600, 1),
  warmup: intFromEnv('BENCH_WARMUP', 60, 0),
  warmupStart: intFromEnv('BENCH_WARMUP_START', 1000, 0),
  rounds: intFromEnv('BENCH_ROUNDS', 2, 1),
  rawRuns: intFromEnv('BENCH_RAW_RUNS', 600, 1),
  maxBatchSize: intFromEnv('BENCH_MAX_BATCH', 32, 2),
  maxDelayMs: intFromEnv('BENCH_MAX_DELAY_MS', 2, 0),
  features: intFromEnv('BENCH_MLP_FEATURES', 256, 1),
  width: intFromEnv('BENCH_MLP_WIDTH', 2560, 1),
  layers: intFromEnv('BENCH_MLP_LAYERS', 3, 1),
  tier: process.env['BENCH_TIER'] === 'dedicated' ? ('dedicated' as const) : ('shared' as const),
  encoding: process.env['BENCH_ENCODING'] === 'json' ? ('json' as const) : ('base64' as const),
  gateway: process.env['BENCH_GATEWAY'] === 'in-process' ? ('in-process' as const) : ('own-process' as const),
  /** Which ways in to measure: the predict query, the predict route, or both (the default). */
  paths: pathsFromEnv(process.env['BENCH_PATHS'] ?? 'graphql,route'),
  /** BENCH_PROFILE=<ms>: V8 CPU profiles of the gateway and the subgraphs' process under c=1 load, printed before the phases. */
  profileMs: intFromEnv('BENCH_PROFILE', 0, 0),
  /** BENCH_PROFILE_CONCURRENCY: the profiled load's concurrency (1); above 1 the model batches, as in the c=32 batching phase. */
  profileConcurrency: intFromEnv('BENCH_PROFILE_CONCURRENCY', 1, 1),
};
const concurrencies = [1, 8, 32] as const;
type PredictPath = 'graphql' | 'route';

function pathsFromEnv(value: string): PredictPath[] {
  const paths = value.split(',').map((path) => path.trim());
  if (paths.length === 0 || paths.some((path) => path !== 'graphql' && path !== 'route')) throw new Error(`BENCH_PATHS: a comma-separated list of graphql and route, got ${JSON.stringify(value)}`);
  return [...new Set(paths as PredictPath[])];
}
const outputs = 16;
const targets = { c1OverheadMs: 1, ofRawSameBatches: 0.6, batchingThroughput: 2.5, batchingP99: 1.5 };

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

/** CPU µs each process used during a phase, and what the pool reported of its runs. */
interface PhaseCost {
  gatewayUs: number;
  subgraphUs: number;
  childUs: number;
  /** CPU milliseconds of the inference process inside `session.run` (its own measurement), summed over runs. */
  sessionRunMs: number;
  /** Runs of the pool by rows per run (1-row requests: rows = calls merged). */
  runsBySize: Map<number, number>;
}

interface Summary {
  requests: number;
  errors: number;
  throughput: number;
  p50: number;
  p99: number;
  meanBatch: number;
  cost: PhaseCost | undefined;
}

function summarize(results: Array<RunResult & { cost?: PhaseCost }>): Summary {
  const total = results.reduce((n, r) => n + r.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const r of results) {
    all.set(r.latenciesMs, offset);
    offset += r.latenciesMs.length;
  }
  all.sort();
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const costs = results.map((r) => r.cost).filter((c): c is PhaseCost => c !== undefined);
  const cost =
    costs.length === 0
      ? undefined
      : costs.reduce((a, b) => ({
          gatewayUs: a.gatewayUs + b.gatewayUs,
          subgraphUs: a.subgraphUs + b.subgraphUs,
          childUs: a.childUs + b.childUs,
          sessionRunMs: a.sessionRunMs + b.sessionRunMs,
          runsBySize: new Map([...new Set([...a.runsBySize.keys(), ...b.runsBySize.keys()])].map((k) => [k, (a.runsBySize.get(k) ?? 0) + (b.runsBySize.get(k) ?? 0)])),
        }));
  return {
    requests: total,
    errors,
    throughput: total / (results.reduce((s, r) => s + r.durationMs, 0) / 1000),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    meanBatch: results.reduce((n, r) => n + r.batchSizeSum, 0) / Math.max(1, total - errors),
    cost,
  };
}

async function rawOneRow(session: InferenceSession, row: Float32Array): Promise<{ summary: Summary; expected: number[] }> {
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
    summary: { requests: settings.rawRuns, errors: 0, throughput: settings.rawRuns / (durationMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), meanBatch: 1, cost: undefined },
    expected,
  };
}

/** Mean milliseconds of one `session.run` on `rows` rows, back to back (the ceiling for that batch size). */
async function rawBatchMs(session: InferenceSession, row: Float32Array, rows: number): Promise<number> {
  const data = new Float32Array(rows * settings.features);
  for (let r = 0; r < rows; r += 1) data.set(row, r * settings.features);
  const feeds = { input: new Tensor('float32', data, [rows, settings.features]) };
  for (let i = 0; i < 3; i += 1) await session.run(feeds);
  const runs = Math.max(10, Math.ceil(200 / rows));
  const started = performance.now();
  for (let i = 0; i < runs; i += 1) await session.run(feeds);
  return (performance.now() - started) / runs;
}

/** Rows per second `session.run` reaches on the phase's own mix of batch sizes. */
function rawOnSameBatches(runsBySize: Map<number, number>, msBySize: Map<number, number>): number {
  let rows = 0;
  let ms = 0;
  for (const [size, runs] of runsBySize) {
    rows += size * runs;
    ms += msBySize.get(size)! * runs;
  }
  return rows / (ms / 1000);
}

/** This process's threads by id (Linux): the load worker's thread is the one that appears when it starts. */
function threadIds(): Set<string> {
  try {
    return new Set(readdirSync(`/proc/${process.pid}/task`));
  } catch {
    return new Set();
  }
}

/** CPU time of some of this process's threads (Linux /proc/<pid>/task/<tid>/stat), µs. */
function threadCpuMicros(tids: string[]): number {
  let micros = 0;
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime in clock ticks (USER_HZ = 100).
      micros += ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
    } catch {
      // the thread ended
    }
  }
  return micros;
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] ??= 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Building the MLP and starting the stack (issuer, S3 server, MariaDB, subgraphs, gateway)…');
  const onnx = buildMlp({ layers: mlpLayers() });
  const stack = await startTestStack({ tenantCacheTtlMs: 5000 });
  let gatewayProcess: GatewayProcess | undefined;
  const before = threadIds();
  const loadGenerator = new LoadGenerator(Math.max(...concurrencies));
  try {
    if (settings.gateway === 'own-process') gatewayProcess = await startGatewayProcess(stack, { tenantCacheTtlMs: 5000, inspect: settings.profileMs > 0 });
    // The pool's processes and threads are tenant limits: shared 1 × 1 thread, dedicated 2 × one
    // thread per core, and quotas that never refuse the load.
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
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}; ` +
        `MLP ${settings.features} → ${settings.layers}×${settings.width} relu → ${outputs} (${(onnx.length / 1e6).toFixed(1)} MB, ${(macs / 1e6).toFixed(1)} M multiply-adds per row); ` +
        `tenant tier ${settings.tier} (pool: ${inference.inferenceProcesses} process(es), ${threads} intra-op thread(s)); ` +
        `batching maxBatchSize ${settings.maxBatchSize}, maxDelayMs ${settings.maxDelayMs}; tensors as ${settings.encoding}; gateway ${settings.gateway}; ` +
        `${settings.requests} requests per configuration in ${settings.rounds} round(s) after ${settings.warmupStart} warm-up per path and serving mode at the start and ${settings.warmup} before each phase`,
    );

    const session = await InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const raw = await rawOneRow(session, row);
    console.log(`raw onnxruntime: ${fmt(raw.summary.throughput, 0)} runs/s, p50 ${fmt(raw.summary.p50)} ms, p99 ${fmt(raw.summary.p99)} ms (${settings.rawRuns} runs of 1 row)`);

    const viewer = await stack.issueToken({ tenant: tenant.id, roles: ['viewer'], tokenTtlSeconds: 3600 });
    const tensor =
      settings.encoding === 'base64'
        ? { name: 'input', shape: [1, settings.features], dataBase64: Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('base64') }
        : { name: 'input', shape: [1, settings.features], data: Array.from(row) };
    const graphqlUrl = gatewayProcess?.graphqlUrl ?? stack.graphqlUrl;
    const predictTargets: Record<PredictPath, LoadTarget> = {
      graphql: {
        name: 'predict',
        url: graphqlUrl,
        tls: { ca: stack.pki.ca },
        headers: { authorization: `Bearer ${viewer}` },
        body: JSON.stringify({
          query: `query($input: PredictInput!) { predict(input: $input) { outputs { ${settings.encoding === 'base64' ? 'dataBase64' : 'data'} } batchSize } }`,
          variables: { input: { modelId, version: 1, inputs: [tensor] } },
        }),
      },
      route: {
        name: 'predict route',
        url: graphqlUrl.replace(/\/graphql$/, '/v1/predict'),
        tls: { ca: stack.pki.ca },
        headers: { authorization: `Bearer ${viewer}` },
        body: JSON.stringify({ modelId, version: 1, inputs: [tensor], outputFormat: settings.encoding === 'base64' ? 'base64' : 'numbers' }),
      },
    };
    let target = predictTargets[settings.paths[0]!];
    const expect: ResponseExpectation = { kind: 'predict', values: raw.expected };
    const serving = async (batching: boolean) =>
      expectNoErrors(
        await stack.query(scientist, `mutation($id: ID!, $input: ModelServingInput!) { updateModelServing(modelId: $id, input: $input) { id } }`, {
          id: modelId,
          input: { batching, maxBatchSize: settings.maxBatchSize, maxDelayMs: settings.maxDelayMs },
        }),
      );

    // What the pool reports per answered call: its share of session.run and how many calls its run merged.
    let sessionRunMs = 0;
    const runsBySize = new Map<number, number>();
    stack.platform.modelServing.pools.onRecord((record) => {
      if (record.tenantId !== tenant.id || !record.ok) return;
      // CPU, not wall time: on a busy host a run waits for a core, and that wait is nobody's CPU.
      // (A checkout whose pools do not report it yet: wall time, which overstates the run's share.)
      sessionRunMs += (record as { computeCpuMs?: number }).computeCpuMs ?? record.computeMs;
      runsBySize.set(record.batchSize, (runsBySize.get(record.batchSize) ?? 0) + 1 / record.batchSize);
    });
    const poolPids = () => stack.platform.modelServing.pools.poolFor(tenant.id, settings.tier).stats().workers.map((worker) => worker.pid);
    let loadThreads: string[] = [];
    const cpuNow = (pids: number[]) => ({
      gateway: gatewayProcess?.cpuMicros() ?? 0,
      process: ((usage) => usage.user + usage.system)(process.cpuUsage()),
      loadThread: threadCpuMicros(loadThreads),
      child: pids.reduce((sum, pid) => sum + (processCpuMicros(pid) ?? 0), 0),
    });
    // What the processes burn with no request at all (timers of the whole platform: audit relay,
    // metrics and usage flushes, in-flight exchange, …), per second, subtracted from each phase:
    // at a few dozen requests per second it would otherwise dominate the per-request figures.
    let idle = { gateway: 0, subgraph: 0 };
    const measureIdle = async (ms: number) => {
      const start = cpuNow([]);
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, ms));
      const end = cpuNow([]);
      const seconds = (performance.now() - t0) / 1000;
      idle = { gateway: (end.gateway - start.gateway) / seconds, subgraph: (end.process - start.process - (end.loadThread - start.loadThread)) / seconds };
    };
    const measured = async (c: number, requests: number): Promise<RunResult & { cost: PhaseCost }> => {
      const pids = poolPids();
      const at = () => cpuNow(pids);
      sessionRunMs = 0;
      runsBySize.clear();
      const start = at();
      const result = await loadGenerator.runExpecting(target, requests, expect, c);
      const end = at();
      const seconds = result.durationMs / 1000;
      const cost: PhaseCost = {
        gatewayUs: Math.max(0, end.gateway - start.gateway - idle.gateway * seconds),
        subgraphUs: Math.max(0, end.process - start.process - (end.loadThread - start.loadThread) - idle.subgraph * seconds),
        childUs: end.child - start.child,
        sessionRunMs,
        runsBySize: new Map([...runsBySize].map(([size, runs]) => [size, Math.round(runs)])),
      };
      return { ...result, cost };
    };

    if (settings.profileMs > 0) {
      const concurrency = settings.profileConcurrency;
      await serving(concurrency > 1);
      await loadGenerator.runExpecting(target, settings.warmup, expect, concurrency);
      let done = false;
      const loadUntilDone = (async () => {
        while (!done) await loadGenerator.runExpecting(target, 50 * concurrency, expect, concurrency);
      })();
      const [subgraphs, gateway] = await Promise.all([
        profileThisProcess(settings.profileMs),
        gatewayProcess?.inspectorUrl ? profileOverInspector(gatewayProcess.inspectorUrl, settings.profileMs) : Promise.resolve(undefined),
      ]);
      done = true;
      await loadUntilDone;
      for (const [name, profile] of [['subgraphs (this process, load thread not sampled)', subgraphs], ['gateway', gateway]] as const) {
        if (!profile) continue;
        const summary = summarizeProfile(profile);
        console.log(`profile of ${name} at c=${concurrency}${concurrency > 1 ? ' with batching' : ''}: busy ${fmt((100 * summary.busyMs) / summary.wallMs, 1)} % of ${fmt(summary.wallMs / 1000, 1)} s`);
        console.log('  self time by file:');
        for (const text of topLines(summary.files, summary.wallMs, 25)) console.log(`  ${text}`);
        console.log('  self time by function:');
        for (const text of topLines(summary.self, summary.wallMs, 30)) console.log(`  ${text}`);
        console.log('  inclusive:');
        for (const text of topLines(summary.inclusive, summary.wallMs, 40)) console.log(`  ${text}`);
      }
    }

    const key = (path: PredictPath, batching: boolean, c: number) => `${path} ${batching ? 'batching' : 'no batching'} c=${c}`;
    const results = new Map<string, Array<RunResult & { cost: PhaseCost }>>();
    let warmupErrors = 0;
    const perRound = Math.max(1, Math.floor(settings.requests / settings.rounds));
    // The layout's floor, between the rounds' phases: the same hops with no platform code (hop-floor.ts).
    // With the gateway in this process, the floor has no relay process either: like for like.
    const floor = await startHopFloor(settings.gateway === 'in-process' ? new Set(['relay']) : undefined);
    const floorRounds: FloorRound[] = [];
    // Once, before any round: V8 keeps optimising the request path for a few thousand calls, so
    // a first round right after a short warm-up measures the JIT's start, not serving. The floor's
    // processes get the same number of calls, so both sides of "above the floor" are warmed alike.
    // Both serving modes: the pool's path without batching is other code than with it.
    if (settings.warmupStart > 0) {
      for (const batching of [false, true]) {
        await serving(batching);
        for (const path of settings.paths) warmupErrors += (await loadGenerator.runExpecting(predictTargets[path], settings.warmupStart, expect, 4)).errors;
      }
      await floor.warm(settings.warmupStart);
    }
    for (let round = 0; round < settings.rounds; round += 1) {
      const f = await floor.measure(Math.max(200, perRound));
      floorRounds.push(f);
      console.log(
        `  round ${round + 1} floor (no platform code)  p50 ${fmt(f.chainP50)} ms over raw ${fmt(f.rawP50)} ms: ${fmt(f.chainP50 - f.rawP50)} ms; CPU µs/req relay ${fmt(f.cpu.relay, 0)}, server ${fmt(f.cpu.server, 0)}, child ${fmt(f.cpu.child, 0)}  load ${load()}`,
      );
      for (const batching of [false, true]) {
        await serving(batching);
        for (const path of settings.paths) for (const c of concurrencies) {
          target = predictTargets[path];
          if (settings.warmup > 0) warmupErrors += (await loadGenerator.runExpecting(target, settings.warmup, expect, c)).errors;
          if (loadThreads.length === 0) {
            loadThreads = [...threadIds()].filter((tid) => !before.has(tid));
            await measureIdle(5_000);
            console.log(`  idle CPU (subtracted below): gateway ${fmt(idle.gateway / 1000, 1)} ms/s, subgraphs' process ${fmt(idle.subgraph / 1000, 1)} ms/s`);
          }
          const result = await measured(c, perRound);
          results.set(key(path, batching, c), [...(results.get(key(path, batching, c)) ?? []), result]);
          const s = summarize([result]);
          console.log(
            `  round ${round + 1} ${key(path, batching, c).padEnd(24)} ${fmt(s.throughput, 0).padStart(6)} req/s  p50 ${fmt(s.p50).padStart(7)} ms  p99 ${fmt(s.p99).padStart(7)} ms  mean batch ${fmt(s.meanBatch, 1)}  load ${load()}`,
          );
        }
      }
    }

    floor.stop();
    // session.run on the batch sizes the pool actually ran, back to back.
    const sizes = new Set<number>();
    for (const list of results.values()) for (const r of list) for (const size of r.cost.runsBySize.keys()) sizes.add(size);
    const msBySize = new Map<number, number>();
    for (const size of [...sizes].sort((a, b) => a - b)) msBySize.set(size, await rawBatchMs(session, row, size));
    await session.release();
    console.log(`raw session.run by batch size (ms): ${[...msBySize].map(([size, ms]) => `${size}: ${fmt(ms)}`).join(', ')}`);

    console.log('');
    console.log(
      'configuration               requests  errors     req/s    p50 ms    p99 ms  batch  vs raw 1-row  vs raw same batches   CPU µs/req gateway  subgraph  inference  outside session.run',
    );
    const summaries = new Map([...results].map(([name, list]) => [name, summarize(list)]));
    const sameBatches = (s: Summary) => (s.cost ? rawOnSameBatches(s.cost.runsBySize, msBySize) : raw.summary.throughput);
    const outside = (s: Summary) => (s.cost ? (s.cost.gatewayUs + s.cost.subgraphUs + s.cost.childUs - s.cost.sessionRunMs * 1000) / s.requests : Number.NaN);
    const line = (name: string, s: Summary) =>
      console.log(
        `${name.padEnd(27)} ${String(s.requests).padStart(8)} ${String(s.errors).padStart(7)} ${fmt(s.throughput, 0).padStart(9)} ${fmt(s.p50).padStart(9)} ${fmt(s.p99).padStart(9)} ${fmt(s.meanBatch, 1).padStart(6)} ` +
          `${`${fmt((100 * s.throughput) / raw.summary.throughput, 0)}%`.padStart(13)} ${`${fmt((100 * s.throughput) / sameBatches(s), 0)}%`.padStart(20)} ` +
          (s.cost
            ? `${fmt(s.cost.gatewayUs / s.requests, 0).padStart(19)} ${fmt(s.cost.subgraphUs / s.requests, 0).padStart(9)} ${fmt(s.cost.childUs / s.requests, 0).padStart(10)} ${fmt(outside(s), 0).padStart(20)}`
            : ''),
      );
    line('raw onnxruntime', raw.summary);
    for (const [name, s] of summaries) line(name, s);

    const errors = warmupErrors + [...summaries.values()].reduce((n, s) => n + s.errors, 0);
    const verdict = (met: boolean) => (errors > 0 ? 'not evaluated: the run had errors' : met ? 'MET' : 'NOT MET');
    const floorOverheads = floorRounds.map((f) => f.chainP50 - f.rawP50).sort((a, b) => a - b);
    const floorOverhead = floorOverheads[Math.floor(floorOverheads.length / 2)]!;
    const floorCpu = (pick: (f: FloorRound) => number) => floorRounds.reduce((sum, f) => sum + pick(f), 0) / floorRounds.length;
    console.log('');
    console.log(`load average at the end: ${load()}`);
    for (const path of settings.paths) {
      const off1 = summaries.get(key(path, false, 1))!;
      const on1 = summaries.get(key(path, true, 1))!;
      const off32 = summaries.get(key(path, false, 32))!;
      const on32 = summaries.get(key(path, true, 32))!;
      const overhead = Math.min(off1.p50, on1.p50) - raw.summary.p50;
      const ofSame = on32.throughput / sameBatches(on32);
      const vsOff = on32.throughput / off32.throughput;
      const p99Ratio = on32.p99 / off32.p99;
      console.log(`${path === 'graphql' ? 'the predict query (POST /graphql)' : 'the predict route (POST /v1/predict)'}:`);
      console.log(`  c=1: p50 overhead over a raw 1-row run ${fmt(overhead)} ms (batching ${fmt(on1.p50 - raw.summary.p50)}, no batching ${fmt(off1.p50 - raw.summary.p50)}; target ≤ ${targets.c1OverheadMs} ms) — ${verdict(overhead <= targets.c1OverheadMs)}`);
      console.log(
        `  c=32 batching: ${fmt(100 * ofSame, 0)}% of raw session.run on the same batch sizes (target ≥ ${100 * targets.ofRawSameBatches}%; ${fmt((100 * on32.throughput) / raw.summary.throughput, 0)}% of raw 1-row runs) — ${verdict(ofSame >= targets.ofRawSameBatches)}`,
      );
      console.log(
        `  c=32 batching vs no batching: ${fmt(vsOff)}× the throughput (target ≥ ${targets.batchingThroughput}×) at ${fmt(p99Ratio)}× its p99 (target ≤ ${targets.batchingP99}×) — ${verdict(vsOff >= targets.batchingThroughput && p99Ratio <= targets.batchingP99)}`,
      );
      console.log(
        `  c=1 floor of this layout (no platform code), median of rounds: ${fmt(floorOverhead)} ms over raw; Tessera adds ${fmt(overhead - floorOverhead)} ms above it; ` +
          `floor CPU µs/req relay ${fmt(floorCpu((f) => f.cpu.relay), 0)} (gateway ${fmt(off1.cost!.gatewayUs / off1.requests, 0)}), ` +
          `server+client ${fmt(floorCpu((f) => f.cpu.server), 0)} (subgraph ${fmt(off1.cost!.subgraphUs / off1.requests, 0)}), child ${fmt(floorCpu((f) => f.cpu.child), 0)} (inference ${fmt(off1.cost!.childUs / off1.requests, 0)})`,
      );
      console.log(`  CPU outside session.run per predict (gateway + subgraph + inference process): c=1 ${fmt(outside(off1), 0)} / ${fmt(outside(on1), 0)} µs, c=32 ${fmt(outside(off32), 0)} / ${fmt(outside(on32), 0)} µs (no batching / batching)`);
    }
    if (settings.paths.length === 2) {
      const ratio = (pick: (s: Summary) => number, batching: boolean, c: number) => pick(summaries.get(key('route', batching, c))!) / pick(summaries.get(key('graphql', batching, c))!);
      console.log(
        `route vs query, same run: CPU outside session.run c=1 ${fmt(ratio(outside, false, 1))}×, c=32 batching ${fmt(ratio(outside, true, 32))}×; p50 c=1 ${fmt(ratio((x) => x.p50, false, 1))}×; throughput c=32 batching ${fmt(ratio((x) => x.throughput, true, 32))}×`,
      );
    }
    for (const [name, list] of results) for (const sample of list.flatMap((r) => r.errorSamples).slice(0, 3)) console.error(`  ${name} error: ${sample}`);
    if (errors > 0) {
      console.error(`FAILED: ${errors} request(s) did not return the expected prediction.`);
      return 1;
    }
    return 0;
  } finally {
    await loadGenerator.close();
    await gatewayProcess?.stop();
    await stack.stop();
  }
}

runBench(main);
