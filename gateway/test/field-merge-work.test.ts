import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { fieldMergePairs } from '../src/pipeline/field-merge-work';

function pairsOf(query: string, bounds = { maxPairs: Number.MAX_SAFE_INTEGER, maxVisits: 1_000_000 }) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fieldMergePairs(operation, fragments, bounds);
}

describe('pairs of repeated selections that validation compares', () => {
  it('counts n(n-1)/2 for n copies of a field with a selection at one place, through inline fragments and spreads', () => {
    expect(pairsOf(`{ t { ${'limits { burst } '.repeat(10)}} }`).pairs).toBe(45);
    expect(pairsOf(`{ t { limits { a } ... { limits { b } ... on T { limits { c } } } ...F } } fragment F on T { limits { d } }`).pairs).toBe(6);
  });

  it('merges what is under the copies: copies nested under copies multiply', () => {
    // 5 copies of child, each holding 5 copies of child: 10 pairs, then 25 merged copies (300 pairs).
    expect(pairsOf(`{ t { ${`child { ${'child { id } '.repeat(5)}} `.repeat(5)}} }`).pairs).toBe(10 + 300);
  });

  it('does not count leaves (cheap to compare), distinct names, or a fragment spread twice at one place', () => {
    expect(pairsOf(`{ t { ${'id '.repeat(2_000)}} }`).pairs).toBe(0);
    expect(pairsOf(`{ t { ${Array.from({ length: 200 }, (_, i) => `a${i}: limits { burst }`).join(' ')} } }`).pairs).toBe(0);
    expect(pairsOf('{ t { ...F ...F } } fragment F on T { limits { a } }').pairs).toBe(0);
  });

  it('stops as soon as a bound is passed', () => {
    expect(pairsOf(`{ t { ${'limits { burst } '.repeat(300)}} }`, { maxPairs: 1_000, maxVisits: 1_000_000 })).toMatchObject({ exceeded: true });
    expect(pairsOf(`{ t { ${'id '.repeat(300)}} }`, { maxPairs: 1_000, maxVisits: 100 })).toMatchObject({ exceeded: true });
    expect(pairsOf(`{ t { ${'limits { burst } '.repeat(40)}} }`, { maxPairs: 1_000, maxVisits: 1_000_000 })).toEqual({ pairs: 780, exceeded: false });
  });
});
