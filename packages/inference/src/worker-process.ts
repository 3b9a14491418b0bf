/**
 * The parent's handle on one inference child process: start it, run one batch at a time on it,
 * enforce the run's time limit (killing the process is the only way to stop a blocking
 * `session.run`), and keep a mirror of which sessions the child holds so model bytes are sent
 * only when needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { nodeEntryArgs } from '@tessera/config';
import type { TesseraError } from '@tessera/errors';
import { inferenceErrors } from './inference-errors';
import { withRunCompute } from './run-compute';
import { modelPartBytes, workerSettingsEnv, type ChildMessage, type ParentMessage, type WireOutput, type WireTensor, type WorkerSettings } from './worker/ipc-protocol';

// The child's entry sits beside this file: worker/inference-worker.main.ts in the source tree,
// .js in the compiled one (dist/src/worker/), which the image runs with plain node.
const workerEntry = join(__dirname, 'worker', `inference-worker.main${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
// From source, tsx reads the repository's tsconfig from the working directory.
const workingDirectory = __filename.endsWith('.ts') ? join(__dirname, '..', '..', '..') : process.cwd();

/**
 * The only variables of the service's environment a child gets. A child runs tenant-supplied ONNX
 * files, while the models service's environment holds its database and Redis passwords and its
 * object-store key (which on MinIO reaches every tenant's bucket): none of that is the child's
 * business, so a flaw in onnxruntime reached through one tenant's model finds no credential in the
 * child's memory. The child needs only node's own settings and its WorkerSettings.
 */
const inheritedVariables = ['PATH', 'NODE_OPTIONS', 'NODE_ENV', 'TZ', 'LANG', 'LC_ALL', 'TMPDIR'];

function inferenceChildEnvironment(parent: NodeJS.ProcessEnv, settings: WorkerSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of inheritedVariables) if (parent[name] !== undefined) env[name] = parent[name];
  env[workerSettingsEnv] = JSON.stringify(settings);
  return env;
}

export interface RunJob {
  modelKey: string;
  inputs: Record<string, WireTensor>;
  timeoutMs: number;
  /** Output values the run may send back (all outputs together). */
  maxOutputValues: number;
  /** The model file, for a child that does not hold the session. */
  modelBytes: () => Promise<Uint8Array>;
}

export interface RunSuccess {
  outputs: Record<string, WireOutput>;
  sessionLoaded: boolean;
  pid: number;
  /** Milliseconds the child spent inside `session.run` for this batch. */
  runMs: number;
  /** CPU milliseconds the child used during that run. */
  runCpuMs: number;
}

type WorkerState = 'idle' | 'busy' | 'dead';

interface InFlight {
  id: number;
  job: RunJob;
  resolve: (result: RunSuccess) => void;
  reject: (error: TesseraError) => void;
  timer: NodeJS.Timeout;
  /** When the run was handed to the process: a run killed or crashed cost it the time since. */
  sentAt: number;
}

let nextRunId = 1;

