import type { Graph, Node } from './onnx-schema';
import { OnnxValidationError } from './onnx-validation-error';

/**
 * Checks that the main graph's tensors are wired: every name defined once (graph inputs, weights,
 * node outputs), every node input and graph output defined, and no cycle. onnxruntime refuses such
 * a graph only when it builds a session — at the first predict, long after the upload became a
 * version — so this refuses it at upload instead. Linear in nodes + edges.
 *
 * Node order is not required to be topological (onnxruntime sorts the graph itself); a cycle is
 * what makes a graph unsortable. Subgraph bodies (If/Loop/Scan) may read names of enclosing graphs
 * and are left to the runtime.
 */
export function checkGraphWiring(graph: Graph): void {
  const where = `graph ${graph.name ?? ''}`.trim();
  const nodes = graph.node ?? [];

  const graphInputs = new Set<string>();
  for (const info of graph.input ?? []) {
    const name = info.name ?? '';
    if (graphInputs.has(name)) throw invalid(`${where} declares input "${name}" twice`);
    graphInputs.add(name);
  }
  const weights = new Set<string>();
  const weightNames = [...(graph.initializer ?? []).map((t) => t.name ?? ''), ...(graph.sparse_initializer ?? []).map((s) => s.values?.name ?? '')];
  for (const name of weightNames) {
    if (weights.has(name)) throw invalid(`${where} declares initializer "${name}" twice`);
    weights.add(name);
  }

  // An initializer may also be listed as a graph input (IR 3 models do that, it is its default value).
  const fedOrStored = new Set([...graphInputs, ...weights]);
  const producerOf = new Map<string, number>();
  nodes.forEach((current, index) => {
    for (const name of current.output ?? []) {
      if (name === '') continue; // an optional output left out
      if (fedOrStored.has(name)) throw invalid(`${describeNode(current, index)} writes "${name}", which is already a graph input or initializer`);
      if (producerOf.has(name)) throw invalid(`tensor "${name}" is written by two nodes (${describeNode(nodes[producerOf.get(name)!]!, producerOf.get(name)!)} and ${describeNode(current, index)})`);
      producerOf.set(name, index);
    }
  });

  nodes.forEach((current, index) => {
    for (const name of current.input ?? []) {
      if (name === '' || fedOrStored.has(name) || producerOf.has(name)) continue;
      throw invalid(`${describeNode(current, index)} reads "${name}", which is not a graph input, initializer or output of a node`);
    }
  });
  for (const info of graph.output ?? []) {
    const name = info.name ?? '';
    if (!fedOrStored.has(name) && !producerOf.has(name)) throw invalid(`graph output "${name}" is not produced by any node`);
  }

  const cyclic = nodeInCycle(nodes, producerOf);
  if (cyclic !== undefined) throw invalid(`the graph has a cycle (through ${describeNode(nodes[cyclic]!, cyclic)})`);
}

/** Kahn's algorithm: the index of a node that can never run because it (indirectly) waits for itself, if any. */
function nodeInCycle(nodes: Node[], producerOf: ReadonlyMap<string, number>): number | undefined {
  const waitingFor = new Array<number>(nodes.length).fill(0);
  const consumers = nodes.map((): number[] => []);
  nodes.forEach((current, index) => {
    for (const name of current.input ?? []) {
      const producer = producerOf.get(name);
      if (producer === undefined) continue;
      waitingFor[index]! += 1;
      consumers[producer]!.push(index);
    }
  });
  const ready = waitingFor.flatMap((count, index) => (count === 0 ? [index] : []));
  let ran = 0;
  while (ready.length > 0) {
    const index = ready.pop()!;
    ran += 1;
    for (const consumer of consumers[index]!) {
      waitingFor[consumer]! -= 1;
      if (waitingFor[consumer] === 0) ready.push(consumer);
    }
  }
  if (ran === nodes.length) return undefined;
  return waitingFor.findIndex((count) => count > 0);
}

function describeNode(current: Node, index: number): string {
  return current.name ? `node "${current.name}" (${current.op_type ?? '?'})` : `node #${index} (${current.op_type ?? '?'})`;
}

function invalid(detail: string): OnnxValidationError {
  return new OnnxValidationError('INVALID_GRAPH', `the graph is not well-formed: ${detail}`);
}
