/**
 * `npm run bench:hop-floor` — the latency floor of the serving layout itself, with no platform code:
 * the same processes and hops as a predict through Tessera, each doing nothing but forwarding.
 *
 *   client ──TLS──▶ relay process ──mutual TLS──▶ server (this process) ──IPC──▶ child: session.run
 *
 * The relay stands where the gateway is (its own process), the server where the models subgraph is,
 * the child where the tenant's inference process is (the same `advanced` serialization channel, the
 * same MLP as bench:inference). Bodies are the size of a base64 1-row predict. It prints, at
 * concurrency 1, raw `session.run` in the child, and the p50 of the whole chain; their difference is
 * what process isolation and TLS on every hop cost before any platform work, i.e. the least overhead
 * over raw any implementation of this layout can reach on this machine, in this load.
 *
 * It also prints session.run's own p50 inside the chain, so a model slowed down between calls is
 * told apart from the hops. Environment: BENCH_REQUESTS (2000), BENCH_ROUNDS (3), BENCH_MLP_* as
 * bench:inference, BENCH_CHILD_WAIT_MS / BENCH_CHILD_WAIT (a wait in the child before each chained
 * run, see childWait), BENCH_FLOOR_WITHOUT (relay, child or both: the chain without the gateway's
 * process or with session.run in the server's own process, to price the layouts not taken). Under
 * `taskset -c 0` every process shares one core, which removes the wake-ups of an idle core.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { readBody } from './http-body';
import { processCpuMicros } from './process-stats';
import { fmt, intFromEnv, percentile, runBench } from './support';

const pkiDir = process.env['TESSERA_PKI_DIR'] ?? path.join(__dirname, '..', '.tessera', 'pki');
const pem = (name: string) => readFileSync(path.join(pkiDir, name));
const settings = {
  requests: intFromEnv('BENCH_REQUESTS', 2000, 10),
  rounds: intFromEnv('BENCH_ROUNDS', 3, 1),
  features: intFromEnv('BENCH_MLP_FEATURES', 256, 1),
  width: intFromEnv('BENCH_MLP_WIDTH', 2560, 1),
  layers: intFromEnv('BENCH_MLP_LAYERS', 3, 1),
  childWaitMs: Number(process.env['BENCH_CHILD_WAIT_MS'] ?? 0),
  // Hops left out, to price the layouts not taken: `relay` (the client calls the server, as if no
  // gateway process stood between), `child` (session.run in the server's own process).
  without: new Set((process.env['BENCH_FLOOR_WITHOUT'] ?? '').split(',').map((hop) => hop.trim()).filter(Boolean)),
  childWait: process.env['BENCH_CHILD_WAIT'] === 'spin' ? ('spin' as const) : ('sleep' as const),
};

/**
 * The diagnostic wait before each chained run (BENCH_CHILD_WAIT_MS, BENCH_CHILD_WAIT=sleep|spin):
 * with a tiny model it separates what the hops cost from what the rest of the machine loses while
 * the child is busy for that long — the same wait asleep or spinning shows it is the other
 * processes' idle time, not the child's work, that makes them slower.
 */
async function childWait(since: number): Promise<void> {
  if (settings.childWait === 'sleep') {
    await new Promise((resolve) => setTimeout(resolve, settings.childWaitMs));
    return;
  }
  while (performance.now() - since < settings.childWaitMs);
}
const role = process.argv[2];
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

