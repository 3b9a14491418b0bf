/**
 * `npm run bench:gateway` — what the gateway costs on top of the subgraph it routes to.
 *
 * Starts the real stack (issuer, S3 server, MariaDB, subgraphs, gateway) with startTestStack(),
 * provisions a tenant with a few datasets, then sends ONE authenticated query four ways:
 *   gateway — POST <gateway>/graphql with the user's OIDC access token (token verification,
 *             tenant lookup, rate limit, internal-context minting, query planning, subgraph hop);
 *   gateway-own-process — the same, to `tessera gateway` in a child process (the production layout,
 *             its defaults: prepared operations on);
 *   gateway-own-process-unprepared — another `tessera gateway` with PREPARED_OPERATIONS_MAX=0: every
 *             request parsed, measured and run through Apollo (the gateway before prepared operations);
 *   relay   — bench/gateway-relay.ts in its own process: TLS in, a fresh signed internal context,
 *             mutual TLS to the subgraph, nothing else (the floor of any gateway in its own process);
 *   direct  — POST <datasets subgraph>/graphql with an x-tessera-context for the same principal,
 *             minted before the phase starts (the baseline: the subgraph's own work only).
 * Keep-alive HTTP from a worker thread, 127.0.0.1 only; warm-up discarded; the measured requests
 * alternate gateway → direct → gateway → direct over a few rounds so drift hits both alike.
 *
 * Environment: BENCH_CONCURRENCY (16), BENCH_REQUESTS per path (4000), BENCH_WARMUP per path (3000),
 * BENCH_ROUNDS (4), BENCH_DATASETS (5), BENCH_TENANT_CACHE_TTL_MS (5000, the production default;
 * the test harness's default is 0 = one MySQL read per request), BENCH_TELEMETRY (none | memory),
 * BENCH_GATEWAY_NODE_FLAGS (extra node flags for the own-process gateway, e.g. --cpu-prof),
 * BENCH_BASELINE_REPO (another checkout, e.g. of the previous commit: its gateway runs as a fifth
 * path, `gateway-own-process-baseline`, a before/after in one run on the same stack).
 * Exits non-zero if any response is not the expected page of datasets; never on the target.
 */
import { availableParallelism, loadavg } from 'node:os';
import { startGatewayProcess, startGatewayRelayProcess } from './gateway-process';
import { datasetsQuery, fmt, intFromEnv, LoadGenerator, runBench, setUpBench, summarize, type LoadTarget, type RunResult, type Summary } from './support';

/** Targets, as ratios to the direct path in the same run: the own-process gateway's p50 at most 1.25×, its throughput at least 0.85×. */
const targetP50Ratio = 1.25;
const targetThroughputRatio = 0.85;
const targetConcurrency = 16;

const settings = {
  concurrency: intFromEnv('BENCH_CONCURRENCY', targetConcurrency, 1),
  requests: intFromEnv('BENCH_REQUESTS', 4000, 1),
  // Long enough for V8 to settle: with 300, the first rounds ran 20–40 % slower than the last (JIT warm-up).
  warmup: intFromEnv('BENCH_WARMUP', 3000, 0),
  rounds: intFromEnv('BENCH_ROUNDS', 4, 1),
  datasets: intFromEnv('BENCH_DATASETS', 5, 1),
  tenantCacheTtlMs: intFromEnv('BENCH_TENANT_CACHE_TTL_MS', 5000, 0),
  telemetry: process.env['BENCH_TELEMETRY'] === 'memory' ? ('memory' as const) : ('none' as const),
};

/** A difference with its sign: +1.20, -0.40. */
const signed = (value: number, digits = 2) => `${value >= 0 ? '+' : ''}${fmt(value, digits)}`;

function splitIntoRounds(total: number, rounds: number): number[] {
  const base = Math.floor(total / rounds);
  return Array.from({ length: rounds }, (_, i) => base + (i < total % rounds ? 1 : 0)).filter((n) => n > 0);
}

