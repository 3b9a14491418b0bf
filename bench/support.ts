/**
 * Shared by the gateway bench and its profiler: the stack with a tenant and datasets, the two
 * ways to send the same query, the load generator (a worker thread) and the statistics.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { decodeJwt } from 'jose';
import { createInternalContextSigner, internalContextHeader, type InternalContextSigner, type Principal } from '@tessera/auth';
import { startTelemetry } from '@tessera/telemetry';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import type { LoadTarget, LoadWorkerData, ResponseExpectation, RunRequest, RunResult } from './load-worker';

export type { LoadTarget, ResponseExpectation, RunResult } from './load-worker';

/** Runs a bench's main and exits with its code (1 with the stack on a throw): the stack and workers must not keep the process alive. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

export function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

export const datasetsQuery = 'query { datasets(first: 10) { edges { node { id name } } } }';
const createDatasetMutation = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }';

export interface BenchSetup {
  stack: TestStack;
  tenantId: string;
  /** The viewer's OIDC access token (lives an hour). */
  accessToken: string;
  /** The principal the gateway derives from `accessToken`, as the direct path presents it. */
  principal: Principal;
  sign: InternalContextSigner;
  /** Names every datasets page must list, in order. */
  expectedPage: string[];
  gateway: LoadTarget;
  /**
   * The direct target: straight to the datasets subgraph over mutual TLS with the gateway's client
   * certificate; every request gets its own single-use context (minted before each phase, outside the timing).
   */
  direct(): Promise<DirectTarget>;
}

/**
 * Starts the stack (logger silent, no span exporter: 'none' registers no span processor, like a
 * deployment without a collector; 'memory' is the harness's own choice and keeps every span) and
 * provisions a tenant whose rate limit cannot interfere, with `datasets` datasets.
 */
