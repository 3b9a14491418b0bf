import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { TesseraError } from '@tessera/errors';

/**
 * The root fields an operation runs, fragments at the root included. An API key limited to a list
 * of operations is checked against these: the operation *name* is chosen by the client and says
 * nothing about what runs, the root fields are what runs. `__typename` asks nothing of anyone.
 */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') names.add(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet, seen);
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return names;
}

/** FORBIDDEN unless every root field of the operation is on the key's list (null: no list). */
export function assertOperationAllowed(allowed: readonly string[] | null | undefined, document: DocumentNode, operation: OperationDefinitionNode): void {
  if (!allowed) return;
  const refused = [...rootFieldNames(document, operation)].filter((name) => !allowed.includes(name));
  if (refused.length > 0) throw new TesseraError('FORBIDDEN', `This API key may run only: ${allowed.join(', ')}.`, { refusedFields: refused.slice(0, 10) });
}
