/**
 * The load generator of gateway.bench.ts, on its own thread: the stack under test runs in the
 * main thread's event loop, so the client's own work (HTTP framing, JSON parsing, response
 * checks) must not queue in front of the server's. Plain node:http with keep-alive agents.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadTarget {
  name: string;
  /** http://127.0.0.1:<port>/graphql — nothing else is ever called. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface RunRequest {
  type: 'run';
  target: LoadTarget;
  requests: number;
  /** Dataset names every response must list, in order. */
  expectedNames: string[];
}

export interface RunResult {
  type: 'result';
  target: string;
  /** Per-request latency in ms, in completion order. */
  latenciesMs: Float64Array<ArrayBuffer>;
  durationMs: number;
  errors: number;
  errorSamples: string[];
}

export interface LoadWorkerData {
  concurrency: number;
}

const { concurrency } = workerData as LoadWorkerData;
const agents = new Map<string, Agent>();

function agentFor(origin: string): Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, scheduling: 'lifo' });
    agents.set(origin, agent);
  }
  return agent;
}

function post(target: LoadTarget, url: URL, agent: Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    req.end(target.body);
  });
}

/** Empty when the response is the expected page of datasets; otherwise why not. */
function check(status: number, text: string, expectedNames: string[]): string {
  if (status !== 200) return `HTTP ${status}: ${text.trim().slice(0, 300)}`;
  let body: { data?: { datasets?: { edges?: Array<{ node?: { id?: unknown; name?: unknown } }> } } | null; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `non-JSON response: ${text.slice(0, 300)}`;
  }
  if (body.errors?.length) return `GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`;
  const edges = body.data?.datasets?.edges;
  if (!Array.isArray(edges)) return `no datasets in response: ${text.slice(0, 300)}`;
  const names = edges.map((edge) => edge.node?.name);
  if (names.length !== expectedNames.length || names.some((name, i) => name !== expectedNames[i])) {
    return `unexpected datasets ${JSON.stringify(names)}`;
  }
  if (edges.some((edge) => typeof edge.node?.id !== 'string' || edge.node.id.length === 0)) return 'a dataset without an id';
  return '';
}

async function run(message: RunRequest): Promise<RunResult> {
  const url = new URL(message.target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to send load to ${url.hostname}: 127.0.0.1 only`);
  const agent = agentFor(url.origin);
  const latenciesMs = new Float64Array(message.requests);
  const errorSamples: string[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  const started = performance.now();
  const loop = async () => {
    while (next < message.requests) {
      next += 1;
      const t0 = performance.now();
      let problem: string;
      try {
        const res = await post(message.target, url, agent);
        latenciesMs[done] = performance.now() - t0;
        problem = check(res.status, res.text, message.expectedNames);
      } catch (error) {
        latenciesMs[done] = performance.now() - t0;
        problem = `request failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      done += 1;
      if (problem) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(problem);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, message.requests) }, loop));
  return { type: 'result', target: message.target.name, latenciesMs, durationMs: performance.now() - started, errors, errorSamples };
}

parentPort!.on('message', (message: RunRequest | { type: 'close' }) => {
  if (message.type === 'close') {
    for (const agent of agents.values()) agent.destroy();
    parentPort!.close();
    return;
  }
  run(message).then(
    (result) => parentPort!.postMessage(result, [result.latenciesMs.buffer]),
    (error: unknown) => parentPort!.postMessage({ type: 'failed', message: error instanceof Error ? error.stack : String(error) }),
  );
});
