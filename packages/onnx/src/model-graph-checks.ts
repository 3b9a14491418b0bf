import { DataLocation, type Attribute, type Graph, type Model, type Node, type SparseTensor, type Tensor } from './onnx-schema';
import { OnnxValidationError } from './onnx-validation-error';
import { canonicalDomain, DEFAULT_DOMAIN, isSupportedOperator, SUPPORTED_OPERATORS } from './supported-operators';

/**
 * Real models nest If/Loop bodies a few levels deep. Decoding already stops at protobuf's 100-message
 * recursion limit (~32 subgraph levels); this guard keeps the walk bounded on its own terms.
 */
export const MAX_SUBGRAPH_DEPTH = 32;

/**
 * Walks every graph of the model — the main graph, subgraphs inside node attributes (If/Loop/Scan
 * bodies, at any depth), training graphs and local function bodies — and checks each node's
 * operator and each tensor's storage (default attribute values of local functions included). Returns the distinct operators used, sorted; operators of
 * other domains are prefixed with their domain (`ai.onnx.ml:LinearRegressor`).
 */
export function checkModelGraphs(model: Model, importedDomains: ReadonlySet<string>): string[] {
  const localFunctions = new Set((model.functions ?? []).map((f) => functionKey(f.domain, f.name ?? '')));
  const operators = new Set<string>();

  const checkNode = (node: Node, where: string, depth: number): void => {
    const opType = node.op_type ?? '';
    if (opType === '') throw new OnnxValidationError('NOT_ONNX', `a node in ${where} has no op_type`);
    const domain = canonicalDomain(node.domain);
    const label = domain === DEFAULT_DOMAIN ? opType : `${domain}:${opType}`;
    if (!importedDomains.has(domain)) {
      throw new OnnxValidationError('UNSUPPORTED_OPSET', `operator ${label} uses domain "${domain}", which the model does not import`);
    }
    if (!localFunctions.has(functionKey(node.domain, opType))) {
      if (!SUPPORTED_OPERATORS.has(domain)) {
        throw new OnnxValidationError('UNSUPPORTED_OPERATOR', `operator ${label}: domain "${domain}" is not supported (only ai.onnx and ai.onnx.ml)`);
      }
      if (!isSupportedOperator(domain, opType)) {
        throw new OnnxValidationError('UNSUPPORTED_OPERATOR', `operator ${label} is not supported by onnxruntime`);
      }
    }
    operators.add(label);
    for (const attr of node.attribute ?? []) checkAttribute(attr, `${where} > ${node.name || opType}`, depth);
  };

  const checkAttribute = (attr: Attribute, where: string, depth: number): void => {
    if (attr.t) checkTensor(attr.t, where);
    for (const tensor of attr.tensors ?? []) checkTensor(tensor, where);
    if (attr.sparse_tensor) checkSparseTensor(attr.sparse_tensor, where);
    for (const sparse of attr.sparse_tensors ?? []) checkSparseTensor(sparse, where);
    if (attr.g) checkGraph(attr.g, `${where}.${attr.name ?? 'graph'}`, depth + 1);
    for (const graph of attr.graphs ?? []) checkGraph(graph, `${where}.${attr.name ?? 'graphs'}`, depth + 1);
  };

  const checkGraph = (graph: Graph, where: string, depth: number): void => {
    if (depth > MAX_SUBGRAPH_DEPTH) {
      throw new OnnxValidationError('NOT_ONNX', `subgraphs are nested more than ${MAX_SUBGRAPH_DEPTH} levels deep`);
    }
    for (const tensor of graph.initializer ?? []) checkTensor(tensor, where);
    for (const sparse of graph.sparse_initializer ?? []) checkSparseTensor(sparse, where);
    for (const node of graph.node ?? []) checkNode(node, where, depth);
  };

  if (model.graph) checkGraph(model.graph, `graph ${model.graph.name ?? ''}`.trim(), 0);
  for (const info of model.training_info ?? []) {
    if (info.initialization) checkGraph(info.initialization, 'training initialization', 0);
    if (info.algorithm) checkGraph(info.algorithm, 'training algorithm', 0);
  }
  for (const fn of model.functions ?? []) {
    const where = `function ${fn.name ?? ''}`;
    // Default attribute values are tensors and graphs like any other: onnxruntime loads a default
    // tensor's external data (relative to its working directory) when the body refers to it.
    for (const attr of fn.attribute_proto ?? []) checkAttribute(attr, where, 0);
    for (const node of fn.node ?? []) checkNode(node, where, 0);
  }
  return [...operators].sort();
}

/**
 * The upload is one file: a tensor whose bytes live elsewhere (data_location EXTERNAL or
 * external_data entries) would make onnxruntime open a path of the uploader's choosing.
 */
function checkTensor(tensor: Tensor, where: string): void {
  const external = tensor.data_location === DataLocation.EXTERNAL || (tensor.external_data?.length ?? 0) > 0;
  if (!external) return;
  const location = tensor.external_data?.find((entry) => entry.key === 'location')?.value;
  throw new OnnxValidationError(
    'EXTERNAL_DATA',
    `tensor "${tensor.name ?? ''}" in ${where} stores its data outside the file${location ? ` (location "${location}")` : ''}; upload a single self-contained .onnx file`,
  );
}

function checkSparseTensor(sparse: SparseTensor, where: string): void {
  if (sparse.values) checkTensor(sparse.values, where);
  if (sparse.indices) checkTensor(sparse.indices, where);
}

function functionKey(domain: string | undefined, name: string): string {
  return `${canonicalDomain(domain)}\u0000${name}`;
}
