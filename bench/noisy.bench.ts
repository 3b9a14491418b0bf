/**
 * npm run bench:noisy — does a noisy tenant slow a quiet one down?
 *
 * The quiet tenant asks for a datasets page (one request at a time) and for a prediction (one at
 * a time), first alone, then while a noisy tenant floods the same gateway with the most expensive
 * operations its limits accept, with predictions at ten times the quiet tenant's concurrency, and
 * with the adversarial documents that used to freeze the gateway (deep fragment chains, deep
 * introspection, thousands of aliases). The gateway runs in its own process (the production
 * layout); the subgraphs run in this one.
 *
 * Reported per round and overall: the quiet tenant's p99 alone and under the flood (the ratio is
 * the target: ≤ 1.5×), its errors (must be 0), the noisy tenant's refusals by code, the load
 * average, and the CPU each process used per operation — CPU per operation does not grow with
 * contention from other processes, so it shows whether the gateway did more work per request.
 *
 * BENCH_ROUNDS (3), BENCH_QUIET_REQUESTS (1 000 per phase), BENCH_NOISY_CONCURRENCY (10), and
 * BENCH_FLOOD (`expensive,predict,adversarial`: which parts of the flood run — one at a time shows
 * which of them slows the quiet tenant; `none` compares two phases with no flood, which shows how
 * far p99 moves by chance on this machine).
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { buildLinearRegression } from '@tessera/onnx';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack } from '@tessera/testing';
import { startGatewayProcess } from './gateway-process';
import { childrenCpuMicros } from './process-stats';
import { fmt, intFromEnv, LoadGenerator, percentile, runBench, uploadModel, type LoadTarget, type ResponseExpectation, type RunResult } from './support';

const settings = {
  rounds: intFromEnv('BENCH_ROUNDS', 3, 1),
  // p99 of 300 requests is the third-worst sample: one scheduler hiccup on a loaded machine moves it
  // by 2× between two phases with no flood at all (BENCH_FLOOD=none), so each phase takes 1 000.
  quietRequests: intFromEnv('BENCH_QUIET_REQUESTS', 1000, 10),
  noisyConcurrency: intFromEnv('BENCH_NOISY_CONCURRENCY', 10, 1),
  flood: floodParts(process.env['BENCH_FLOOD'] ?? 'expensive,predict,adversarial'),
};

type FloodPart = 'expensive' | 'predict' | 'adversarial';

function floodParts(value: string): Set<FloodPart> {
  // `none` measures the quiet tenant against itself: how far p99 moves between two phases with no flood at all.
  if (value.trim() === 'none') return new Set();
  const parts = value.split(',').map((part) => part.trim()).filter(Boolean);
  const known: FloodPart[] = ['expensive', 'predict', 'adversarial'];
  const unknown = parts.filter((part) => !known.includes(part as FloodPart));
  if (unknown.length > 0 || parts.length === 0) throw new Error(`BENCH_FLOOD must be none or list some of ${known.join(', ')}; got ${JSON.stringify(value)}`);
  return new Set(parts as FloodPart[]);
}

const datasetsPage = 'query { datasets(first: 10) { edges { node { id name } } } }';
const predictQuery = 'query($input: PredictInput!) { predict(input: $input) { outputs { data } batchSize } }';

/**
 * The most expensive operation the default limits accept: nine 100-dataset pages (cost ≈ 9 × 501,
 * just under maxOperationCost 5 000; the warm-up checks it is accepted). The noisy tenant keeps 100
 * datasets, so each answer really carries 900 of them.
 */
const expensivePage = `query { ${Array.from({ length: 9 }, (_, i) => `p${i}: datasets(first: 100) { edges { node { id name description } } }`).join(' ')} }`;
const noisyDatasets = 100;

function fragmentChain(length: number, fanOut: number): string {
  let document = 'query Chain { currentTenant { ...F0 } }\n';
  for (let i = 0; i < length; i++) document += `fragment F${i} on Tenant { id ${i + 1 < length ? Array.from({ length: fanOut }, () => `...F${i + 1}`).join(' ') : ''} }\n`;
  return document;
}

