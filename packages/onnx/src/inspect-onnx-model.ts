import { checkModelGraphs } from './model-graph-checks';
import { checkGraphWiring } from './model-graph-wiring';
import { checkModelWireFormat } from './model-wire-check';
import { decodeModel, type Model } from './onnx-schema';
import { OnnxValidationError } from './onnx-validation-error';
import { canonicalDomain, SUPPORTED_IR_VERSIONS, SUPPORTED_OPSETS } from './supported-operators';
import { inputSignature, outputSignature, type TensorSignature } from './tensor-signature';

/**
 * Every output is a tensor of its own in each answer — copied out of the inference process, then
 * ordered, converted and serialized on the event loop every tenant's predictions share — and the
 * answer's value limit does not bound how many there are (100 000 outputs of one value each are
 * 100 000 values). Real models have a handful; this is far above any of them.
 */
export const MAX_GRAPH_OUTPUTS = 1024;

export interface OnnxOpset {
  /** '' in the file is reported as 'ai.onnx'. */
  domain: string;
  version: number;
}

export interface OnnxModelInfo {
  irVersion: number;
  opsets: OnnxOpset[];
  /** Distinct operators, sorted; non-default domains prefixed (`ai.onnx.ml:LinearRegressor`). */
  operators: string[];
  /** Values the caller must feed (graph inputs that are not initializers). */
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  /** producer_name and producer_version, e.g. "pytorch 2.4.0"; '' when absent. */
  producer: string;
}

/**
 * Validates an uploaded ONNX file and reads its signature, without running it. Throws
 * OnnxValidationError (with a reason) for anything onnxruntime-node 1.30 could not load from a
 * single file. Checks run cheapest-first: size, wire format, decode, versions, graph walk, wiring,
 * output count, signatures.
 */
export function inspectOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  if (bytes.length === 0) throw new OnnxValidationError('EMPTY', 'the ONNX file is empty (0 bytes)');
  checkModelWireFormat(bytes);
  const model = decode(bytes);

  const irVersion = model.ir_version ?? 0;
  if (!Number.isInteger(irVersion) || irVersion <= 0) {
    throw new OnnxValidationError('NOT_ONNX', 'the file is not an ONNX model (no IR version)');
  }
  const opsets = readOpsets(model);
  if (irVersion < SUPPORTED_IR_VERSIONS.min || irVersion > SUPPORTED_IR_VERSIONS.max) {
    throw new OnnxValidationError(
      'UNSUPPORTED_IR_VERSION',
      `ONNX IR version ${irVersion} is not supported (onnxruntime loads ${SUPPORTED_IR_VERSIONS.min}..${SUPPORTED_IR_VERSIONS.max})`,
    );
  }
  checkOpsetRanges(opsets);

  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0) throw new OnnxValidationError('NO_GRAPH', 'the ONNX model has no graph nodes');
  const operators = checkModelGraphs(model, new Set(opsets.map((o) => o.domain)));
  checkGraphWiring(graph);

  const declaredOutputs = (graph.output ?? []).length;
  if (declaredOutputs > MAX_GRAPH_OUTPUTS) {
    throw new OnnxValidationError('TOO_MANY_OUTPUTS', `the graph declares ${declaredOutputs} outputs; a model may have at most ${MAX_GRAPH_OUTPUTS}`);
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((info) => !initializers.has(info.name)).map(inputSignature);
  const outputs = (graph.output ?? []).map(outputSignature);
  if (inputs.length === 0) throw new OnnxValidationError('NO_GRAPH', 'the ONNX graph has no inputs to feed');
  if (outputs.length === 0) throw new OnnxValidationError('NO_GRAPH', 'the ONNX graph has no outputs');

  const producer = [model.producer_name, model.producer_version].filter((part) => part).join(' ');
  return { irVersion, opsets, operators, inputs, outputs, producer };
}

function decode(bytes: Uint8Array): Model {
  try {
    return decodeModel(bytes);
  } catch (error) {
    // The top level was well-formed, so a failure here is a malformed nested message.
    throw new OnnxValidationError('NOT_ONNX', `the file is not an ONNX model (${(error as Error).message})`);
  }
}

function readOpsets(model: Model): OnnxOpset[] {
  const imports = model.opset_import ?? [];
  if (imports.length === 0) throw new OnnxValidationError('NOT_ONNX', 'the file is not an ONNX model (no opset imports)');
  const seen = new Set<string>();
  return imports.map((entry) => {
    const domain = canonicalDomain(entry.domain);
    const version = entry.version ?? 0;
    if (!Number.isInteger(version) || version <= 0) {
      throw new OnnxValidationError('NOT_ONNX', `the file is not an ONNX model (opset import "${domain}" has no version)`);
    }
    if (seen.has(domain)) throw new OnnxValidationError('NOT_ONNX', `the model imports domain "${domain}" twice`);
    seen.add(domain);
    return { domain, version };
  });
}

/** Only the domains we support are range-checked; a node of an unknown domain is refused by operator. */
function checkOpsetRanges(opsets: OnnxOpset[]): void {
  for (const { domain, version } of opsets) {
    const range = SUPPORTED_OPSETS[domain];
    if (range && (version < range.min || version > range.max)) {
      throw new OnnxValidationError(
        'UNSUPPORTED_OPSET',
        `opset ${version} of domain ${domain} is not supported (onnxruntime loads ${range.min}..${range.max})`,
      );
    }
  }
}
