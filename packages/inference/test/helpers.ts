import { readdirSync, readFileSync } from 'node:fs';
import { TesseraError } from '@tessera/errors';
import type { InferencePools, PredictRequest, PredictResult, TensorInput } from '../src';

/** A float32 `[rows, features]` input under the builders' default name. */
export function rowsInput(rows: number[][], name = 'input'): Record<string, TensorInput> {
  return { [name]: { type: 'float32', data: rows.flat(), dims: [rows.length, rows[0]?.length ?? 0] } };
}

/** A `load` callback over fixed bytes that counts how often the pools asked for them. */
export function countingLoader(bytes: Uint8Array): { load: () => Promise<Uint8Array>; calls: () => number } {
  let calls = 0;
  return {
    load: async () => {
      calls += 1;
      return bytes;
    },
    calls: () => calls,
  };
}

/** The rejection of a predict call, asserted to be a TesseraError. */
export async function predictError(pools: InferencePools, request: PredictRequest): Promise<TesseraError> {
  const outcome = await pools.predict(request).then(
    (result: PredictResult) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected predict to fail, it returned ${JSON.stringify(outcome.result.outputs)}`);
  expect(outcome.error).toBeInstanceOf(TesseraError);
  return outcome.error as TesseraError;
}

/** True while a process with that pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until `check` holds (event-driven state such as "a run is in flight"); never asserts on time. */
export async function waitFor(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function round(values: number[], digits = 5): number[] {
  return values.map((value) => Number(value.toFixed(digits)));
}

/** Pids of this process's live children that run the inference worker (Linux /proc). */
export function inferenceChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      const state = stat.split(') ')[1]!.split(' ')[0];
      if (ppid !== process.pid || state === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('inference-worker')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
