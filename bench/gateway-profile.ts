/**
 * `npx tsx bench/gateway-profile.ts` — where the gateway's time goes (companion of gateway.bench.ts).
 *
 * 1. Stage timings, one call at a time on the idle stack: OIDC access-token verification, tenant
 *    lookup (cache off → one MySQL read; cache on → a Map hit), internal-context signing, and the
 *    subgraph's internal-context verification (paid on both paths).
 * 2. A V8 CPU profile of the process that runs the gateway and the subgraphs, once under gateway
 *    load and once under direct load (same concurrency, same number of requests; the load comes
 *    from a worker thread, which the profile does not see). CPU per request by package, and the
 *    difference: what the gateway adds per request. The servers share one event loop, so at
 *    concurrency C a request waits behind about C − 1 others: extra CPU × C ≈ extra latency.
 *
 * 3. With BENCH_PROFILE_GATEWAY=own-process the gateway load goes to `tessera gateway` in a child
 *    process instead: the profile then holds only the subgraph side (and the load thread is still
 *    outside it), and the difference is what a subgraph does more when the gateway calls it.
 *
 * Environment: BENCH_CONCURRENCY (16), BENCH_PROFILE_REQUESTS (3000), BENCH_TENANT_CACHE_TTL_MS (5000),
 * BENCH_STAGE_ITERATIONS (2000), BENCH_TELEMETRY (none | memory), BENCH_WARMUP (3000 per path),
 * BENCH_PROFILE_GATEWAY (same-process | own-process).
 */
import { Session, type Profiler } from 'node:inspector';
import path from 'node:path';
import { certificateThumbprint, createAccessTokenVerifier, createInternalContextVerifier } from '@tessera/auth';
import { TenantDirectory, TenantStore } from '@tessera/tenancy';
import { startGatewayProcess } from './gateway-process';
import { fmt, intFromEnv, LoadGenerator, runBench, setUpBench, summarize, type BenchSetup, type LoadTarget } from './support';

const settings = {
  concurrency: intFromEnv('BENCH_CONCURRENCY', 16, 1),
  requests: intFromEnv('BENCH_PROFILE_REQUESTS', 3000, 1),
  iterations: intFromEnv('BENCH_STAGE_ITERATIONS', 2000, 1),
  tenantCacheTtlMs: intFromEnv('BENCH_TENANT_CACHE_TTL_MS', 5000, 0),
  datasets: 5,
  telemetry: process.env['BENCH_TELEMETRY'] === 'memory' ? ('memory' as const) : ('none' as const),
  warmup: intFromEnv('BENCH_WARMUP', 3000, 0),
  gatewayProcess: process.env['BENCH_PROFILE_GATEWAY'] === 'own-process',
};

/** Mean time of `fn` over `iterations` sequential calls, in µs. */
async function timeIt(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, iterations); i += 1) await fn();
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) await fn();
  return ((performance.now() - started) * 1000) / iterations;
}

