import { Kind, parse, print, type ArgumentNode, type DirectiveNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { ParsedOperation } from '../pipeline/operation-analysis';

/**
 * A prepared operation whose whole plan is one fetch from one subgraph, asking that subgraph for
 * exactly the selections the client asked for: the subgraph's `data` is then the answer as Apollo
 * Gateway would build it, and the gateway may send it on without re-shaping or re-serialising it.
 */
export interface SingleFetchRoute {
  serviceName: string;
  /** The subgraph operation the planner wrote. */
  query: string;
  operationName: string | undefined;
  /** The client's variables the subgraph operation uses (sent as the client gave them, as Apollo does). */
  variableUsages: readonly string[];
}

/** The part of Apollo's query plan this reads (its own types live in @apollo/query-planner). */
export interface PlanLike {
  node?: { kind: string } | undefined;
}

interface FetchNodeLike {
  kind: 'Fetch';
  serviceName: string;
  operation: string;
  operationName?: string | undefined;
  operationKind?: string | undefined;
  variableUsages?: readonly string[] | undefined;
  requires?: unknown;
  inputRewrites?: readonly unknown[] | undefined;
  outputRewrites?: readonly unknown[] | undefined;
  contextRewrites?: readonly unknown[] | undefined;
}

/** How much expanded selection text the comparison may build before giving up (the operation then takes Apollo's path). */
const maxShapeLength = 64 * 1024;

/**
 * The single-fetch route of a plan, or null. Only a plan that is one Fetch node with no entity
 * `requires`, no rewrites, and whose subgraph operation selects exactly what the client's
 * operation selects (fields, aliases, arguments, directives, type conditions, fragments expanded)
 * qualifies. Anything the planner added (a `__typename` for an abstract type, a key field), removed
 * (a root `__typename` it answers itself) or reshaped disqualifies it: Apollo's result shaping would
 * then change the subgraph's data, and only Apollo may do that.
 */
export function singleFetchRouteOf(plan: PlanLike, client: ParsedOperation): SingleFetchRoute | null {
  const node = plan.node as FetchNodeLike | undefined;
  if (!node || node.kind !== 'Fetch' || node.requires) return null;
  if ((node.inputRewrites?.length ?? 0) > 0 || (node.outputRewrites?.length ?? 0) > 0 || (node.contextRewrites?.length ?? 0) > 0) return null;
  if (node.operationKind !== undefined && node.operationKind !== client.operation.operation) return null;
  let fetched: OperationDefinitionNode | undefined;
  let fetchedFragments: Map<string, FragmentDefinitionNode>;
  try {
    const document = parse(node.operation, { noLocation: true });
    fetched = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    fetchedFragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  } catch {
    return null;
  }
  if (!fetched || fetched.operation !== client.operation.operation) return null;
  if ((fetched.directives?.length ?? 0) > 0 || (client.operation.directives?.length ?? 0) > 0) return null;
  const clientShape = shapeOf(client.operation.selectionSet, client.fragments);
  if (clientShape === undefined || clientShape !== shapeOf(fetched.selectionSet, fetchedFragments)) return null;
  return { serviceName: node.serviceName, query: node.operation, operationName: node.operationName, variableUsages: node.variableUsages ?? [] };
}

/** The selections as one canonical string, fragments expanded; undefined past `maxShapeLength`. */
function shapeOf(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string | undefined {
  let length = 0;
  const walk = (set: SelectionSetNode): string | undefined => {
    const parts: string[] = [];
    for (const selection of set.selections) {
      let part: string | undefined;
      if (selection.kind === Kind.FIELD) {
        const head = `${selection.alias ? `${selection.alias.value}:` : ''}${selection.name.value}${argumentsOf(selection.arguments)}${directivesOf(selection.directives)}`;
        const below = selection.selectionSet ? walk(selection.selectionSet) : '';
        part = below === undefined ? undefined : below ? `${head}{${below}}` : head;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const below = walk(selection.selectionSet);
        part = below === undefined ? undefined : `...${selection.typeCondition ? `on ${selection.typeCondition.name.value}` : ''}${directivesOf(selection.directives)}{${below}}`;
      } else {
        const fragment = fragments.get(selection.name.value);
        const below = fragment ? walk(fragment.selectionSet) : undefined;
        part = below === undefined ? undefined : `...on ${fragment!.typeCondition.name.value}${directivesOf(selection.directives)}{${below}}`;
      }
      if (part === undefined) return undefined;
      length += part.length;
      if (length > maxShapeLength) return undefined;
      parts.push(part);
    }
    return parts.join(' ');
  };
  return walk(selectionSet);
}

function argumentsOf(args: readonly ArgumentNode[] | undefined): string {
  return args && args.length > 0 ? `(${args.map((arg) => `${arg.name.value}:${print(arg.value)}`).join(',')})` : '';
}

function directivesOf(directives: readonly DirectiveNode[] | undefined): string {
  return directives && directives.length > 0 ? directives.map((d) => `@${d.name.value}${argumentsOf(d.arguments)}`).join('') : '';
}
