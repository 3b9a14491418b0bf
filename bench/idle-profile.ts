/**
 * `npx tsx bench/idle-profile.ts` — what the platform does with many tenants and no requests.
 *
 * Starts the bench stack (subgraphs in this process, the audit relay at the deployment default of
 * 1 s, as bench:tenants does) and a gateway in its own process, provisions 10 tenants and then
 * BENCH_TENANTS, and at each count — after a datasets page for up to BENCH_SPREAD_TENANTS
 * tenants, so per-tenant caches and rate-limit buckets exist as in bench:tenants — measures two
 * windows without any request:
 *
 * 1. BENCH_IDLE_SECONDS (60): CPU of each process (/proc; per thread for this one; the local
 *    MariaDB server's too, which serves every client on the machine), the MySQL statements this process sent
 *    (counted on mysql2's diagnostics channels, by statement shape), and the server-wide
 *    counters: MariaDB `Questions`, Redis commands (both include other clients of the servers).
 *    Statements per second per tenant do not depend on what else runs on the machine.
 * 2. BENCH_PROFILE_SECONDS (30): a V8 CPU profile of each process: self and inclusive time per
 *    function, self time per file. With BENCH_PROFILE_DIR the raw `.cpuprofile` files are kept
 *    (open them in Chrome DevTools).
 *
 * BENCH_TENANTS (300, ≥ 10), BENCH_SPREAD_TENANTS (200), BENCH_TOP (25 lines per table).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startTelemetry } from '@tessera/telemetry';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { profileOverInspector, profileThisProcess, summarizeProfile, topLines, type CpuProfile } from './cpu-profile';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';
import { findProcessId, processCpuMicros, threadCpuMicros } from './process-stats';
import { countQueries, mysqlQuestions, redisCommands } from './query-census';
import { fmt, intFromEnv, runBench } from './support';
import { loadAverage, Provisioning, spreadTraffic, TokenBook } from './tenant-fleet';

const baselineTenants = 10;
const settings = {
  tenants: intFromEnv('BENCH_TENANTS', 300, baselineTenants),
  spreadTenants: intFromEnv('BENCH_SPREAD_TENANTS', 200, 0),
  idleSeconds: intFromEnv('BENCH_IDLE_SECONDS', 60, 1),
  profileSeconds: intFromEnv('BENCH_PROFILE_SECONDS', 30, 1),
  top: intFromEnv('BENCH_TOP', 25, 1),
  profileDir: process.env['BENCH_PROFILE_DIR'] || undefined,
  startSeries: process.env['BENCH_START_SERIES'] !== '0',
};

interface Tools {
  stack: TestStack;
  gateway: GatewayProcess;
  redis: Redis;
}

/** Window 1: CPU of both processes and the statements and commands sent, with no requests. */
async function idleWindow({ stack, gateway, redis }: Tools, tenants: number): Promise<void> {
  const adminQuery = <T>(sql: string) => stack.adminQuery<T>(sql);
  const questionsBefore = await mysqlQuestions(adminQuery);
  const redisBefore = await redisCommands(redis);
  const gatewayBefore = gateway.cpuMicros() ?? NaN;
  const databasePid = findProcessId(['mariadbd', 'mysqld']);
  const databaseBefore = databasePid === undefined ? undefined : processCpuMicros(databasePid);
  const subgraphsBefore = process.cpuUsage();
  const threadsBefore = threadCpuMicros(process.pid);
  const census = await countQueries(settings.idleSeconds * 1000);
  const subgraphs = process.cpuUsage(subgraphsBefore);
  const threads = threadCpuMicros(process.pid);
  const gatewayMicros = (gateway.cpuMicros() ?? NaN) - gatewayBefore;
  const databaseMicros = databasePid === undefined || databaseBefore === undefined ? undefined : (processCpuMicros(databasePid) ?? NaN) - databaseBefore;
  const questions = (await mysqlQuestions(adminQuery)) - questionsBefore;
  const commandsCounted = (await redisCommands(redis)) - redisBefore;
  // A Redis restarted meanwhile (by whatever else uses it) starts its counter again.
  const commands = commandsCounted >= 0 ? commandsCounted : NaN;
  const seconds = census.seconds;
  const percent = (micros: number) => fmt(micros / seconds / 10_000, 1);
  console.log(`\nIdle at ${tenants} tenants, ${fmt(seconds, 0)} s without requests (load average ${loadAverage()}):`);
  console.log(
    `  CPU: gateway process ${percent(gatewayMicros)} % of a core, subgraph process ${percent(subgraphs.user + subgraphs.system)} %` +
      (databaseMicros === undefined ? '' : `, local MariaDB server ${percent(databaseMicros)} % (all its clients)`),
  );
  const busyThreads = [...threads]
    .map(([name, micros]): [string, number] => [name, micros - (threadsBefore.get(name) ?? 0)])
    .filter(([, micros]) => micros > 0)
    .sort((a, b) => b[1] - a[1]);
  console.log(`  subgraph process by thread: ${busyThreads.map(([name, micros]) => `${name} ${percent(micros)} %`).join(', ')}`);
  console.log(
    `  MySQL statements sent by the subgraph process: ${fmt(census.total / seconds, 1)}/s = ${fmt(census.total / seconds / tenants, 3)}/s per tenant; ` +
      `server-wide Questions ${fmt(questions / seconds, 1)}/s; Redis commands server-wide ${fmt(commands / seconds, 1)}/s (both include other clients)`,
  );
  console.log('  statements by shape (per second):');
  for (const [shape, count] of [...census.shapes].sort((a, b) => b[1] - a[1]).slice(0, settings.top)) {
    console.log(`  ${fmt(count / seconds, 2).padStart(9)}  ${shape}`);
  }
}