type PathName = 'gateway' | 'gateway-own-process' | 'gateway-own-process-unprepared' | 'gateway-own-process-baseline' | 'relay' | 'direct';
type OwnProcessPath = 'gateway-own-process' | 'gateway-own-process-unprepared' | 'gateway-own-process-baseline' | 'relay';
const baselineRepo = process.env['BENCH_BASELINE_REPO'] || undefined;
const ownProcessPaths: readonly OwnProcessPath[] = ['gateway-own-process', 'gateway-own-process-unprepared', ...(baselineRepo ? (['gateway-own-process-baseline'] as const) : []), 'relay'];
const loadAverage = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<number> {
  console.log('Starting the stack (issuer, S3 server, MariaDB, subgraphs, gateway) and two gateways in processes of their own (prepared operations on, off)…');
  const bench = await setUpBench(settings);
  const stops: Array<() => Promise<void>> = [() => bench.stack.stop()];
  const load = new LoadGenerator(settings.concurrency);
  try {
    const preparedProcess = await startGatewayProcess(bench.stack, { tenantCacheTtlMs: settings.tenantCacheTtlMs });
    stops.unshift(() => preparedProcess.stop());
    const unpreparedProcess = await startGatewayProcess(bench.stack, { tenantCacheTtlMs: settings.tenantCacheTtlMs, env: { PREPARED_OPERATIONS_MAX: '0' } });
    stops.unshift(() => unpreparedProcess.stop());
    const relayProcess = await startGatewayRelayProcess(bench.stack, bench.principal);
    stops.unshift(() => relayProcess.stop());
    const processes: Partial<Record<OwnProcessPath, Awaited<ReturnType<typeof startGatewayProcess>>>> = {
      'gateway-own-process': preparedProcess,
      'gateway-own-process-unprepared': unpreparedProcess,
      relay: relayProcess,
    };
    if (baselineRepo) {
      const baselineProcess = await startGatewayProcess(bench.stack, { tenantCacheTtlMs: settings.tenantCacheTtlMs, repoRoot: baselineRepo });
      stops.unshift(() => baselineProcess.stop());
      processes['gateway-own-process-baseline'] = baselineProcess;
    }
    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadAverage()}; ` +
        `concurrency ${settings.concurrency}, ${settings.requests} requests per path in ${settings.rounds} rounds after ${settings.warmup} warm-up; ` +
        `tenantCacheTtlMs ${settings.tenantCacheTtlMs}; telemetry ${settings.telemetry}; ${settings.datasets} datasets`,
    );
    console.log(`query: ${datasetsQuery}`);
    const targets = async (): Promise<Array<[PathName, LoadTarget]>> => [
      ['gateway', bench.gateway],
      ...ownProcessPaths.map((name): [PathName, LoadTarget] => [name, { ...bench.gateway, name, url: processes[name]!.graphqlUrl }]),
      ['direct', await bench.direct()],
    ];

    let warmupErrors = 0;
    if (settings.warmup > 0) {
      for (const [, target] of await targets()) {
        const result = await load.run(target, settings.warmup, bench.expectedPage);
        warmupErrors += result.errors;
        for (const sample of result.errorSamples) console.error(`  warm-up ${result.target} error: ${sample}`);
      }
    }

    const results: Record<PathName, Array<RunResult & { cpuMicros: number }>> = { gateway: [], 'gateway-own-process': [], 'gateway-own-process-unprepared': [], 'gateway-own-process-baseline': [], relay: [], direct: [] };
    // Each own-process gateway's CPU over its phases (from /proc; 10 ms ticks, so summed over all rounds).
    const processCpu: Record<OwnProcessPath, number | undefined> = { 'gateway-own-process': 0, 'gateway-own-process-unprepared': 0, 'gateway-own-process-baseline': 0, relay: 0 };
    console.log('');
    for (const [round, requests] of splitIntoRounds(settings.requests, settings.rounds).entries()) {
      const line: string[] = [];
      for (const [name, target] of await targets()) {
        const owned = processes[name as OwnProcessPath];
        const child = owned ? { name: name as OwnProcessPath, process: owned } : undefined;
        const cpuBefore = child?.process.cpuMicros();
        const result = await load.run(target, requests, bench.expectedPage);
        if (child) {
          const cpuAfter = child.process.cpuMicros();
          const sum = processCpu[child.name];
          processCpu[child.name] = cpuBefore === undefined || cpuAfter === undefined || sum === undefined ? undefined : sum + cpuAfter - cpuBefore;
        }
        results[name].push(result);
        const s = summarize([result]);
        line.push(`${name} ${fmt(s.throughput, 0)} req/s p50 ${fmt(s.p50)} ms`);
      }
      console.log(`  round ${round + 1} (load ${loadAverage()}): ${line.join(' | ')}`);
    }

    const g = summarize(results.gateway);
    const own = summarize(results['gateway-own-process']);
    const unprepared = summarize(results['gateway-own-process-unprepared']);
    const d = summarize(results.direct);
    const relay = summarize(results.relay);
    const ownCpu = (name: OwnProcessPath, s: Summary) => {
      const micros = processCpu[name];
      return micros === undefined ? 'n/a' : fmt(micros / s.requests, 0);
    };
    const rows: Array<[string, Summary, string]> = [
      ['gateway (same process as subgraphs)', g, '(in the bench process)'],
      ['gateway (own process, prepared)', own, ownCpu('gateway-own-process', own)],
      ['gateway (own process, unprepared)', unprepared, ownCpu('gateway-own-process-unprepared', unprepared)],
      ...(baselineRepo ? [['gateway (own process, baseline repo)', summarize(results['gateway-own-process-baseline']), ownCpu('gateway-own-process-baseline', summarize(results['gateway-own-process-baseline']))] as [string, Summary, string]] : []),
      ['relay (floor: TLS, context, mTLS)', relay, ownCpu('relay', relay)],
      ['direct to subgraph', d, '—'],
    ];
    console.log('');
    console.log('path                                  requests  errors     req/s   p50 ms   p90 ms   p99 ms  bench process CPU µs/req*  gateway process CPU µs/req');
    for (const [name, s, gatewayCpu] of rows) {
      console.log(
        `${name.padEnd(36)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(7)} ${fmt(s.throughput, 0).padStart(9)} ` +
          `${fmt(s.p50).padStart(8)} ${fmt(s.p90).padStart(8)} ${fmt(s.p99).padStart(8)} ${fmt(s.cpuPerRequestUs, 0).padStart(26)}  ${gatewayCpu.padStart(26)}`,
      );
    }
    console.log('* CPU of the bench process: subgraphs, load thread and the in-process gateway (user + system; an own-process gateway is not in it).');
    const errors = warmupErrors + g.errors + own.errors + unprepared.errors + relay.errors + d.errors + results['gateway-own-process-baseline'].reduce((n, r) => n + r.errors, 0);
    console.log('');
    for (const [label, s] of [
      ['gateway in same process', g],
      ['gateway in own process, prepared', own],
      ['gateway in own process, unprepared', unprepared],
      ...(baselineRepo ? [['gateway in own process, baseline repo', summarize(results['gateway-own-process-baseline'])] as const] : []),
      ['relay (no gateway features)', relay],
    ] as const) {
      console.log(
        `${label}: p50 ${fmt(s.p50 / d.p50, 3)}× direct (${signed(s.p50 - d.p50)} ms), throughput ${fmt(s.throughput / d.throughput, 3)}× direct`,
      );
    }
    console.log(
      `CPU added by the in-process gateway: ${fmt(g.cpuPerRequestUs - d.cpuPerRequestUs, 0)} µs per request ` +
        '(CPU time of this process; not inflated by other load on the machine)',
    );
    const relayCpu = processCpu.relay;
    const ownCpuTotal = processCpu['gateway-own-process'];
    if (relayCpu !== undefined && ownCpuTotal !== undefined) {
      console.log(
        `own-process gateway above the relay (what its features cost): p50 ${signed(own.p50 - relay.p50)} ms, ` +
          `CPU ${signed(ownCpuTotal / own.requests - relayCpu / relay.requests, 0)} µs per request; the relay alone reaches p50 ${fmt(relay.p50 / d.p50, 3)}× and throughput ${fmt(relay.throughput / d.throughput, 3)}× the direct path`,
      );
    }
    console.log(`load average at the end: ${loadAverage()}`);
    const p50Ratio = own.p50 / d.p50;
    const throughputRatio = own.throughput / d.throughput;
    const met = p50Ratio <= targetP50Ratio && throughputRatio >= targetThroughputRatio;
    console.log(
      `target: own-process gateway p50 ≤ ${targetP50Ratio}× and throughput ≥ ${targetThroughputRatio}× the direct path at concurrency ${targetConcurrency} ` +
        `(here ${fmt(p50Ratio, 3)}× and ${fmt(throughputRatio, 3)}×) — ` +
        (errors > 0 ? 'not evaluated: the run had errors' : settings.concurrency === targetConcurrency ? (met ? 'MET' : 'NOT MET') : `not applicable to this run (concurrency ${settings.concurrency})`),
    );
    const relayMet = relay.p50 / d.p50 <= targetP50Ratio && relay.throughput / d.throughput >= targetThroughputRatio;
    if (!relayMet) console.log('  the relay alone (TLS, a signed context, mutual TLS; no gateway features) misses it too: in this run the target is below the floor of any gateway in its own process');

    for (const [name, list] of Object.entries(results)) {
      for (const sample of list.flatMap((r) => r.errorSamples).slice(0, 5)) console.error(`  ${name} error: ${sample}`);
    }
    if (errors > 0) {
      console.error(`FAILED: ${errors} request(s) did not return the expected datasets page (warm-up ${warmupErrors}, gateway ${g.errors}, own process ${own.errors}, unprepared ${unprepared.errors}, relay ${relay.errors}, direct ${d.errors}).`);
      return 1;
    }
    return 0;
  } finally {
    await load.close();
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

runBench(main);
