/**
 * Entry point of one inference child process. It owns onnxruntime sessions for ONE tenant's pool,
 * so a native crash, an abort or an endless `session.run` only ever takes this process down.
 * The parent sends one run at a time; `session.run` blocks this event loop, which is fine here —
 * the parent enforces time limits by killing the process.
 */
import * as ort from 'onnxruntime-node';
import { ByteLru } from '../byte-lru';
import { startOrphanWatchdog } from './orphan-watchdog';
import { workerSettingsEnv, type ChildMessage, type ParentMessage, type WireOutput, type WireTensorData, type WorkerSettings } from './ipc-protocol';

const settings = JSON.parse(process.env[workerSettingsEnv] ?? '{}') as Partial<WorkerSettings>;

let evictedSinceLastReply: string[] = [];
const sessions = new ByteLru<ort.InferenceSession>({
  maxBytes: settings.sessionCacheBytes ?? 256 * 1024 * 1024,
  onEvict: (key, session) => {
    evictedSinceLastReply.push(key);
    void session.release().catch(() => undefined);
  },
});

/**
 * Where onnxruntime looks for a tensor's external data (a file path named inside the model). Left
 * unset it is this process's working directory — the service's, with .tessera/ in it — so a model
 * the upload checks missed could read files there and a predict would answer their bytes. A path
 * under a character device never exists and nothing can create it, and onnxruntime refuses a
 * location that escapes it: every such model fails to load (MODEL_NOT_LOADABLE), whatever it names.
 */
const externalDataFolder = '/dev/null/no-external-data';

/** Dimensions of one output tensor an answer may carry (numpy's limit; real models stay under 8). */
const maxOutputRank = 64;
/**
 * Output tensors an answer may carry: what an upload may declare (@tessera/onnx MAX_GRAPH_OUTPUTS),
 * held here too for versions stored before that check. Each is an object of its own in the parent.
 */
const maxOutputTensors = 1024;

const sessionOptions: ort.InferenceSession.SessionOptions = {
  extra: { session: { model_external_initializers_file_folder_path: externalDataFolder } },
  executionMode: 'sequential',
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  ...(settings.intraOpNumThreads ? { intraOpNumThreads: settings.intraOpNumThreads } : {}),
};

/** Runs waiting for model bytes the parent did not send (its mirror of our LRU was stale). */
const waitingForModel = new Map<number, Extract<ParentMessage, { kind: 'run' }>>();
/** Model files arriving in parts, by the id of the run (or model) message that follows them. */
const arriving = new Map<number, Uint8Array>();

/** The file a run or model message refers to: inline, or assembled from the parts sent before it. */
function modelBytesOf(message: { id: number; modelBytes?: Uint8Array; modelInParts?: boolean }): Uint8Array | undefined {
  if (!message.modelInParts) return message.modelBytes;
  const bytes = arriving.get(message.id);
  arriving.delete(message.id);
  return bytes;
}

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

function takeEvicted(): string[] {
  const evicted = evictedSinceLastReply;
  evictedSinceLastReply = [];
  return evicted;
}

/** Structured clone copies a typed array's whole buffer; copy views so only the tensor travels. */
function compact(data: WireTensorData): WireTensorData {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : (data.slice() as WireTensorData);
}

function toWireOutput(tensor: ort.Tensor): WireOutput {
  const data = tensor.data;
  if (ArrayBuffer.isView(data)) return { type: tensor.type, dims: [...tensor.dims], data: compact(data as WireTensorData) };
  throw new Error(`output element type ${tensor.type} is not supported (numeric and bool outputs only)`);
}

