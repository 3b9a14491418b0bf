/**
 * The load generator of the benches, on its own thread: the stack under test runs in the main
 * thread's event loop, so the client's own work (HTTP framing, JSON parsing, response checks)
 * must not queue in front of the server's. Plain node:https with keep-alive agents (the stack runs
 * over TLS: the local CA trusted, a client certificate where the target is a subgraph). Every answer
 * is checked against what the bench expects: an error or a wrong answer counts as an error, so
 * nothing can look fast by being wrong.
 */
import { Agent, request } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadTarget {
  name: string;
  /** https://127.0.0.1:<port>/graphql — nothing else is ever called. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** TLS: the CA to trust, and for a subgraph the client certificate and the name it must present. */
  tls: { ca: string; cert?: string; key?: string; servername?: string };
  /**
   * One single-use internal context per request (the direct path), sent as `x-tessera-context`;
   * minted by the main thread before the phase (LoadGenerator), so signing is not timed here.
   */
  contextTokens?: string[];
}

/** What every answer must be: the datasets page (gateway benches) or a prediction (inference bench). */
export type ResponseExpectation =
  | { kind: 'datasets'; /** Names every page must list, in order. */ names: string[] }
  | { kind: 'predict'; /** The output values of the one row, within float32 tolerance. */ values: number[] }
  /** A flood: any answer without errors, or a refusal whose codes are all in `refusals` (counted in `refused`). */
  | { kind: 'flood'; refusals: string[] };

export interface RunRequest {
  type: 'run';
  target: LoadTarget;
  requests: number;
  /** Requests in flight (at most the worker's `maxConcurrency`). */
  concurrency: number;
  expect: ResponseExpectation;
  /** Stop sending after this long (ms) even if `requests` were not all sent (floods run for a duration). */
  maxDurationMs?: number;
}

export interface RunResult {
  type: 'result';
  target: string;
  /** Per-request latency in ms, in completion order. */
  latenciesMs: Float64Array<ArrayBuffer>;
  durationMs: number;
  errors: number;
  errorSamples: string[];
  /** Sum of the `batchSize` predict answers reported (0 for other answers): how much merging happened. */
  batchSizeSum: number;
  /** Answers refused with one of the expected codes (floods), by code. */
  refused: Record<string, number>;
}

export interface LoadWorkerData {
  maxConcurrency: number;
}

const { maxConcurrency } = workerData as LoadWorkerData;
const agents = new Map<string, Agent>();

function agentFor(origin: string, tls: LoadTarget['tls']): Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: maxConcurrency, maxFreeSockets: maxConcurrency, scheduling: 'lifo', ...tls });
    agents.set(origin, agent);
  }
  return agent;
}

function post(target: LoadTarget, url: URL, agent: Agent, index: number): Promise<{ status: number; text: string }> {
  const context = target.contextTokens?.[index];
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...target.headers, ...(context ? { 'x-tessera-context': context } : {}), 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) },
      },
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

type PredictAnswer = { outputs?: Array<{ data?: number[]; dataBase64?: string }>; batchSize?: number };
type AnswerBody = {
  /** A GraphQL answer (`datasets`, `predict`), or the predict route's answer (`outputs`, `batchSize` at the top). */
  data?: ({ datasets?: { edges?: Array<{ node?: { id?: unknown; name?: unknown } }> }; predict?: PredictAnswer } & PredictAnswer) | null;
  errors?: unknown[];
};

/** [why the answer is not the expected one ('' when it is), the batch size it reports]. */
function check(status: number, text: string, expect: ResponseExpectation): [string, number] {
  if (status !== 200 && expect.kind !== 'flood') return [`HTTP ${status}: ${text.trim().slice(0, 300)}`, 0];
  let body: AnswerBody;
  try {
    body = JSON.parse(text) as AnswerBody;
  } catch {
    return [`non-JSON response: ${text.slice(0, 300)}`, 0];
  }
  if (expect.kind === 'flood') return [checkFlood(body, expect.refusals), 0];
  if (body.errors?.length) return [`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`, 0];
  return expect.kind === 'datasets' ? [checkDatasetsPage(body, text, expect.names), 0] : checkPrediction(body, text, expect.values);
}

