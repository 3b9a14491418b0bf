/**
 * The load generator of inference.bench.ts, on its own thread (the stack under test runs in the
 * main thread's event loop; the client's work must not queue in front of the server's). Sends one
 * predict request body over keep-alive HTTP at a fixed concurrency and checks every answer: the
 * output has the expected shape and values (within float32 tolerance) — an error or a wrong answer
 * counts as an error, so nothing can look fast by being wrong.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface PredictTarget {
  name: string;
  /** http://127.0.0.1:<port>/graphql — nothing else is ever called. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The output values every answer must carry (one row). */
  expected: number[];
}

export interface PredictRunRequest {
  type: 'run';
  target: PredictTarget;
  requests: number;
  concurrency: number;
}

export interface PredictRunResult {
  type: 'result';
  target: string;
  latenciesMs: Float64Array<ArrayBuffer>;
  durationMs: number;
  errors: number;
  errorSamples: string[];
  /** Sum of the `batchSize` the server reported, to show how much merging happened. */
  batchSizeSum: number;
}

const { maxConcurrency } = workerData as { maxConcurrency: number };
const agents = new Map<string, Agent>();

function agentFor(origin: string): Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: maxConcurrency, maxFreeSockets: maxConcurrency, scheduling: 'lifo' });
    agents.set(origin, agent);
  }
  return agent;
}

function post(target: PredictTarget, url: URL, agent: Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('request timed out after 60 s')));
    req.on('error', reject);
    req.end(target.body);
  });
}

/** [problem or '', batchSize] */
function check(status: number, text: string, expected: number[]): [string, number] {
  if (status !== 200) return [`HTTP ${status}: ${text.trim().slice(0, 300)}`, 0];
  let body: { data?: { predict?: { outputs?: Array<{ data?: number[] }>; batchSize?: number } } | null; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return [`non-JSON response: ${text.slice(0, 300)}`, 0];
  }
  if (body.errors?.length) return [`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`, 0];
  const data = body.data?.predict?.outputs?.[0]?.data;
  if (!Array.isArray(data) || data.length !== expected.length) return [`unexpected output: ${text.slice(0, 300)}`, 0];
  for (let i = 0; i < expected.length; i += 1) {
    const want = expected[i]!;
    if (Math.abs(data[i]! - want) > 1e-3 * Math.max(1, Math.abs(want))) return [`output ${i} is ${data[i]}, expected ${want}`, 0];
  }
  return ['', body.data?.predict?.batchSize ?? 0];
}

async function run(message: PredictRunRequest): Promise<PredictRunResult> {
  const url = new URL(message.target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to send load to ${url.hostname}: 127.0.0.1 only`);
  const agent = agentFor(url.origin);
  const latenciesMs = new Float64Array(message.requests);
  const errorSamples: string[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  let batchSizeSum = 0;
  const started = performance.now();
  const loop = async () => {
    while (next < message.requests) {
      next += 1;
      const t0 = performance.now();
      let problem: string;
      let batchSize = 0;
      try {
        const res = await post(message.target, url, agent);
        latenciesMs[done] = performance.now() - t0;
        [problem, batchSize] = check(res.status, res.text, message.target.expected);
      } catch (error) {
        latenciesMs[done] = performance.now() - t0;
        problem = `request failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      done += 1;
      batchSizeSum += batchSize;
      if (problem) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(problem);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(message.concurrency, message.requests) }, loop));
  return { type: 'result', target: message.target.name, latenciesMs, durationMs: performance.now() - started, errors, errorSamples, batchSizeSum };
}

parentPort!.on('message', (message: PredictRunRequest | { type: 'close' }) => {
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