export async function setUpBench(options: { tenantCacheTtlMs: number; datasets: number; telemetry: 'none' | 'memory' }): Promise<BenchSetup> {
  process.env['TEST_LOG_LEVEL'] = 'silent';
  startTelemetry({ serviceName: 'tessera-bench', exporter: options.telemetry });
  const stack = await startTestStack({ tenantCacheTtlMs: options.tenantCacheTtlMs });
  try {
    // Neither the rate limit nor the tenant's operation slots may shape what is measured.
    const tenant = await stack.createTenant({ limits: { costPerMinute: 10_000_000, costBurst: 10_000_000, maxConcurrentOperations: 1_000 } });
    const adminToken = await tenant.token('admin');
    const names: string[] = [];
    for (let i = 1; i <= options.datasets; i += 1) {
      const name = `bench-dataset-${i}`;
      const created = expectNoErrors(
        await stack.query<{ createDataset: { id: string; name: string } }>(adminToken, createDatasetMutation, { input: { name, description: 'gateway bench' } }),
      );
      if (created.createDataset.name !== name) throw new Error(`createDataset returned ${JSON.stringify(created.createDataset)}`);
      names.push(name);
    }
    const accessToken = await stack.issueToken({ tenant: tenant.id, roles: ['viewer'], tokenTtlSeconds: 3600 });
    const subject = decodeJwt(accessToken).sub;
    if (!subject) throw new Error('the access token has no subject');
    const sign = await createInternalContextSigner(stack.config.internalContextKeys.privateJwk, { clientCertificate: stack.pki.identity('gateway').cert });
    const principal: Principal = { kind: 'user', subject, tenantId: tenant.id, roles: ['viewer'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const body = JSON.stringify({ query: datasetsQuery });
    const directUrl = `${stack.platform.subgraphs.datasets.url}/graphql`;
    for (const url of [stack.graphqlUrl, directUrl]) {
      if (new URL(url).hostname !== '127.0.0.1') throw new Error(`not a loopback target: ${url}`);
    }
    return {
      stack,
      tenantId: tenant.id,
      accessToken,
      principal,
      sign,
      expectedPage: names.slice(0, 10),
      gateway: { name: 'gateway', url: stack.graphqlUrl, headers: { authorization: `Bearer ${accessToken}` }, body, tls: { ca: stack.pki.ca } },
      direct: async () => ({
        name: 'direct',
        url: directUrl,
        headers: {},
        body,
        tls: { ...stack.pki.identity('gateway'), servername: 'datasets' },
        mintContexts: (count: number) => Promise.all(Array.from({ length: count }, () => sign({ ...principal, requestId: randomUUID() }, 'datasets'))),
      }),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** A target whose requests each need a fresh internal context (minted on this thread before the phase). */
export type DirectTarget = LoadTarget & { mintContexts?: (count: number) => Promise<string[]> };

/** Runs load phases on a worker thread, one at a time, so the client does not share the server's event loop. */
export class LoadGenerator {
  private readonly worker: Worker;
  private pending: { resolve: (result: RunResult) => void; reject: (error: Error) => void } | undefined;

  /** `maxConcurrency`: the most requests any phase keeps in flight (and the default for `run`). */
  constructor(private readonly maxConcurrency: number) {
    const file = path.join(__dirname, 'load-worker.ts');
    // A worker does not inherit tsx's loader; register it there before loading the TypeScript file.
    this.worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, {
      eval: true,
      workerData: { maxConcurrency } satisfies LoadWorkerData,
    });
    this.worker.on('message', (message: RunResult | { type: 'failed'; message: string }) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.type === 'result') pending?.resolve(message);
      else pending?.reject(new Error(`load worker failed: ${message.message}`));
    });
    this.worker.on('error', (error) => {
      this.pending?.reject(error);
      this.pending = undefined;
    });
  }

  /** One phase of datasets-page requests at full concurrency (the gateway benches). */
  run(target: DirectTarget, requests: number, expectedNames: string[]): Promise<RunResult & { cpuMicros: number }> {
    return this.runExpecting(target, requests, { kind: 'datasets', names: expectedNames }, this.maxConcurrency);
  }

  /** One phase; `cpuMicros` is the CPU time the whole process (servers and client) used meanwhile. */
  async runExpecting(target: DirectTarget, requests: number, expect: ResponseExpectation, concurrency: number, maxDurationMs?: number): Promise<RunResult & { cpuMicros: number }> {
    if (this.pending) throw new Error('one load phase at a time');
    const { mintContexts, ...posted } = target;
    const contextTokens = mintContexts ? await mintContexts(requests) : undefined;
    const before = process.cpuUsage();
    const result = await new Promise<RunResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: 'run', target: { ...posted, ...(contextTokens ? { contextTokens } : {}) }, requests, concurrency, expect, ...(maxDurationMs === undefined ? {} : { maxDurationMs }) } satisfies RunRequest);
    });
    const used = process.cpuUsage(before);
    return { ...result, cpuMicros: used.user + used.system };
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' });
    await this.worker.terminate();
  }
}

export interface Summary {
  requests: number;
  errors: number;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  /**
   * CPU time of this process (gateway, subgraphs and the load thread) per request, µs. Unlike
   * latency it does not grow when other processes compete for the cores; MariaDB is not in it.
   */
  cpuPerRequestUs: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(results: Array<RunResult & { cpuMicros: number }>): Summary {
  const total = results.reduce((n, r) => n + r.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const r of results) {
    all.set(r.latenciesMs, offset);
    offset += r.latenciesMs.length;
  }
  all.sort();
  const seconds = results.reduce((s, r) => s + r.durationMs, 0) / 1000;
  return {
    requests: total,
    errors: results.reduce((n, r) => n + r.errors, 0),
    throughput: total / seconds,
    p50: percentile(all, 50),
    p90: percentile(all, 90),
    p99: percentile(all, 99),
    cpuPerRequestUs: results.reduce((s, r) => s + r.cpuMicros, 0) / total,
  };
}

export const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** A model of the tenant from ONNX bytes, through the public staged-upload flow (create, PUT, complete); returns its id. */
export async function uploadModel(stack: TestStack, token: string, onnx: Uint8Array, name = 'bench-mlp'): Promise<string> {
  const created = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, `mutation($name: String!) { createModel(input: { name: $name }) { id } }`, { name }));
  const modelId = created.createModel.id;
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, {
      input: { modelId, filename: `${name}.onnx`, byteSize: onnx.length },
    }),
  ).createModelUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(onnx) });
  if (put.status !== 200) throw new Error(`upload failed: HTTP ${put.status} ${await put.text()}`);
  expectNoErrors(await stack.query(token, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { number } }`, { id: upload.id }));
  return modelId;
}
