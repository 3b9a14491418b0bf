/**
 * The memory a container must be allowed so that the code's own bounds refuse work before the
 * kernel's OOM killer ends the container (and every tenant's work in it). Computed from the bounds
 * the code enforces, with the settings a deployment gives the container (its environment):
 * docker-compose.yml and deploy/kubernetes are both checked against it.
 */
import { parseInferencePoolsOptions } from '@tessera/inference';
import { subgraphEnvironment } from '@tessera/platform';
import { defaultTenantLimits } from '@tessera/tenancy';
import { defaultDistinctBudgetBytes, workerEnvironment } from '@tessera/workers';

const mib = 1024 * 1024;

/** The Node process itself beyond what the code bounds (code, GraphQL schema, pools, buffers): an allowance, not a bound. */
export const processBaselineBytes = 256 * mib;

/**
 * One inference process's resident-memory cap: the pools kill a process there (the call fails with
 * a typed error). Tenants' limits carry their own cap (inferenceProcessMemoryMb); the larger applies.
 */
export const inferenceProcessCapBytes = Math.max(parseInferencePoolsOptions().processMemoryMb, defaultTenantLimits.inferenceProcessMemoryMb) * mib;

/**
 * The models service: MODEL_UPLOAD_MEMORY_BYTES of upload bytes, each validation thread's heap
 * (server.ts: twice one tenant's half of the budget, at least 256 MiB), and one inference process at
 * its cap. More live inference processes are not bounded in total by the code (README).
 */
export function modelsMemoryFloorBytes(env: Record<string, string>): number {
  const shape = subgraphEnvironment('models').shape as Record<string, { parse(value: unknown): unknown }>;
  const uploads = shape['MODEL_UPLOAD_MEMORY_BYTES']!.parse(env['MODEL_UPLOAD_MEMORY_BYTES']) as number;
  const threads = shape['MODEL_VALIDATION_THREADS']!.parse(env['MODEL_VALIDATION_THREADS']) as number;
  const validatorHeapBytes = Math.max(256, Math.ceil((2 * Math.floor(uploads / 2)) / mib)) * mib;
  return uploads + threads * validatorHeapBytes + inferenceProcessCapBytes + processBaselineBytes;
}

/** A worker: each of WORKER_CONCURRENCY jobs may run one inference process at its cap, or hold a profile's distinct-count budget. */
export function workerMemoryFloorBytes(env: Record<string, string>): number {
  const concurrency = workerEnvironment.shape.WORKER_CONCURRENCY.parse(env['WORKER_CONCURRENCY']);
  return concurrency * Math.max(inferenceProcessCapBytes, defaultDistinctBudgetBytes) + processBaselineBytes;
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
