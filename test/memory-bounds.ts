/**
 * The memory a container must be allowed so that the code's own bounds refuse work before the
 * kernel's OOM killer ends the container (and every tenant's work in it). Computed from the bounds
 * the code enforces, with the settings a deployment gives the container (its environment):
 * docker-compose.yml and deploy/kubernetes are both checked against it.
 */
import { parseInferencePoolsOptions } from '@tessera/inference';
import { subgraphEnvironment } from '@tessera/platform';
import { defaultCsvParseWorkerHeapMb } from '@tessera/tabular';
import { defaultDistinctBudgetBytes, workerEnvironment } from '@tessera/workers';

const mib = 1024 * 1024;

/** The Node process itself beyond what the code bounds (code, GraphQL schema, pools, buffers): an allowance, not a bound. */
export const processBaselineBytes = 256 * mib;

/** A worker thread beyond its old-generation heap (young generation, stack, code): an allowance, not a bound. */
export const threadOverheadBytes = 64 * mib;

type Shape = Record<string, { parse(value: unknown): unknown }>;

/**
 * The memory all live inference processes of one service process may hold: each reserves its
 * resident-memory cap from INFERENCE_MEMORY_BUDGET_MB before it starts (and is killed at that cap),
 * whatever the tenants, pools and processes (inference-memory-budget.ts).
 */
export function inferenceBudgetBytes(shape: Shape, env: Record<string, string>): number {
  const set = shape['INFERENCE_MEMORY_BUDGET_MB']!.parse(env['INFERENCE_MEMORY_BUDGET_MB']) as number | undefined;
  return parseInferencePoolsOptions({ memoryBudgetMb: set }).memoryBudgetMb * mib;
}

/**
 * The models service: MODEL_UPLOAD_MEMORY_BYTES of upload bytes, each validation thread's heap
 * (server.ts: twice one tenant's half of the budget, at least 256 MiB), and the inference memory budget.
 */
export function modelsMemoryFloorBytes(env: Record<string, string>): number {
  const shape = subgraphEnvironment('models').shape as Shape;
  const uploads = shape['MODEL_UPLOAD_MEMORY_BYTES']!.parse(env['MODEL_UPLOAD_MEMORY_BYTES']) as number;
  const threads = shape['MODEL_VALIDATION_THREADS']!.parse(env['MODEL_VALIDATION_THREADS']) as number;
  const validatorHeapBytes = Math.max(256, Math.ceil((2 * Math.floor(uploads / 2)) / mib)) * mib;
  return uploads + threads * validatorHeapBytes + inferenceBudgetBytes(shape, env) + processBaselineBytes;
}

/**
 * A worker: its inference processes together (the budget: a finished job's pool keeps its process
 * for a while, so the bound is the budget, not the job slots), and each of WORKER_CONCURRENCY jobs
 * may hold a profile's distinct-count budget.
 */
export function workerMemoryFloorBytes(env: Record<string, string>): number {
  const concurrency = workerEnvironment.shape.WORKER_CONCURRENCY.parse(env['WORKER_CONCURRENCY']);
  return inferenceBudgetBytes(workerEnvironment.shape as unknown as Shape, env) + concurrency * defaultDistinctBudgetBytes + processBaselineBytes;
}

/**
 * The datasets service: its CSV parsing threads, each with a bounded heap (CSV_PARSE_WORKER_HEAP_MB,
 * default defaultCsvParseWorkerHeapMb). Unset, CSV_PARSE_WORKERS follows the node's CPUs, at most 8.
 */
export function datasetsMemoryFloorBytes(env: Record<string, string>): number {
  const shape = subgraphEnvironment('datasets').shape as Shape;
  const threads = (shape['CSV_PARSE_WORKERS']!.parse(env['CSV_PARSE_WORKERS']) as number | undefined) ?? 8;
  const heapMb = (shape['CSV_PARSE_WORKER_HEAP_MB']!.parse(env['CSV_PARSE_WORKER_HEAP_MB']) as number | undefined) ?? defaultCsvParseWorkerHeapMb;
  return threads * (heapMb * mib + threadOverheadBytes) + processBaselineBytes;
}

/** A Kubernetes quantity (plain, Ki, Mi, Gi, Ti; k, M, G, T decimal) in bytes. */
export function quantityBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const units: Record<string, number> = { '': 1, Ki: 1024, Mi: mib, Gi: 1024 * mib, Ti: 1024 * 1024 * mib, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * units[match[2] ?? '']!;
}

/** A compose size (768M, 2G: Docker's units are binary) in bytes. */
export function composeBytes(size: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmMgG])?[bB]?$/.exec(size);
  if (!match) throw new Error(`not a compose size: ${size}`);
  return Number(match[1]) * { '': 1, k: 1024, m: mib, g: 1024 * mib }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
}