async function stageTimings(bench: BenchSetup): Promise<void> {
  const { stack } = bench;
  const n = settings.iterations;
  const verifyAccessToken = createAccessTokenVerifier(stack.config.oidc);
  const uncached = new TenantDirectory(new TenantStore(stack.platform.runtime.db, stack.config.database.controlSchema), 0);
  const cached = new TenantDirectory(new TenantStore(stack.platform.runtime.db, stack.config.database.controlSchema), 5000);
  // Contexts are single-use: one fresh token per verification.
  const verifyContext = await createInternalContextVerifier(stack.config.internalContextKeys.publicJwk, { audience: 'datasets' });
  const peerCertificateThumbprint = certificateThumbprint(stack.pki.identity('gateway').cert);
  // timeIt warms up with up to 200 calls first: one fresh token for each of those too.
  const freshTokens = await Promise.all(Array.from({ length: n + 200 }, () => bench.sign(bench.principal, 'datasets')));
  let next = 0;
  const rows: Array<[string, number]> = [
    ['OIDC access-token verification (jose jwtVerify, JWKS cached)', await timeIt(n, () => verifyAccessToken(bench.accessToken))],
    ['tenant lookup, tenantCacheTtlMs 0 (one MySQL SELECT)', await timeIt(Math.min(n, 1000), () => uncached.requireActive(bench.tenantId))],
    ['tenant lookup, tenantCacheTtlMs 5000 (Map hit)', await timeIt(n, () => cached.requireActive(bench.tenantId))],
    ['internal-context signing (ES256 SignJWT)', await timeIt(n, () => bench.sign({ ...bench.principal }, 'datasets'))],
    ['internal-context verification, subgraph side (signature, cnf, jti)', await timeIt(n, () => verifyContext(freshTokens[next++], { peerCertificateThumbprint }))],
  ];
  console.log('\nStage timings (sequential, idle stack, mean per call):');
  for (const [name, us] of rows) console.log(`  ${name.padEnd(64)} ${fmt(us / 1000, 3).padStart(8)} ms`);
}

/** The repository's own code, wherever it is checked out (a worktree, CI's clone). */
const repoRoot = path.join(__dirname, '..');
const escapedRoot = repoRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const localCode = new RegExp(`${escapedRoot}/((?:packages|subgraphs)/[^/]+|gateway|bench)/`);