function post(agent: Agent, port: number, body: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername: 'localhost', method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      readBody(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The gateway's place: one TLS server for clients, one mutual-TLS keep-alive pool to the server. */
async function relay(): Promise<void> {
  const next = Number(process.argv[3]);
  // The gateway's client for subgraph calls: an undici pool (gateway/src/subgraph-http-client.ts).
  const pool = new Pool(`https://127.0.0.1:${next}`, { connect: { ca: pem('ca.pem'), cert: pem('gateway.pem'), key: pem('gateway-key.pem'), servername: 'localhost' } });
  const server = createServer({ cert: pem('gateway.pem'), key: pem('gateway-key.pem') }, (req: IncomingMessage, res: ServerResponse) => {
    readBody(req)
      .then((body) => pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body }))
      .then((reply) => reply.body.arrayBuffer())
      .then((answer) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.from(answer));
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
}

/** The MLP with the pools' session options, and the two ways the floor runs it. */
async function openModel() {
  const ort = await import('onnxruntime-node');
  const { buildMlp } = await import('@tessera/onnx');
  const session = await ort.InferenceSession.create(buildMlp({ layers: mlpLayers() }), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  return {
    /** raw session.run, back to back: the reference. */
    async raw(runs: number): Promise<Float64Array> {
      const feeds = { input: new ort.Tensor('float32', new Float32Array(settings.features).fill(0.1), [1, settings.features]) };
      const latencies = new Float64Array(runs);
      for (let i = 0; i < runs; i += 1) {
        const t0 = performance.now();
        await session.run(feeds);
        latencies[i] = performance.now() - t0;
      }
      return latencies;
    },
    /** One chained run (after the diagnostic wait, if any), with its own duration. */
    async run(data: Float32Array): Promise<{ data: Float32Array; runMs: number }> {
      const t0 = performance.now();
      if (settings.childWaitMs > 0) await childWait(t0);
      const out = await session.run({ input: new ort.Tensor('float32', data, [1, settings.features]) });
      return { data: out['output']!.data as Float32Array, runMs: performance.now() - t0 };
    },
    release: () => session.release(),
  };
}

/** The inference process's place: the MLP, one run per message, tensors as typed arrays. */
async function infer(): Promise<void> {
  const model = await openModel();
  process.on('message', (message: { id: number; data?: Float32Array; raw?: number }) => {
    void (async () => {
      if (message.raw) {
        process.send?.({ id: message.id, latencies: await model.raw(message.raw) });
        return;
      }
      const { data, runMs } = await model.run(message.data!);
      process.send?.({ id: message.id, data, runMs });
    })();
  });
  process.send?.({ ready: true });
}

/** Where the floor's server runs the model: an IPC child (the layout), or its own process. */
interface FloorInference {
  raw(runs: number): Promise<Float64Array>;
  run(data: Float32Array): Promise<{ data: Float32Array; runMs: number }>;
  /** CPU µs the child used so far (0 in-process: its runs are the server's CPU). */
  cpuMicros(): number;
  stop(): void;
}

async function childInference(): Promise<FloorInference> {
  const child = startChild(['infer'], true);
  await once<{ ready?: boolean }>(child, (m) => m.ready === true);
  let nextId = 1;
  const waiting = new Map<number, (reply: { data?: Float32Array; runMs?: number; latencies?: Float64Array }) => void>();
  child.on('message', (m: { id?: number; data?: Float32Array; runMs?: number; latencies?: Float64Array }) => {
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const ask = (message: { raw?: number; data?: Float32Array }) =>
    new Promise<{ data?: Float32Array; runMs?: number; latencies?: Float64Array }>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ id, ...message });
    });
  return {
    raw: async (runs) => (await ask({ raw: runs })).latencies!,
    run: async (data) => {
      const reply = await ask({ data });
      return { data: reply.data!, runMs: reply.runMs! };
    },
    cpuMicros: () => processCpuMicros(child.pid!) ?? 0,
    stop: () => void child.kill(),
  };
}

async function inProcessInference(): Promise<FloorInference> {
  const model = await openModel();
  return { raw: model.raw, run: model.run, cpuMicros: () => 0, stop: () => void model.release() };
}

function mlpLayers() {
  let state = 42;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const sizes = [settings.features, ...Array<number>(settings.layers).fill(settings.width), 16];
  return sizes.slice(1).map((units, i) => ({
    weights: Array.from({ length: sizes[i]! }, () => Array.from({ length: units }, () => (next() * 2) / Math.sqrt(sizes[i]!))),
    bias: Array.from({ length: units }, () => next() * 0.1),
    activation: (i === sizes.length - 2 ? 'none' : 'relu') as 'none' | 'relu',
  }));
}

function startChild(args: string[], ipcAdvanced: boolean): ChildProcess {
  if (ipcAdvanced) return fork(__filename, args, { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return spawn(process.execPath, ['--import', 'tsx', __filename, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function once<T>(child: ChildProcess, test: (message: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (message: unknown) => {
      if (!test(message as T)) return;
      child.off('message', on);
      resolve(message as T);
    };
    child.on('message', on);
  });
}

export interface FloorRound {
  rawP50: number;
  chainP50: number;
  chainP99: number;
  /** session.run's own p50 inside the chain (measured in the child around each run). */
  chainRunP50: number;
  /** CPU µs per request: the relay process, this process (server and client), the inference child. */
  cpu: { relay: number; server: number; child: number };
}

export interface HopFloor {
  /** `requests` raw runs in the child, then `requests` chain requests at concurrency 1. */
  measure(requests: number): Promise<FloorRound>;
  /** `requests` chain requests, not measured: brings the processes' JIT to its steady state. */
  warm(requests: number): Promise<void>;
  stop(): void;
}

/**
 * Starts the floor's processes (relay, inference child) and its server in this process; with
 * BENCH_FLOOR_WITHOUT, the chain leaves out the relay, the child or both.
 */
export async function startHopFloor(without: ReadonlySet<string> = settings.without): Promise<HopFloor> {
  const inference = without.has('child') ? await inProcessInference() : await childInference();
  // session.run's own time inside the chain: when it exceeds the raw loop's, the model slowed down
  // between calls (caches, idle cores), which no change to the hops can remove.
  const chainRuns: number[] = [];
  // The server: mutual TLS, one body in, base64 decode, a run (over IPC, or here), base64 out.
  const server = createServer({ cert: pem('models.pem'), key: pem('models-key.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    void readBody(req).then(async (body) => {
      const parsed = JSON.parse(body.toString()) as { dataBase64: string };
      const bytes = Buffer.from(parsed.dataBase64, 'base64');
      const { data: out, runMs } = await inference.run(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      chainRuns.push(runMs);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { predict: { outputs: [{ dataBase64: Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64') }] } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverPort = (server.address() as { port: number }).port;
  const relayProcess = without.has('relay') ? undefined : startChild(['relay', String(serverPort)], false);
  const entryPort = relayProcess ? (await once<{ port?: number }>(relayProcess, (m) => typeof m.port === 'number')).port! : serverPort;
  // Without the relay the client calls the server itself, with the gateway's client certificate.
  const client = new Agent({ keepAlive: true, ca: pem('ca.pem'), maxSockets: 1, ...(relayProcess ? {} : { cert: pem('gateway.pem'), key: pem('gateway-key.pem') }) });
  const relayCpu = () => (relayProcess ? (processCpuMicros(relayProcess.pid!) ?? 0) : 0);
  const row = Float32Array.from({ length: settings.features }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const body = JSON.stringify({ query: 'query($input: PredictInput!) { predict(input: $input) { outputs { dataBase64 } } }', dataBase64: Buffer.from(row.buffer).toString('base64') });

  return {
    async warm(requests) {
      for (let i = 0; i < requests; i += 1) await post(client, entryPort, body);
    },
    async measure(requests) {
      const rawP50 = percentile(Float64Array.from(await inference.raw(requests)).sort(), 50);
      for (let i = 0; i < 50; i += 1) await post(client, entryPort, body);
      const latencies = new Float64Array(requests);
      chainRuns.length = 0;
      const cpu0 = { self: process.cpuUsage(), relay: relayCpu(), child: inference.cpuMicros() };
      for (let i = 0; i < requests; i += 1) {
        const t0 = performance.now();
        await post(client, entryPort, body);
        latencies[i] = performance.now() - t0;
      }
      const self = process.cpuUsage(cpu0.self);
      latencies.sort();
      return {
        rawP50,
        chainP50: percentile(latencies, 50),
        chainP99: percentile(latencies, 99),
        chainRunP50: percentile(Float64Array.from(chainRuns).sort(), 50),
        cpu: {
          relay: (relayCpu() - cpu0.relay) / requests,
          server: (self.user + self.system) / requests,
          child: (inference.cpuMicros() - cpu0.child) / requests,
        },
      };
    },
    stop() {
      relayProcess?.kill();
      inference.stop();
      client.destroy();
      server.close();
    },
  };
}

async function main(): Promise<number> {
  const floor = await startHopFloor();
  const left = settings.without.size > 0 ? `; without: ${[...settings.without].join(', ')}` : '';
  console.log(`Node ${process.version}, load average ${load()}; ${settings.rounds} rounds of ${settings.requests} requests at concurrency 1${left}`);
  const overheads: number[] = [];
  try {
    for (let round = 1; round <= settings.rounds; round += 1) {
      const r = await floor.measure(settings.requests);
      overheads.push(r.chainP50 - r.rawP50);
      console.log(
        `  round ${round}: raw session.run p50 ${fmt(r.rawP50)} ms (inside the chain ${fmt(r.chainRunP50)} ms); chain p50 ${fmt(r.chainP50)} ms, p99 ${fmt(r.chainP99)} ms; floor overhead ${fmt(r.chainP50 - r.rawP50)} ms (hops: chain − run inside it ${fmt(r.chainP50 - r.chainRunP50)} ms); ` +
          `CPU µs/request: relay ${fmt(r.cpu.relay, 0)}, server+client ${fmt(r.cpu.server, 0)}, child ${fmt(r.cpu.child, 0)}; load ${load()}`,
      );
    }
  } finally {
    floor.stop();
  }
  overheads.sort((a, b) => a - b);
  console.log(`floor overhead over raw session.run (c=1 p50), median of ${settings.rounds} rounds: ${fmt(overheads[Math.floor(overheads.length / 2)]!)} ms`);
  return 0;
}

if (role === 'relay') void relay();
else if (role === 'infer') void infer();
else if (require.main === module) runBench(main);