const adversarial = [
  fragmentChain(40, 3),
  `{ __schema { types { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} } } }`,
  `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: currentTenant { id }`).join(' ')} }`,
];

interface Phase {
  datasets: RunResult & { cpuMicros: number };
  predict: RunResult & { cpuMicros: number };
  gatewayCpuMicros: number;
  flood?: Array<RunResult & { cpuMicros: number }>;
}

function p99(result: RunResult): number {
  return percentile(Float64Array.from(result.latenciesMs).sort(), 99);
}

function allP99(results: RunResult[]): number {
  return percentile(Float64Array.from(results.flatMap((r) => Array.from(r.latenciesMs))).sort(), 99);
}

/** Garbage-collection pauses of this process's main thread (the subgraphs'), summed and the longest, since the last `take`. */
function gcPauses() {
  let total = 0;
  let longest = 0;
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      total += entry.duration;
      longest = Math.max(longest, entry.duration);
      count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    take(): { totalMs: number; longestMs: number; count: number } {
      const taken = { totalMs: total, longestMs: longest, count };
      total = 0;
      longest = 0;
      count = 0;
      return taken;
    },
    stop: () => observer.disconnect(),
  };
}

/**
 * How late this process's event loop (the subgraphs') ran a 1 ms timer: a long synchronous task or
 * a collection shows here whoever caused it. Node records the whole interval, so 1 ms is the floor.
 */
function loopDelay() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  return {
    take(): { p99Ms: number; maxMs: number } {
      const taken = { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
      histogram.reset();
      return taken;
    },
    stop: () => histogram.disable(),
  };
}

const describeDelay = (delay: { p99Ms: number; maxMs: number }) => `p99 ${fmt(delay.p99Ms, 1)} ms, max ${fmt(delay.maxMs, 1)} ms`;

const describeGc = (gc: { totalMs: number; longestMs: number; count: number }) => `${gc.count} pauses, ${fmt(gc.totalMs, 0)} ms, longest ${fmt(gc.longestMs, 1)} ms`;

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Starting the stack (issuer, S3 server, MariaDB, subgraphs) and a gateway process…');
  const stack = await startTestStack({ tenantCacheTtlMs: 5000 });
  const gateway = await startGatewayProcess(stack, { tenantCacheTtlMs: 5000 });
  const quietLoad = new LoadGenerator(2);
  const noisyLoads = [new LoadGenerator(settings.noisyConcurrency), new LoadGenerator(settings.noisyConcurrency), new LoadGenerator(2)];
  try {
    // The noisy tenant has the platform defaults: the defaults must protect. The quiet one is a
    // paying tenant whose own steady traffic (measured phases back to back) needs a larger budget.
    const [quiet, noisy] = await Promise.all([stack.createTenant({ limits: { costPerMinute: 10_000_000, predictionsPerMinute: 1_000_000 } }), stack.createTenant()]);
    const weights = [0.5, -1, 2, 0.25];
    const row = [1, 2, 3, 4];
    const expected = [weights.reduce((sum, w, i) => sum + w * row[i]!, 0.1)];
    const onnx = buildLinearRegression({ weights, bias: 0.1 });
    const models: Record<string, string> = {};
    for (const tenant of [quiet, noisy]) {
      const admin = await tenant.token('admin');
      for (let i = 0; i < (tenant === noisy ? noisyDatasets : 10); i++) expectNoErrors(await stack.query(admin, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: `ds-${i}` } }));
      models[tenant.id] = await uploadModel(stack, await tenant.token('data_scientist'), onnx, 'linear');
    }
    const tokenOf = async (tenantId: string) => stack.issueToken({ tenant: tenantId, roles: ['viewer'], tokenTtlSeconds: 3600 });
    const [quietToken, noisyToken] = await Promise.all([tokenOf(quiet.id), tokenOf(noisy.id)]);
    const target = (name: string, token: string, query: string, variables?: Record<string, unknown>): LoadTarget => ({
      name,
      url: gateway.graphqlUrl,
      tls: { ca: stack.pki.ca },
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
    });
    const predictInput = (tenantId: string) => ({ input: { modelId: models[tenantId], version: 1, inputs: [{ name: 'input', shape: [1, 4], data: row }] } });
    const quietPage = target('quiet datasets', quietToken, datasetsPage);
    const quietPredict = target('quiet predict', quietToken, predictQuery, predictInput(quiet.id));
    const pageNames = Array.from({ length: 10 }, (_, i) => `ds-${i}`).sort();
    const pageExpect: ResponseExpectation = { kind: 'datasets', names: pageNames };
    const predictExpect: ResponseExpectation = { kind: 'predict', values: expected };
    const refusals: ResponseExpectation = { kind: 'flood', refusals: ['RATE_LIMITED', 'QUOTA_EXCEEDED', 'QUERY_TOO_COMPLEX'] };

    // What the datasets page lists, in the order the API answers (names sort the same way here).
    const page = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(quietToken, datasetsPage));
    pageExpect.names.splice(0, pageExpect.names.length, ...page.datasets.edges.map((edge) => edge.node.name));

    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs; ${settings.rounds} round(s); quiet: ${settings.quietRequests} datasets pages then ${settings.quietRequests} predictions, ` +
        `one at a time; noisy flood: ${[...settings.flood].join(', ')} (expensive pages and predictions at concurrency ${settings.noisyConcurrency} each, adversarial documents at 2)`,
    );
    // Warm-up (JIT, sessions, caches) for both tenants, not measured.
    await quietLoad.runExpecting(quietPage, 300, pageExpect, 1);
    await quietLoad.runExpecting(quietPredict, 300, predictExpect, 1);
    await noisyLoads[0]!.runExpecting(target('noisy warm-up', noisyToken, datasetsPage), 200, refusals, 2);
    // The flood's expensive operation must be one the noisy tenant's limits accept.
    const probe = await stack.query<{ p0: { edges: unknown[] } }>(noisyToken, expensivePage);
    if (probe.errors?.length || probe.data?.p0.edges.length !== noisyDatasets) throw new Error(`the expensive page is not accepted: ${JSON.stringify(probe.errors ?? probe.data).slice(0, 300)}`);

    const quietPhase = async (): Promise<Omit<Phase, 'flood'>> => {
      const gatewayBefore = gateway.cpuMicros() ?? 0;
      const datasets = await quietLoad.runExpecting(quietPage, settings.quietRequests, pageExpect, 1);
      const predict = await quietLoad.runExpecting(quietPredict, settings.quietRequests, predictExpect, 1);
      return { datasets, predict, gatewayCpuMicros: (gateway.cpuMicros() ?? 0) - gatewayBefore };
    };

    const solo: Phase[] = [];
    const flooded: Phase[] = [];
    const gc = gcPauses();
    const delay = loopDelay();
    for (let round = 1; round <= settings.rounds; round++) {
      gc.take();
      delay.take();
      const alone = await quietPhase();
      const gcAlone = gc.take();
      const delayAlone = delay.take();
      solo.push(alone);
      // The flood outlasts the quiet phase (3× its solo duration), so every quiet request is measured under it.
      const floodMs = Math.max(5_000, 3 * (alone.datasets.durationMs + alone.predict.durationMs));
      const gatewayCpuBeforeFlood = gateway.cpuMicros() ?? 0;
      const cpuBeforeFlood = { self: process.cpuUsage(), inference: childrenCpuMicros(process.pid), at: performance.now() };
      const floodPhases = Promise.all([
        settings.flood.has('expensive') ? noisyLoads[0]!.runExpecting(target('noisy expensive', noisyToken, expensivePage), 10_000_000, refusals, settings.noisyConcurrency, floodMs) : undefined,
        settings.flood.has('predict')
          ? noisyLoads[1]!.runExpecting(target('noisy predict', noisyToken, predictQuery, predictInput(noisy.id)), 10_000_000, refusals, settings.noisyConcurrency, floodMs)
          : undefined,
        settings.flood.has('adversarial') ? noisyLoads[2]!.runExpecting(target('noisy adversarial', noisyToken, adversarial[round % adversarial.length]!), 10_000_000, refusals, 2, floodMs) : undefined,
      ]).then((results) => results.filter((result): result is NonNullable<typeof result> => result !== undefined));
      // Let the flood reach full speed before measuring.
      await new Promise((resolve) => setTimeout(resolve, 500));
      gc.take();
      delay.take();
      const measured = await quietPhase();
      const gcFlooded = gc.take();
      const delayFlooded = delay.take();
      const flood = await floodPhases;
      const floodRequests = flood.reduce((n, result) => n + result.latenciesMs.length, 0) + 2 * settings.quietRequests;
      const gatewayCpuPerFloodRequest = ((gateway.cpuMicros() ?? 0) - gatewayCpuBeforeFlood) / floodRequests;
      // Share of a core each process used over the flood phase (the inference processes are this process's children).
      const floodSeconds = (performance.now() - cpuBeforeFlood.at) / 1000;
      const selfUsed = process.cpuUsage(cpuBeforeFlood.self);
      const cores = {
        gateway: ((gateway.cpuMicros() ?? 0) - gatewayCpuBeforeFlood) / 1e6 / floodSeconds,
        subgraphsAndLoad: (selfUsed.user + selfUsed.system) / 1e6 / floodSeconds,
        inference: (childrenCpuMicros(process.pid) - cpuBeforeFlood.inference) / 1e6 / floodSeconds,
      };
      flooded.push({ ...measured, flood });
      console.log(
        `round ${round}: load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; quiet p99 datasets ${fmt(p99(alone.datasets))} → ${fmt(p99(measured.datasets))} ms, ` +
          `predict ${fmt(p99(alone.predict))} → ${fmt(p99(measured.predict))} ms; gateway CPU per request: ${fmt(alone.gatewayCpuMicros / (2 * settings.quietRequests), 0)} µs alone, ` +
          `${fmt(gatewayCpuPerFloodRequest, 0)} µs over all ${floodRequests} requests of the flood phase (refusals included); ` +
          `cores busy during the flood: gateway ${fmt(cores.gateway)}, subgraphs + load threads ${fmt(cores.subgraphsAndLoad)}, inference processes ${fmt(cores.inference)}; ` +
          `GC in the subgraphs' thread during the quiet phase: ${describeGc(gcAlone)} alone, ${describeGc(gcFlooded)} under the flood; ` +
          `its event-loop delay: ${describeDelay(delayAlone)} alone, ${describeDelay(delayFlooded)} under the flood; ` +
          `its heap now ${fmt(process.memoryUsage().heapUsed / 2 ** 20, 0)} MiB used`,
      );
    }

    gc.stop();
    delay.stop();

    const errors = [...solo, ...flooded].reduce((n, phase) => n + phase.datasets.errors + phase.predict.errors, 0);
    const samples = [...solo, ...flooded].flatMap((phase) => [...phase.datasets.errorSamples, ...phase.predict.errorSamples]).slice(0, 5);
    const ratioDatasets = allP99(flooded.map((p) => p.datasets)) / allP99(solo.map((p) => p.datasets));
    const ratioPredict = allP99(flooded.map((p) => p.predict)) / allP99(solo.map((p) => p.predict));
    const floodCounts: Record<string, number> = {};
    let floodAnswered = 0;
    let floodUnexpected = 0;
    for (const phase of flooded) {
      for (const result of phase.flood ?? []) {
        for (const [code, n] of Object.entries(result.refused)) floodCounts[code] = (floodCounts[code] ?? 0) + n;
        floodAnswered += result.latenciesMs.length - result.errors - Object.values(result.refused).reduce((a, b) => a + b, 0);
        floodUnexpected += result.errors;
      }
    }
    const soloCpu = solo.reduce((s, p) => s + p.datasets.cpuMicros + p.predict.cpuMicros, 0) / (solo.length * 2 * settings.quietRequests);
    console.log('');
    console.log(`quiet tenant p99, all rounds: datasets page ${fmt(ratioDatasets)}× solo, predict ${fmt(ratioPredict)}× solo (target ≤ 1.5×)`);
    console.log(`quiet tenant errors: ${errors}${samples.length ? ` (${samples.join(' | ')})` : ''}`);
    console.log(`noisy tenant: ${floodAnswered} answered, refused ${JSON.stringify(floodCounts)}, ${floodUnexpected} other errors`);
    console.log(`this process (subgraphs + load threads) CPU per quiet operation alone: ${fmt(soloCpu, 0)} µs; load average now ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    const refusedAny = Object.values(floodCounts).reduce((a, b) => a + b, 0) > 0;
    if (errors > 0 || (settings.flood.size > 0 && !refusedAny)) {
      console.error(errors > 0 ? 'FAILED: the quiet tenant got errors.' : 'FAILED: the noisy tenant was never refused.');
      return 1;
    }
    return 0;
  } finally {
    await quietLoad.close();
    await Promise.all(noisyLoads.map((load) => load.close()));
    await gateway.stop();
    await stack.stop();
  }
}

runBench(main);
