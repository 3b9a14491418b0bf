/**
 * `npm run bench:tenants` — does one tenant get slower, and do the processes grow, when the
 * platform holds many tenants?
 *
 * Provisions tenants through the real provisioner (own schema, bucket, key; one at a time, so the
 * time per tenant is what one provisioning costs), printing progress and p50/p95/max per tenant.
 * At 10 tenants and again at BENCH_TENANTS, one tenant (the first) asks for a datasets page and
 * for a prediction (linear regression), one request at a time, after a datasets page was asked
 * for by up to BENCH_SPREAD_TENANTS different tenants, so that every per-tenant cache and pool
 * (tenant records, connections, verified tokens, inference sessions of the one model) is populated
 * as in a busy deployment. Reported per phase: p50/p95/p99, the CPU each process used per request
 * (does not grow with contention from other processes), the CPU each process uses per second
 * with no requests at all (background work that visits every tenant), the resident memory (VmRSS) of the
 * gateway process and of this process (the subgraphs), and the load average. Target: p95 at
 * BENCH_TENANTS ≤ 1.5 × p95 at 10 tenants, for both operations.
 *
 * The gateway runs in its own process (the production layout); the subgraphs run in this one.
 *
 * BENCH_TENANTS (1000, ≥ 10), BENCH_SPREAD_TENANTS (200), BENCH_REQUESTS (600 per operation and phase).
 */
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildLinearRegression } from '@tessera/onnx';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack } from '@tessera/testing';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';
import { processRssBytes } from './process-stats';
import { datasetsQuery, fmt, intFromEnv, LoadGenerator, percentile, runBench, uploadModel, type LoadTarget, type ResponseExpectation, type RunResult } from './support';
import { loadAverage, Provisioning, spreadTraffic, TokenBook } from './tenant-fleet';

const baselineTenants = 10;
const targetRatio = 1.5;
const settings = {
  tenants: intFromEnv('BENCH_TENANTS', 1000, baselineTenants),
  spreadTenants: intFromEnv('BENCH_SPREAD_TENANTS', 200, 1),
  requests: intFromEnv('BENCH_REQUESTS', 600, 20),
};

