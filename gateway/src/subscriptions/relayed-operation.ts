import {
  getVariableValues,
  Kind,
  print,
  stripIgnoredCharacters,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { TesseraError } from '@tessera/errors';

/**
 * What the gateway relays of a validated subscription: the chosen operation with the fragments it
 * reaches and nothing else (another operation of the document would be validated again by the
 * subgraph, against a schema that may not have its fields), printed without indentation (print's
 * two spaces per level turned 13 KB of nested fragments into 5 MB).
 */
export function relayedDocumentText(document: DocumentNode, operation: OperationDefinitionNode): string {
  const fragments = fragmentsOf(document);
  const used = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const selection of next.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.add(fragment.name.value);
          pending.push(fragment.selectionSet);
        }
      } else if (selection.selectionSet) {
        pending.push(selection.selectionSet);
      }
    }
  }
  const definitions = [operation, ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && used.has(definition.name.value))];
  return stripIgnoredCharacters(print({ kind: Kind.DOCUMENT, definitions }));
}

/**
 * The one root field of a subscription (validation allows exactly one), through fragments. A root
 * field under `@skip`/`@include` is refused: a subscription that selects nothing has no event stream
 * (graphql-js throws on it, and a subgraph's socket would close with every other subscription on it).
 */
export function rootFieldOf(operation: OperationDefinitionNode, document: DocumentNode): string | undefined {
  const fragments = fragmentsOf(document);
  const find = (selectionSet: SelectionSetNode): string | undefined => {
    for (const selection of selectionSet.selections) {
      if (selection.directives?.some((directive) => directive.name.value === 'skip' || directive.name.value === 'include')) {
        throw new TesseraError('GRAPHQL_VALIDATION_FAILED', "A subscription's root field cannot be under @skip or @include: it must always be selected.");
      }
      if (selection.kind === Kind.FIELD) return selection.name.value;
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : undefined;
      if (fragment?.directives?.some((directive) => directive.name.value === 'skip' || directive.name.value === 'include')) {
        throw new TesseraError('GRAPHQL_VALIDATION_FAILED', "A subscription's root field cannot be under @skip or @include: it must always be selected.");
      }
      const nested = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment?.selectionSet;
      const found = nested ? find(nested) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  return find(operation.selectionSet);
}

/**
 * The variables coerced as graphql-js would before executing, so a missing or ill-typed variable is
 * the same BAD_USER_INPUT over the socket as over HTTP (the subgraph would only report it untyped).
 */
export function assertVariablesCoerce(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | null | undefined): void {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 5 });
  if (coerced.errors) throw new TesseraError('BAD_USER_INPUT', coerced.errors.map((error) => error.message).join(' '));
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}