/** Which bucket a stack frame's code belongs to: a package, a Tessera workspace, or a Node module. */
function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const local = localCode.exec(url);
  if (local) return `tessera:${local[1]}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

/**
 * Stages of a request, recognized by a frame on the stack (url fragment, optionally a function
 * name). A sample counts for a stage only while the stage's frame is on the *synchronous* stack:
 * work resumed after an `await` loses its caller (so most of jose's verify/sign work shows under
 * `jose` in the owner table, not here). Middleware-style wrappers (express, OpenTelemetry's
 * context.with) would count everything downstream, so they are left to the owner table.
 */
const stages: Array<{ name: string; url: string; fn?: string }> = [
  { name: 'OIDC access-token verification', url: 'packages/auth/src/access-token-verifier' },
  { name: 'tenant lookup (TenantDirectory)', url: 'packages/tenancy/src/control-plane/tenant-directory' },
  { name: 'rate limit', url: 'gateway/src/pipeline/cost-rate-limit', fn: 'take' },
  { name: 'internal-context signing', url: 'packages/auth/src/internal-context', fn: 'sign' },
  { name: 'internal-context verification', url: 'packages/auth/src/internal-context', fn: 'verify' },
  { name: 'prepared operation lookup', url: 'gateway/src/prepared/prepared-operations', fn: 'admit' },
  { name: 'persisted document (hash of the text)', url: 'gateway/src/prepared/persisted-documents', fn: 'resolve' },
  { name: 'single-fetch answer (no Apollo)', url: 'gateway/src/prepared/single-fetch-executor', fn: 'answer' },
  { name: 'query planning (@apollo/query-planner)', url: '/@apollo/query-planner/' },
  { name: 'plan execution (executeQueryPlan)', url: '/@apollo/gateway/dist/executeQueryPlan' },
  { name: 'subgraph HTTP client (make-fetch-happen)', url: '/make-fetch-happen/' },
  { name: 'Apollo Server request pipeline', url: '/@apollo/server/dist/cjs/requestPipeline' },
  { name: 'source maps (Error.stack under tsx)', url: 'node:internal/source_map' },
  { name: 'MySQL client (mysql2)', url: '/mysql2/' },
];

interface ProfileSummary {
  /** Sampled wall time of the phase, ms. */
  wallMs: number;
  /** ms of samples that were not (idle), i.e. CPU on the server thread. */
  busyMs: number;
  /** Self time per bucket, ms. */
  self: Map<string, number>;
  /**
   * Time per owner, ms: a sample belongs to the deepest frame on its stack that is package or
   * Tessera code (so Node internals, native code and GC-free work land on whoever called them).
   */
  owner: Map<string, number>;
  /** Time per function (name and location) that owns a sample, ms. */
  functions: Map<string, number>;
  /** Time of samples whose stack contains the bucket anywhere, ms. */
  inclusive: Map<string, number>;
  /** Time of samples whose stack contains the stage, ms. */
  stages: Map<string, number>;
}

function summarizeProfile(profile: Profiler.Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  interface Buckets {
    self: string;
    stack: Set<string>;
    stages: Set<string>;
    owner: string;
    ownerFunction: string;
  }
  const bucketCache = new Map<number, Buckets>();
  const isOwner = (bucket: string) => !bucket.startsWith('node:') && !bucket.startsWith('(') && !bucket.startsWith('file:');
  const bucketsOf = (id: number): Buckets => {
    const hit = bucketCache.get(id);
    if (hit) return hit;
    const node = byId.get(id)!;
    const frame = node.callFrame;
    const self = bucketOf(frame.url, frame.functionName);
    const up = parent.get(id);
    const above = up === undefined ? undefined : bucketsOf(up);
    const stack = new Set(above?.stack ?? []);
    stack.add(self);
    const stagesHere = new Set(above?.stages ?? []);
    for (const stage of stages) {
      if (frame.url.includes(stage.url) && (!stage.fn || frame.functionName === stage.fn)) stagesHere.add(stage.name);
    }
    if (frame.functionName === '(garbage collector)') stagesHere.add('(garbage collector)');
    const where = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/node_modules\//, '').replace(`file://${repoRoot}/`, '')}:${frame.lineNumber + 1}`;
    const entry = isOwner(self)
      ? { self, stack, stages: stagesHere, owner: self, ownerFunction: where }
      : { self, stack, stages: stagesHere, owner: above?.owner ?? self, ownerFunction: above?.ownerFunction ?? where };
    bucketCache.set(id, entry);
    return entry;
  };
  const self = new Map<string, number>();
  const owner = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const stageTimes = new Map<string, number>([...stages.map((stage): [string, number] => [stage.name, 0]), ['(garbage collector)', 0]]);
  let wallMs = 0;
  let busyMs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    // A sample's time is the gap to the next sample.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const buckets = bucketsOf(samples[i]!);
    wallMs += ms;
    if (buckets.self === '(idle)') continue;
    busyMs += ms;
    self.set(buckets.self, (self.get(buckets.self) ?? 0) + ms);
    // GC and (program) are not anyone's call in particular: keep them as they are.
    const ownerName = buckets.self.startsWith('(') && buckets.self !== '(native)' ? buckets.self : buckets.owner;
    owner.set(ownerName, (owner.get(ownerName) ?? 0) + ms);
    const fn = buckets.self.startsWith('(') && buckets.self !== '(native)' ? buckets.self : buckets.ownerFunction;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    for (const bucket of buckets.stack) inclusive.set(bucket, (inclusive.get(bucket) ?? 0) + ms);
    for (const stage of buckets.stages) stageTimes.set(stage, (stageTimes.get(stage) ?? 0) + ms);
  }
  return { wallMs, busyMs, self, owner, functions, inclusive, stages: stageTimes };
}

async function profiled(session: Session, load: LoadGenerator, target: LoadTarget, expected: string[]) {
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const result = await load.run(target, settings.requests, expected);
  const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
  if (result.errors > 0) throw new Error(`${result.errors} ${target.name} request(s) failed: ${result.errorSamples.join(' | ')}`);
  return { result, profile: summarizeProfile(profile) };
}