function printProfile(title: string, profile: CpuProfile): void {
  const summary = summarizeProfile(profile);
  console.log(`\n  ${title}: JavaScript thread busy ${fmt((100 * summary.busyMs) / summary.wallMs, 1)} % of ${fmt(summary.wallMs / 1000, 0)} s`);
  console.log('   self time by function (% of a core):');
  for (const line of topLines(summary.self, summary.wallMs, settings.top)) console.log(`   ${line}`);
  console.log('   inclusive time by function (synchronous stacks: work resumed after an await starts a new stack):');
  for (const line of topLines(summary.inclusive, summary.wallMs, settings.top)) console.log(`   ${line}`);
  console.log('   self time by file or package:');
  for (const line of topLines(summary.files, summary.wallMs, settings.top)) console.log(`   ${line}`);
}

/** Window 2: CPU profiles of both processes over the same seconds. */
async function profileWindow({ gateway }: Tools, tenants: number): Promise<void> {
  const ms = settings.profileSeconds * 1000;
  const [subgraphs, gatewayProfile] = await Promise.all([
    profileThisProcess(ms),
    gateway.inspectorUrl ? profileOverInspector(gateway.inspectorUrl, ms) : Promise.resolve(undefined),
  ]);
  console.log(`\nCPU profiles at ${tenants} tenants (${settings.profileSeconds} s, no requests):`);
  printProfile('subgraph process', subgraphs);
  if (gatewayProfile) printProfile('gateway process', gatewayProfile);
  if (settings.profileDir) {
    writeFileSync(path.join(settings.profileDir, `subgraphs-${tenants}.cpuprofile`), JSON.stringify(subgraphs));
    if (gatewayProfile) writeFileSync(path.join(settings.profileDir, `gateway-${tenants}.cpuprofile`), JSON.stringify(gatewayProfile));
  }
}

/** The stack's request-metrics buckets and anomaly settle delay (the defaults), plus slack for the gateway's flush. */
const bucketMs = 60_000;
const settleMs = 30_000;
const flushSlackMs = 12_000;
const anomaliesQuery = 'query($from: DateTime!, $to: DateTime!) { anomalies(from: $from, to: $to, first: 1) { id } }';

/**
 * Starts the anomaly series of `tenants` as a busy deployment has them running: once the bucket
 * their traffic fell in has settled, an `anomalies` query per tenant judges it (the on-demand pass),
 * so the detector visits those tenants every pass from then on.
 */
async function startAnomalySeries(graphqlUrl: string, tokens: TokenBook, tenants: readonly TestTenant[], trafficEndedAt: number): Promise<void> {
  const settledAt = Math.ceil(trafficEndedAt / bucketMs) * bucketMs + settleMs + flushSlackMs;
  await sleep(Math.max(0, settledAt - Date.now()));
  const queue = [...tenants];
  const worker = async () => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokens.viewer(tenant.id)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: anomaliesQuery, variables: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() } }),
      });
      const answer = (await response.json()) as { errors?: unknown[] };
      if (response.status !== 200 || answer.errors) throw new Error(`anomalies of tenant ${tenant.id}: HTTP ${response.status} ${JSON.stringify(answer.errors)}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function measureAt(tools: Tools, provisioning: Provisioning, tokens: TokenBook): Promise<void> {
  const tenants = provisioning.tenants.length;
  const spread = provisioning.tenants.slice(0, settings.spreadTenants);
  await spreadTraffic(tools.gateway.graphqlUrl, tokens, spread);
  if (settings.startSeries) await startAnomalySeries(tools.gateway.graphqlUrl, tokens, spread, Date.now());
  // What provisioning and the traffic left behind (outboxes, metrics) is worked off first.
  await sleep(10_000);
  await idleWindow(tools, tenants);
  await profileWindow(tools, tenants);
}

async function main(): Promise<number> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: 'none' });
  console.log('Starting the stack and a gateway process (with its inspector open on 127.0.0.1)…');
  const stack = await startTestStack({ tenantCacheTtlMs: 5_000, auditRelayIntervalMs: 1_000, auditRelayFullSweepIntervalMs: 10_000 });
  const gateway = await startGatewayProcess(stack, { tenantCacheTtlMs: 5_000, inspect: true });
  const redis = new Redis(stack.config.redis.url, { lazyConnect: true });
  const tools: Tools = { stack, gateway, redis };
  try {
    console.log(`Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadAverage()}; up to ${settings.tenants} tenants`);
    const provisioning = new Provisioning(stack);
    const tokens = new TokenBook(stack);
    console.log(`\nProvisioning ${baselineTenants} tenants:`);
    await provisioning.upTo(baselineTenants);
    await measureAt(tools, provisioning, tokens);
    console.log(`\nProvisioning up to ${settings.tenants} tenants:`);
    await provisioning.upTo(settings.tenants);
    console.log(`  ${provisioning.describe()}`);
    await measureAt(tools, provisioning, tokens);
    console.log(`\nload average now ${loadAverage()}; removing ${provisioning.tenants.length} tenants…`);
    return 0;
  } finally {
    redis.disconnect();
    await gateway.stop();
    await stack.stop();
  }
}

runBench(main);
