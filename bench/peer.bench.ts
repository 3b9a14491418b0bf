/**
 * `npm run bench:peer` — Tessera's gateway against a peer, Hive Gateway, on the same work.
 *
 * One stack (issuer, MariaDB, S3 server, the subgraphs), one tenant with a few datasets, one
 * authenticated datasets query sent three ways in alternating rounds, each gateway in a process of
 * its own:
 *   tessera — `tessera gateway` (the production layout; its defaults: prepared operations on);
 *   hive    — Hive Gateway serving the supergraph Tessera composed (bench/hive-gateway-main.ts);
 *   direct  — the datasets subgraph itself with a pre-minted internal context (the floor).
 *
 * The same work, as far as the two gateways share it: HTTPS in; the access token verified against
 * the issuer's JWKS; the supergraph planned into one fetch; mutual TLS to the subgraph with the
 * gateway's client certificate; one fresh internal context per subgraph call, signed for that
 * subgraph and bound to that certificate by the same signer (the subgraph verifies both alike).
 * Tessera alone also does: its tenant lookup (a cached record), operation limits and cost, the
 * rate limit in cost units, operation slots, usage metering and request metrics. Hive verifies the
 * token's signature on every request (its JWT plugin caches keys, not verifications); Tessera
 * remembers a verified token until its expiry (≤ 60 s). Neither deduplicates in-flight requests.
 *
 * Environment: BENCH_CONCURRENCY (16), BENCH_REQUESTS per path (3000), BENCH_WARMUP per path (2000),
 * BENCH_ROUNDS (4), BENCH_DATASETS (5). Exits non-zero if any answer is not the expected page.
 */
import { availableParallelism, loadavg } from 'node:os';
import { startGatewayProcess } from './gateway-process';
import { startHiveGatewayProcess } from './hive-gateway-process';
import { datasetsQuery, fmt, intFromEnv, LoadGenerator, runBench, setUpBench, summarize, type LoadTarget, type RunResult, type DirectTarget } from './support';

const settings = {
  concurrency: intFromEnv('BENCH_CONCURRENCY', 16, 1),
  requests: intFromEnv('BENCH_REQUESTS', 3000, 1),
  warmup: intFromEnv('BENCH_WARMUP', 2000, 0),
  rounds: intFromEnv('BENCH_ROUNDS', 4, 1),
  datasets: intFromEnv('BENCH_DATASETS', 5, 1),
  tenantCacheTtlMs: 5000,
  telemetry: 'none' as const,
};

type PathName = 'tessera' | 'hive' | 'direct';
const load1 = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<number> {
  console.log('Starting the stack, Tessera\'s gateway and Hive Gateway, each gateway in its own process…');
  const bench = await setUpBench(settings);
  const stops: Array<() => Promise<void>> = [() => bench.stack.stop()];
  const load = new LoadGenerator(settings.concurrency);
  try {
    const tessera = await startGatewayProcess(bench.stack, { tenantCacheTtlMs: settings.tenantCacheTtlMs });
    stops.unshift(() => tessera.stop());
    const hive = await startHiveGatewayProcess(bench.stack);
    stops.unshift(() => hive.stop());
    console.log(
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${load1()}; concurrency ${settings.concurrency}, ` +
        `${settings.requests} requests per path in ${settings.rounds} rounds after ${settings.warmup} warm-up`,
    );
    console.log(`query: ${datasetsQuery}`);
    const cpuOf: Record<PathName, () => number | undefined> = { tessera: tessera.cpuMicros, hive: hive.cpuMicros, direct: () => 0 };
    const targets = async (): Promise<Array<[PathName, DirectTarget]>> => [
      ['tessera', { ...bench.gateway, name: 'tessera', url: tessera.graphqlUrl } satisfies LoadTarget],
      ['hive', { ...bench.gateway, name: 'hive', url: hive.graphqlUrl } satisfies LoadTarget],
      ['direct', await bench.direct()],
    ];
    let errors = 0;
    for (const [, target] of await targets()) {
      const warm = await load.run(target, settings.warmup, bench.expectedPage);
      errors += warm.errors;
      for (const sample of warm.errorSamples.slice(0, 3)) console.error(`  warm-up ${target.name} error: ${sample}`);
    }
    const results: Record<PathName, Array<RunResult & { cpuMicros: number }>> = { tessera: [], hive: [], direct: [] };
    const gatewayCpu: Record<PathName, number | undefined> = { tessera: 0, hive: 0, direct: 0 };
    const perRound = Math.ceil(settings.requests / settings.rounds);
    console.log('');
    for (let round = 0; round < settings.rounds; round += 1) {
      const line: string[] = [];
      for (const [name, target] of await targets()) {
        const before = cpuOf[name]();
        const result = await load.run(target, perRound, bench.expectedPage);
        const after = cpuOf[name]();
        const sum = gatewayCpu[name];
        gatewayCpu[name] = before === undefined || after === undefined || sum === undefined ? undefined : sum + after - before;
        results[name].push(result);
        const s = summarize([result]);
        line.push(`${name} ${fmt(s.throughput, 0)} req/s p50 ${fmt(s.p50)} ms`);
      }
      console.log(`  round ${round + 1} (load ${load1()}): ${line.join(' | ')}`);
    }
    console.log('');
    console.log('path       requests  errors     req/s   p50 ms   p99 ms  gateway CPU µs/req  bench process CPU µs/req*');
    const summaries = Object.fromEntries((Object.keys(results) as PathName[]).map((name) => [name, summarize(results[name])])) as Record<PathName, ReturnType<typeof summarize>>;
    for (const name of Object.keys(results) as PathName[]) {
      const s = summaries[name];
      const cpu = gatewayCpu[name];
      errors += s.errors;
      console.log(
        `${name.padEnd(9)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(7)} ${fmt(s.throughput, 0).padStart(9)} ${fmt(s.p50).padStart(8)} ${fmt(s.p99).padStart(8)} ` +
          `${(name === 'direct' ? '—' : cpu === undefined ? 'n/a' : fmt(cpu / s.requests, 0)).padStart(19)} ${fmt(s.cpuPerRequestUs, 0).padStart(26)}`,
      );
    }
    console.log('* the bench process: the subgraphs and the load thread (the same work on every path, plus what a subgraph does more for a gateway).');
    const t = summaries.tessera;
    const h = summaries.hive;
    const tCpu = gatewayCpu.tessera;
    const hCpu = gatewayCpu.hive;
    console.log('');
    console.log(`Hive Gateway / Tessera: throughput ${fmt(h.throughput / t.throughput, 2)}×, p50 ${fmt(h.p50 / t.p50, 2)}×, p99 ${fmt(h.p99 / t.p99, 2)}×` +
      (tCpu !== undefined && hCpu !== undefined ? `, gateway CPU per request ${fmt(hCpu / h.requests / (tCpu / t.requests), 2)}×` : ''));
    console.log(`load average at the end: ${load1()}`);
    console.log(`Tessera ahead: ${errors > 0 ? 'not evaluated: the run had errors' : t.throughput > h.throughput && (tCpu === undefined || hCpu === undefined || tCpu / t.requests < hCpu / h.requests) ? 'YES' : 'NO'}`);
    for (const [name, list] of Object.entries(results)) {
      for (const sample of list.flatMap((r) => r.errorSamples).slice(0, 5)) console.error(`  ${name} error: ${sample}`);
    }
    return errors > 0 ? 1 : 0;
  } finally {
    await load.close();
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

runBench(main);