const predictQuery = 'query($input: PredictInput!) { predict(input: $input) { outputs { data } batchSize } }';
const weights = [0.5, -1, 2, 0.25];
const row = [1, 2, 3, 4];
const expectedPrediction = [weights.reduce((sum, w, i) => sum + w * row[i]!, 0.1)];
const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${fmt(bytes / 1024 / 1024, 1)} MiB`);

interface Measured {
  tenants: number;
  /** CPU each process used per second of wall time with no requests at all: the background work (sweeps over every tenant, timers). */
  idleGatewayMicrosPerSecond: number;
  idleSubgraphMicrosPerSecond: number;
  datasets: RunResult & { cpuMicros: number };
  predict: RunResult & { cpuMicros: number };
  gatewayCpuMicros: number;
  gatewayRss: number | undefined;
  subgraphRss: number | undefined;
  loadAverage: string;
}

interface Targets {
  datasets: LoadTarget;
  predict: LoadTarget;
  datasetsExpect: ResponseExpectation;
  predictExpect: ResponseExpectation;
}

const idleWindowMs = 5_000;

async function measure(load: LoadGenerator, gateway: GatewayProcess, targets: Targets, tenants: number): Promise<Measured> {
  const idleStarted = performance.now();
  const idleGatewayBefore = gateway.cpuMicros() ?? 0;
  const idleSubgraphBefore = process.cpuUsage();
  await sleep(idleWindowMs);
  const idleSeconds = (performance.now() - idleStarted) / 1000;
  const idleSubgraph = process.cpuUsage(idleSubgraphBefore);
  const idleGatewayMicrosPerSecond = ((gateway.cpuMicros() ?? 0) - idleGatewayBefore) / idleSeconds;
  const idleSubgraphMicrosPerSecond = (idleSubgraph.user + idleSubgraph.system) / idleSeconds;
  // Warm-up of this phase's paths (JIT, sessions), not measured.
  await load.runExpecting(targets.datasets, 200, targets.datasetsExpect, 1);
  await load.runExpecting(targets.predict, 200, targets.predictExpect, 1);
  const gatewayBefore = gateway.cpuMicros() ?? 0;
  const datasets = await load.runExpecting(targets.datasets, settings.requests, targets.datasetsExpect, 1);
  const predict = await load.runExpecting(targets.predict, settings.requests, targets.predictExpect, 1);
  return {
    tenants,
    idleGatewayMicrosPerSecond,
    idleSubgraphMicrosPerSecond,
    datasets,
    predict,
    gatewayCpuMicros: (gateway.cpuMicros() ?? 0) - gatewayBefore,
    gatewayRss: gateway.rssBytes(),
    subgraphRss: processRssBytes(process.pid),
    loadAverage: loadAverage(),
  };
}

function latencies(result: RunResult): Float64Array {
  return Float64Array.from(result.latenciesMs).sort();
}

function describe(phase: Measured): void {
  console.log(`\nAt ${phase.tenants} tenants (load average ${phase.loadAverage}):`);
  for (const [name, result] of [
    ['datasets page', phase.datasets],
    ['predict', phase.predict],
  ] as const) {
    const sorted = latencies(result);
    console.log(
      `  ${name.padEnd(14)} p50 ${fmt(percentile(sorted, 50)).padStart(6)} ms   p95 ${fmt(percentile(sorted, 95)).padStart(6)} ms   p99 ${fmt(percentile(sorted, 99)).padStart(6)} ms   ` +
        `errors ${result.errors}${result.errorSamples.length ? ` (${result.errorSamples.slice(0, 2).join(' | ')})` : ''}`,
    );
  }
  const operations = phase.datasets.latenciesMs.length + phase.predict.latenciesMs.length;
  console.log(
    `  CPU per request: gateway process ${fmt(phase.gatewayCpuMicros / operations, 0)} µs, this process (subgraphs + load thread) ${fmt((phase.datasets.cpuMicros + phase.predict.cpuMicros) / operations, 0)} µs`,
  );
  console.log(
    `  idle (${idleWindowMs / 1000} s without requests): gateway process ${fmt(phase.idleGatewayMicrosPerSecond / 10_000, 1)} % of a core, this process ${fmt(phase.idleSubgraphMicrosPerSecond / 10_000, 1)} %`,
  );
  console.log(`  resident memory: gateway process ${mib(phase.gatewayRss)}, this process (subgraphs) ${mib(phase.subgraphRss)}`);
}

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Starting the stack (issuer, S3 server, MariaDB, Redis, subgraphs) and a gateway process…');
  // The audit relay at the deployment defaults (AUDIT_RELAY_INTERVAL_MS 1 s,
  // AUDIT_RELAY_FULL_SWEEP_INTERVAL_MS 10 s): the test stack's 200 ms and 1 s would look at the
  // outboxes five times as often as a deployment does.
  const stack = await startTestStack({ tenantCacheTtlMs: 5_000, auditRelayIntervalMs: 1_000, auditRelayFullSweepIntervalMs: 10_000 });
  const gateway = await startGatewayProcess(stack, { tenantCacheTtlMs: 5_000 });
  const load = new LoadGenerator(1);
  try {
    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadAverage()}; ${settings.tenants} tenants, ` +
        `traffic spread over ${settings.spreadTenants}, ${settings.requests} requests per operation and phase, one at a time`,
    );
    const provisioning = new Provisioning(stack);
    const tokens = new TokenBook(stack);
    console.log(`\nProvisioning ${baselineTenants} tenants:`);
    await provisioning.upTo(baselineTenants);

    const measured = provisioning.tenants[0]!;
    const admin = await measured.token('admin');
    for (let i = 0; i < 10; i++) expectNoErrors(await stack.query(admin, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: `ds-${i}` } }));
    const modelId = await uploadModel(stack, await measured.token('data_scientist'), buildLinearRegression({ weights, bias: 0.1 }), 'linear');
    const token = await tokens.viewer(measured.id);
    // What the page lists, in the order the API answers.
    const page = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(token, datasetsQuery));
    const headers = { authorization: `Bearer ${token}` };
    const targets: Targets = {
      datasets: { name: 'datasets page', url: gateway.graphqlUrl, tls: { ca: stack.pki.ca }, headers, body: JSON.stringify({ query: datasetsQuery }) },
      predict: {
        name: 'predict',
        url: gateway.graphqlUrl,
        tls: { ca: stack.pki.ca },
        headers,
        body: JSON.stringify({ query: predictQuery, variables: { input: { modelId, version: 1, inputs: [{ name: 'input', shape: [1, 4], data: row }] } } }),
      },
      datasetsExpect: { kind: 'datasets', names: page.datasets.edges.map((edge) => edge.node.name) },
      predictExpect: { kind: 'predict', values: expectedPrediction },
    };

    await spreadTraffic(gateway.graphqlUrl, tokens, provisioning.tenants.slice(0, settings.spreadTenants));
    const few = await measure(load, gateway, targets, provisioning.tenants.length);
    describe(few);

    console.log(`\nProvisioning up to ${settings.tenants} tenants:`);
    await provisioning.upTo(settings.tenants);
    console.log(`  ${provisioning.describe()}`);
    console.log(`  traffic: a datasets page for ${Math.min(settings.spreadTenants, settings.tenants)} different tenants…`);
    const spreadStarted = performance.now();
    await spreadTraffic(gateway.graphqlUrl, tokens, provisioning.tenants.slice(0, settings.spreadTenants));
    console.log(`  (${fmt((performance.now() - spreadStarted) / 1000, 1)} s, token issuing included)`);
    const many = await measure(load, gateway, targets, provisioning.tenants.length);
    describe(many);

    const ratio = (pick: (phase: Measured) => RunResult) => percentile(latencies(pick(many)), 95) / percentile(latencies(pick(few)), 95);
    const datasetsRatio = ratio((phase) => phase.datasets);
    const predictRatio = ratio((phase) => phase.predict);
    const verdict = (value: number) => (value <= targetRatio ? 'met' : 'NOT met');
    console.log(
      `\np95 at ${many.tenants} / at ${few.tenants} tenants: datasets page ${fmt(datasetsRatio)}× (${verdict(datasetsRatio)}), predict ${fmt(predictRatio)}× (${verdict(predictRatio)}); target ≤ ${targetRatio}×`,
    );
    const cpuPerRequest = (phase: Measured) => (phase.gatewayCpuMicros + phase.datasets.cpuMicros + phase.predict.cpuMicros) / (phase.datasets.latenciesMs.length + phase.predict.latenciesMs.length);
    console.log(
      `CPU per request (both processes) at ${many.tenants} / at ${few.tenants} tenants: ${fmt(cpuPerRequest(many) / cpuPerRequest(few))}× (does not grow with other processes' load, unlike latency)`,
    );
    const growth = (after: number | undefined, before: number | undefined) => (after === undefined || before === undefined ? 'n/a' : `${after >= before ? '+' : ''}${mib(after - before)}`);
    console.log(
      `resident memory ${few.tenants} → ${many.tenants} tenants: gateway ${mib(few.gatewayRss)} → ${mib(many.gatewayRss)} (${growth(many.gatewayRss, few.gatewayRss)}), ` +
        `subgraphs ${mib(few.subgraphRss)} → ${mib(many.subgraphRss)} (${growth(many.subgraphRss, few.subgraphRss)})`,
    );
    const errors = few.datasets.errors + few.predict.errors + many.datasets.errors + many.predict.errors;
    console.log(`load average now ${loadAverage()}; removing ${provisioning.tenants.length} tenants…`);
    if (errors > 0) {
      console.error(`FAILED: ${errors} requests of the measured tenant got errors.`);
      return 1;
    }
    return 0;
  } finally {
    await load.close();
    await gateway.stop();
    await stack.stop();
  }
}

runBench(main);