/** '' for an answer or an expected refusal; the refusal's code is returned as `refused:<code>`. */
function checkFlood(body: AnswerBody, refusals: string[]): string {
  if (!body.errors?.length) return '';
  const codes = (body.errors as Array<{ extensions?: { code?: unknown } }>).map((error) => String(error.extensions?.code));
  return codes.every((code) => refusals.includes(code)) ? `refused:${codes[0]}` : `unexpected errors: ${JSON.stringify(body.errors).slice(0, 300)}`;
}

function checkDatasetsPage(body: AnswerBody, text: string, expectedNames: string[]): string {
  const edges = body.data?.datasets?.edges;
  if (!Array.isArray(edges)) return `no datasets in response: ${text.slice(0, 300)}`;
  const names = edges.map((edge) => edge.node?.name);
  if (names.length !== expectedNames.length || names.some((name, i) => name !== expectedNames[i])) {
    return `unexpected datasets ${JSON.stringify(names)}`;
  }
  if (edges.some((edge) => typeof edge.node?.id !== 'string' || edge.node.id.length === 0)) return 'a dataset without an id';
  return '';
}

/** The first output's values: the number list, or float32 decoded from `dataBase64` when that was asked for. */
function outputValues(output: { data?: number[]; dataBase64?: string } | undefined): number[] | undefined {
  if (typeof output?.dataBase64 !== 'string') return output?.data;
  const bytes = Buffer.from(output.dataBase64, 'base64');
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}

function checkPrediction(body: AnswerBody, text: string, expected: number[]): [string, number] {
  const prediction: PredictAnswer | undefined = body.data?.predict ?? body.data ?? undefined;
  const data = outputValues(prediction?.outputs?.[0]);
  if (!Array.isArray(data) || data.length !== expected.length) return [`unexpected output: ${text.slice(0, 300)}`, 0];
  for (let i = 0; i < expected.length; i += 1) {
    const want = expected[i]!;
    if (Math.abs(data[i]! - want) > 1e-3 * Math.max(1, Math.abs(want))) return [`output ${i} is ${data[i]}, expected ${want}`, 0];
  }
  return ['', prediction?.batchSize ?? 0];
}

async function run(message: RunRequest): Promise<RunResult> {
  const url = new URL(message.target.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to send load to ${url.hostname}: 127.0.0.1 only`);
  const agent = agentFor(url.origin, message.target.tls);
  const latenciesMs = new Float64Array(message.requests);
  const errorSamples: string[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  let batchSizeSum = 0;
  const refused: Record<string, number> = {};
  const started = performance.now();
  const deadline = message.maxDurationMs === undefined ? Number.POSITIVE_INFINITY : started + message.maxDurationMs;
  const loop = async () => {
    while (next < message.requests && performance.now() < deadline) {
      const index = next;
      next += 1;
      const t0 = performance.now();
      let problem: string;
      let batchSize = 0;
      try {
        const res = await post(message.target, url, agent, index);
        latenciesMs[done] = performance.now() - t0;
        [problem, batchSize] = check(res.status, res.text, message.expect);
      } catch (error) {
        latenciesMs[done] = performance.now() - t0;
        problem = `request failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      done += 1;
      batchSizeSum += batchSize;
      if (problem.startsWith('refused:')) {
        const code = problem.slice('refused:'.length);
        refused[code] = (refused[code] ?? 0) + 1;
      } else if (problem) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(problem);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(message.concurrency, maxConcurrency, message.requests) }, loop));
  return { type: 'result', target: message.target.name, latenciesMs: latenciesMs.slice(0, done), durationMs: performance.now() - started, errors, errorSamples, batchSizeSum, refused };
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
