import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * How many pairs of same-named field selections with selections of their own graphql-js's
 * "overlapping fields can be merged" validation compares. It compares every two selections with one response name at one place, and
 * then everything selected under both of them, merged: `{ a { x } a { x } … }` with n copies is
 * n²/2 comparisons, and copies nested under copies multiply. Three thousand tokens of
 * `limits { costBurst }` repeated cost hundreds of milliseconds of synchronous CPU for a few
 * thousand cost units, during which no other tenant's request was served. Nothing a client needs
 * repeats a field that often: a repeated selection adds nothing to the answer.
 *
 * The walk follows the merge as validation does: the selections of one place are grouped by
 * response name (through inline fragments and fragment spreads, a fragment once per place), and the
 * selections under each group form the next place. It stops as soon as `maxPairs` is passed, or
 * after `maxVisits` selections (a bound for documents the cost limit would let expand further).
 */
export function fieldMergePairs(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  bounds: { maxPairs: number; maxVisits: number },
): { pairs: number; exceeded: boolean } {
  let pairs = 0;
  let visits = 0;
  const pending: SelectionSetNode[][] = [[operation.selectionSet]];
  for (let place = pending.pop(); place; place = pending.pop()) {
    const counts = new Map<string, number>();
    const below = new Map<string, SelectionSetNode[]>();
    const collect = (selectionSet: SelectionSetNode, spread: Set<string>): boolean => {
      for (const selection of selectionSet.selections) {
        visits += 1;
        if (visits > bounds.maxVisits) return false;
        if (selection.kind === Kind.FIELD) {
          // Leaves compare cheaply (4 000 copies of one scalar validate in 5 ms); what is quadratic is
          // comparing what is selected under two copies, so only fields with a selection count.
          if (!selection.selectionSet) continue;
          const key = selection.alias?.value ?? selection.name.value;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          const sets = below.get(key);
          if (sets) sets.push(selection.selectionSet);
          else below.set(key, [selection.selectionSet]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!collect(selection.selectionSet, spread)) return false;
        } else if (!spread.has(selection.name.value)) {
          spread.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment && !collect(fragment.selectionSet, spread)) return false;
        }
      }
      return true;
    };
    for (const selectionSet of place) {
      if (!collect(selectionSet, new Set())) return { pairs, exceeded: true };
    }
    for (const count of counts.values()) pairs += (count * (count - 1)) / 2;
    if (pairs > bounds.maxPairs) return { pairs, exceeded: true };
    for (const sets of below.values()) pending.push(sets);
  }
  return { pairs, exceeded: false };
}
