/**
 * Messages between the parent (InferencePools) and one inference child process.
 * The channel uses Node's `advanced` serialization (structured clone), so typed arrays travel
 * as raw bytes — no JSON, no per-element encoding — which keeps IPC overhead low for big tensors.
 */
import type { TensorElementType } from '../inference-types';

export type WireTensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface WireTensor {
  type: TensorElementType;
  data: WireTensorData;
  dims: number[];
}

export interface WireOutput {
  type: string;
  dims: number[];
  data: WireTensorData | number[];
}

export interface WorkerSettings {
  sessionCacheBytes: number;
  intraOpNumThreads: number;
}

/** Parent → child. */
export type ParentMessage =
  | {
      kind: 'run';
      id: number;
      modelKey: string;
      /** Present when the parent believes the child does not hold the session (a small file: inline). */
      modelBytes?: Uint8Array;
      /** The file came just before in `model-part` messages of this id (a file larger than one part). */
      modelInParts?: boolean;
      inputs: Record<string, WireTensor>;
      /** Output values the run may send back (all outputs together); over it the run fails OUTPUT_TOO_LARGE. */
      maxOutputValues: number;
    }
  | { kind: 'model'; id: number; modelKey: string; modelBytes?: Uint8Array; modelInParts?: boolean }
  /**
   * One part of a model file for the run or model message of the same id that follows. A file is
   * sent in parts of `modelPartBytes`, each its own message: structured clone serialises a message
   * whole, on the parent's event loop, which every tenant's predictions share (one 100 MiB message
   * held it ~0.5 s here; a part a few ms).
   */
  | { kind: 'model-part'; id: number; offset: number; total: number; bytes: Uint8Array }
  /** The bytes the child asked for could not be obtained; forget the waiting run. */
  | { kind: 'abort'; id: number }
  | { kind: 'shutdown' };

export type RunFailureReason = 'RUNTIME_ERROR' | 'LOAD_FAILED' | 'OUTPUT_TOO_LARGE';

/** Child → parent. */
export type ChildMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'need-model'; id: number; modelKey: string }
  | {
      kind: 'result';
      id: number;
      outputs: Record<string, WireOutput>;
      sessionLoaded: boolean;
      /** Milliseconds inside `session.run` (session creation excluded): the compute the run is metered for. */
      runMs: number;
      /** CPU milliseconds the child used meanwhile (below runMs when the host is short of CPU). */
      runCpuMs: number;
      /** Sessions the child's LRU dropped while serving this run, so the parent's mirror stays right. */
      evicted: string[];
    }
  | {
      kind: 'failed';
      id: number;
      reason: RunFailureReason;
      message: string;
      evicted: string[];
      /** OUTPUT_TOO_LARGE: the values the run produced. */
      outputValues?: number;
      /** When `session.run` was entered (RUNTIME_ERROR in the run, OUTPUT_TOO_LARGE): its milliseconds, metered like a served run's. */
      runMs?: number;
      runCpuMs?: number;
    };

export const workerSettingsEnv = 'TESSERA_INFERENCE_WORKER_SETTINGS';

/** The largest model-file message (see `model-part`): a file up to this size goes inline. */
export const modelPartBytes = 1024 * 1024;