export class WorkerProcess {
  private state: WorkerState = 'idle';
  private inFlight: InFlight | undefined;
  private readonly loaded = new Set<string>();
  private stderrTail = '';
  private readonly exitListeners: Array<() => void> = [];
  private readonly exited: Promise<void>;
  /** Why we killed the process ourselves (timeout, shutdown); absent → it crashed. */
  private killReason: TesseraError | undefined;
  /** Sessions this process created (first use, after eviction); tests and stats read it. */
  sessionLoads = 0;
  /** Resident memory at the last check against the pool's cap (undefined before the first one). */
  lastRssBytes: number | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    /** What the process was started with: a pool whose limits changed replaces processes that differ. */
    readonly settings: WorkerSettings,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('message', (message) => this.onMessage(message as ChildMessage));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    // IPC failures (e.g. sending to a dying child) arrive as 'error' events; an unhandled one would
    // crash the service. The process is unusable then: kill it, the exit handler does the rest.
    child.on('error', () => this.killWith());
  }

  /** Spawns a child and resolves once onnxruntime is loaded in it. */
  static start(settings: WorkerSettings, startTimeoutMs: number, logFailure?: (detail: string) => void): Promise<WorkerProcess> {
    const child = spawn(process.execPath, nodeEntryArgs(workerEntry), {
      cwd: workingDirectory,
      env: inferenceChildEnvironment(process.env, settings),
      // stdout is unused; stderr is kept (tail) to explain crashes; IPC with structured clone for typed arrays.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    return new Promise((resolve, reject) => {
      let stderr = '';
      const onStderr = (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
        child.stderr?.off('data', onStderr);
      };
      const onMessage = (message: unknown) => {
        const typed = message as ChildMessage;
        if (typed.kind !== 'ready') return;
        cleanup();
        resolve(new WorkerProcess(child, typed.pid, settings));
      };
      // Details (stderr can hold server paths) go to the operator's log; the caller gets a generic 503.
      const fail = (detail: string) => {
        cleanup();
        child.kill('SIGKILL');
        logFailure?.(`${detail} ${stderr}`.trim());
        reject(inferenceErrors.workerStart());
      };
      const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal})`);
      const onError = (error: Error) => fail(error.message);
      const timer = setTimeout(() => fail(`not ready after ${startTimeoutMs} ms`), startTimeoutMs);
      child.stderr?.on('data', onStderr);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  get isIdle(): boolean {
    return this.state === 'idle';
  }

  get isAlive(): boolean {
    return this.state !== 'dead';
  }

  get busy(): boolean {
    return this.state === 'busy';
  }

  hasSession(modelKey: string): boolean {
    return this.loaded.has(modelKey);
  }

  loadedModels(): string[] {
    return [...this.loaded];
  }

  /** Why the process ended, for the operator's logs: signal or exit code, plus the end of its stderr. */
  describeExit(): string {
    const tail = this.stderrTail.trim().split('\n').slice(-5).join(' | ');
    return tail ? `${this.exitDescription()} (stderr: ${tail})` : this.exitDescription();
  }

  onExitOnce(listener: () => void): void {
    this.exitListeners.push(listener);
  }

  /** Runs one (possibly merged) batch. Rejects with INFERENCE_TIMEOUT / INFERENCE_FAILED. */
  async run(job: RunJob): Promise<RunSuccess> {
    if (this.state !== 'idle') throw new Error(`worker ${this.pid} is ${this.state}`);
    this.state = 'busy';
    let modelBytes: Uint8Array | undefined;
    if (!this.loaded.has(job.modelKey)) {
      try {
        modelBytes = await job.modelBytes();
      } catch (error) {
        if (this.state === 'busy') this.state = 'idle';
        throw inferenceErrors.loadBytes(error);
      }
    }
    if (this.state !== 'busy') throw this.killReason ?? inferenceErrors.failed(job.modelKey, 'CRASHED', this.exitDescription());
    const id = nextRunId++;
    const answered = new Promise<RunSuccess>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A blocking session.run cannot be interrupted from outside; the process has to go.
        // The caller hears about it once the process is gone (see onExit).
        this.killWith(inferenceErrors.timeout(job.modelKey, job.timeoutMs, 'RUNNING'));
      }, job.timeoutMs);
      this.inFlight = { id, job, resolve, reject, timer, sentAt: performance.now() };
    });
    void this.sendModel(id, modelBytes).then((inParts) =>
      this.send({
        kind: 'run',
        id,
        modelKey: job.modelKey,
        inputs: job.inputs,
        maxOutputValues: job.maxOutputValues,
        ...(modelBytes && !inParts ? { modelBytes } : {}),
        ...(inParts ? { modelInParts: true } : {}),
      }),
    );
    return answered;
  }

  /**
   * A model file larger than one part goes ahead of its message in `model-part` messages, one at a
   * time (each waits until the previous one is written): structured clone serialises a message
   * whole on this event loop, which every tenant's predictions share, so one message of a 100 MiB
   * file held it for ~0.5 s. Resolves true when it sent parts (the message then says so), false
   * when the file is small enough to go inline (or there is none).
   */
  private async sendModel(id: number, bytes: Uint8Array | undefined): Promise<boolean> {
    if (!bytes || bytes.byteLength <= modelPartBytes) return false;
    for (let offset = 0; offset < bytes.byteLength; offset += modelPartBytes) {
      if (this.state === 'dead') return true;
      // A copy: a view would be cloned with its whole underlying buffer.
      const part = bytes.slice(offset, Math.min(offset + modelPartBytes, bytes.byteLength));
      await new Promise<void>((resolve) => {
        try {
          this.child.send({ kind: 'model-part', id, offset, total: bytes.byteLength, bytes: part } satisfies ParentMessage, () => resolve());
        } catch {
          resolve(); // the channel closed under us; the exit handler fails the in-flight call
        }
      });
    }
    return true;
  }

  /**
   * SIGKILL (a blocked native run ignores anything gentler). Marked dead at once so the pool never
   * hands it another batch; a call still running is failed with `reason` when the exit is observed.
   */
  killWith(reason?: TesseraError): void {
    if (this.state !== 'dead') this.killReason = reason;
    this.state = 'dead';
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Over the tenant's memory cap: the run in flight (if any) fails with INFERENCE_FAILED / MEMORY_LIMIT. */
  killForMemory(limitBytes: number, rssBytes: number): void {
    this.killWith(inferenceErrors.memoryLimit(this.inFlight?.job.modelKey ?? '', limitBytes, rssBytes));
  }

  /** Kills the process and waits until it is gone. */
  async stop(reason?: TesseraError): Promise<void> {
    this.killWith(reason);
    await this.exited;
  }

  private send(message: ParentMessage): void {
    try {
      this.child.send(message);
    } catch {
      // The channel closed under us; the exit handler fails the in-flight call.
    }
  }

  private onMessage(message: ChildMessage): void {
    const current = this.inFlight;
    if (message.kind === 'ready' || !current || message.id !== current.id) return;
    switch (message.kind) {
      case 'need-model':
        // Our mirror was stale (should not happen; kept for safety): fetch and send the bytes.
        this.loaded.delete(message.modelKey);
        current.job.modelBytes().then(
          async (modelBytes) => {
            const inParts = await this.sendModel(message.id, modelBytes);
            this.send({ kind: 'model', id: message.id, modelKey: message.modelKey, ...(inParts ? { modelInParts: true } : { modelBytes }) });
          },
          (error: unknown) => {
            this.send({ kind: 'abort', id: message.id });
            this.finish(inferenceErrors.loadBytes(error));
          },
        );
        return;
      case 'result':
        this.applyEvictions(message.evicted);
        this.loaded.add(current.job.modelKey);
        if (message.sessionLoaded) this.sessionLoads += 1;
        this.finish(undefined, { outputs: message.outputs, sessionLoaded: message.sessionLoaded, pid: this.pid, runMs: message.runMs, runCpuMs: message.runCpuMs });
        return;
      case 'failed':
        this.applyEvictions(message.evicted);
        this.finish(
          withRunCompute(
            message.reason === 'OUTPUT_TOO_LARGE'
              ? inferenceErrors.outputTooLarge(current.job.modelKey, current.job.maxOutputValues, message.outputValues ?? 0)
              : inferenceErrors.failed(current.job.modelKey, message.reason, message.message),
            // The run happened (to its end, or until the runtime threw): it is metered like a served one.
            message.runMs === undefined ? undefined : { runMs: message.runMs, runCpuMs: message.runCpuMs ?? 0 },
          ),
        );
        return;
    }
  }

  private applyEvictions(evicted: string[]): void {
    for (const key of evicted) this.loaded.delete(key);
  }

  private finish(error: TesseraError | undefined, result?: RunSuccess): void {
    const current = this.inFlight;
    if (!current) return;
    this.inFlight = undefined;
    clearTimeout(current.timer);
    if (this.state === 'busy') this.state = 'idle';
    if (error) current.reject(error);
    else current.resolve(result!);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = 'dead';
    this.loaded.clear();
    const current = this.inFlight;
    if (current) {
      this.inFlight = undefined;
      clearTimeout(current.timer);
      // Killed (time or memory limit) or crashed mid-run: the process was the run's from hand-over to exit.
      const error = this.killReason ?? inferenceErrors.failed(current.job.modelKey, 'CRASHED', this.exitDescription(code, signal));
      current.reject(withRunCompute(error, { runMs: performance.now() - current.sentAt, runCpuMs: 0 }));
    }
    for (const listener of this.exitListeners.splice(0)) listener();
  }

  /** What a client may read: the signal or exit code only (stderr can hold server paths; it goes to logs). */
  private exitDescription(code: number | null = this.child.exitCode, signal: NodeJS.Signals | null = this.child.signalCode): string {
    return signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
  }
}