async function run(message: Extract<ParentMessage, { kind: 'run' }>): Promise<void> {
  let session = sessions.get(message.modelKey);
  let sessionLoaded = false;
  if (!session) {
    if (!message.modelBytes) {
      waitingForModel.set(message.id, message);
      send({ kind: 'need-model', id: message.id, modelKey: message.modelKey });
      return;
    }
    try {
      session = await ort.InferenceSession.create(message.modelBytes, sessionOptions);
    } catch (error) {
      send({ kind: 'failed', id: message.id, reason: 'LOAD_FAILED', message: errorMessage(error), evicted: takeEvicted() });
      return;
    }
    sessions.set(message.modelKey, session, message.modelBytes.byteLength);
    sessionLoaded = true;
  }
  // Set once session.run is entered: a run that fails from then on is metered like a served one.
  let ran: { runMs: number; runCpuMs: number } | undefined;
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, input] of Object.entries(message.inputs)) {
      feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
    }
    const runStarted = performance.now();
    const cpuStarted = process.cpuUsage();
    const measure = () => {
      const cpu = process.cpuUsage(cpuStarted);
      return { runMs: performance.now() - runStarted, runCpuMs: (cpu.user + cpu.system) / 1000 };
    };
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } finally {
      ran = measure();
    }
    // Checked before anything is copied or sent: the answer crosses into the parent's event loop.
    // A shape is copied, sent and serialized like values, and the value count does not see it (a
    // one-value tensor of 10^7 dimensions was ~70 MB for the parent): held to numpy's rank limit.
    const outputCount = Object.keys(results).length;
    if (outputCount > maxOutputTensors) {
      send({ kind: 'failed', id: message.id, reason: 'RUNTIME_ERROR', message: `the model answered ${outputCount} outputs; an answer carries at most ${maxOutputTensors}`, evicted: takeEvicted(), ...ran });
      return;
    }
    for (const [name, tensor] of Object.entries(results)) {
      const rank = (tensor as ort.Tensor).dims?.length ?? 0;
      if (rank > maxOutputRank) {
        send({ kind: 'failed', id: message.id, reason: 'RUNTIME_ERROR', message: `output "${name}" has ${rank} dimensions; an answer carries at most ${maxOutputRank}`, evicted: takeEvicted(), ...ran });
        return;
      }
    }
    const outputValues = Object.values(results).reduce((sum, tensor) => sum + (tensor as ort.Tensor).size, 0);
    if (outputValues > message.maxOutputValues) {
      send({ kind: 'failed', id: message.id, reason: 'OUTPUT_TOO_LARGE', message: '', outputValues, evicted: takeEvicted(), ...ran });
      return;
    }
    const outputs: Record<string, WireOutput> = {};
    for (const [name, tensor] of Object.entries(results)) outputs[name] = toWireOutput(tensor as ort.Tensor);
    send({ kind: 'result', id: message.id, outputs, sessionLoaded, ...ran, evicted: takeEvicted() });
  } catch (error) {
    send({ kind: 'failed', id: message.id, reason: 'RUNTIME_ERROR', message: errorMessage(error), evicted: takeEvicted(), ...(ran ?? {}) });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// One message at a time, in order: runs never overlap inside a process.
let chain: Promise<void> = Promise.resolve();
process.on('message', (raw) => {
  const message = raw as ParentMessage;
  chain = chain.then(async () => {
    switch (message.kind) {
      case 'model-part': {
        let target = arriving.get(message.id);
        if (!target) arriving.set(message.id, (target = new Uint8Array(message.total)));
        target.set(message.bytes, message.offset);
        return;
      }
      case 'run': {
        const modelBytes = modelBytesOf(message);
        await run({ ...message, modelInParts: false, ...(modelBytes ? { modelBytes } : {}) });
        return;
      }
      case 'model': {
        const waiting = waitingForModel.get(message.id);
        waitingForModel.delete(message.id);
        const modelBytes = modelBytesOf(message);
        if (waiting && modelBytes) await run({ ...waiting, modelBytes });
        return;
      }
      case 'abort':
        waitingForModel.delete(message.id);
        arriving.delete(message.id);
        return;
      case 'shutdown':
        process.exit(0);
    }
  });
});

// The parent went away (crash, kill): never linger as an orphan, even in the middle of a blocked run.
process.on('disconnect', () => process.exit(0));
startOrphanWatchdog();
// Ctrl-C in a terminal signals the whole process group; the parent decides when this process
// stops (a 'shutdown' message, or the disconnect above), so a clean stop is not logged as a crash.
process.on('SIGINT', () => undefined);

send({ kind: 'ready', pid: process.pid });