function printProfiles(gateway: ReturnType<typeof summarizeProfile>, direct: ReturnType<typeof summarizeProfile>, requests: number): void {
  const perRequest = (ms: number | undefined) => ((ms ?? 0) * 1000) / requests; // µs
  const table = (title: string, g: Map<string, number>, d: Map<string, number>, limit: number, width = 40) => {
    const names = [...new Set([...g.keys(), ...d.keys()])]
      .map((name) => ({ name, g: perRequest(g.get(name)), d: perRequest(d.get(name)) }))
      .sort((a, b) => b.g - b.d - (a.g - a.d))
      .slice(0, limit);
    console.log(`\n${title} (µs of server-thread CPU per request; sorted by what the gateway adds)`);
    console.log(`  ${'bucket'.padEnd(width)} ${'gateway'.padStart(9)} ${'direct'.padStart(9)} ${'added'.padStart(9)}`);
    for (const row of names) {
      console.log(`  ${row.name.slice(0, width).padEnd(width)} ${fmt(row.g, 0).padStart(9)} ${fmt(row.d, 0).padStart(9)} ${fmt(row.g - row.d, 0).padStart(9)}`);
    }
  };
  console.log(
    `\nServer-thread CPU per request: gateway ${fmt(perRequest(gateway.busyMs), 0)} µs, direct ${fmt(perRequest(direct.busyMs), 0)} µs, ` +
      `added ${fmt(perRequest(gateway.busyMs) - perRequest(direct.busyMs), 0)} µs ` +
      `(busy ${fmt((100 * gateway.busyMs) / gateway.wallMs, 0)}% / ${fmt((100 * direct.busyMs) / direct.wallMs, 0)}% of the phase)`,
  );
  table('Stages (synchronous stacks only, see `stages`)', gateway.stages, direct.stages, 20, 44);
  table('Time by owner (the deepest package or Tessera frame on the stack)', gateway.owner, direct.owner, 25);
  table('Time by owning function', gateway.functions, direct.functions, 30, 90);
  table('Inclusive time by package (a sample counts for every package on its stack)', gateway.inclusive, direct.inclusive, 22);
}

async function main(): Promise<number> {
  console.log('Starting the stack…');
  const bench = await setUpBench(settings);
  const gatewayProcess = settings.gatewayProcess ? await startGatewayProcess(bench.stack, { tenantCacheTtlMs: settings.tenantCacheTtlMs }) : undefined;
  const gateway: LoadTarget = gatewayProcess ? { ...bench.gateway, url: gatewayProcess.graphqlUrl } : bench.gateway;
  const load = new LoadGenerator(settings.concurrency);
  const session = new Session();
  session.connect();
  try {
    console.log(
      `Node ${process.version}; tenantCacheTtlMs ${settings.tenantCacheTtlMs}; telemetry ${settings.telemetry}; ` +
        `gateway ${gatewayProcess ? 'in its own process (not in the profile)' : 'in this process'}`,
    );
    await stageTimings(bench);

    // Long enough for the JIT to settle: the first thousand or so requests run slower code.
    const direct = await bench.direct();
    for (const target of [gateway, direct]) {
      const warm = await load.run(target, settings.warmup, bench.expectedPage);
      if (warm.errors > 0) throw new Error(`warm-up ${target.name}: ${warm.errorSamples.join(' | ')}`);
    }
    const g = await profiled(session, load, gateway, bench.expectedPage);
    const d = await profiled(session, load, await bench.direct(), bench.expectedPage);
    const gs = summarize([g.result]);
    const ds = summarize([d.result]);
    console.log(
      `\nProfiled phases (concurrency ${settings.concurrency}, ${settings.requests} requests each, profiler on): ` +
        `gateway ${fmt(gs.throughput, 0)} req/s p50 ${fmt(gs.p50)} ms; direct ${fmt(ds.throughput, 0)} req/s p50 ${fmt(ds.p50)} ms`,
    );
    printProfiles(g.profile, d.profile, settings.requests);
    return 0;
  } finally {
    session.disconnect();
    await load.close();
    await gatewayProcess?.stop();
    await bench.stack.stop();
  }
}

runBench(main);
