import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { assertVariablesCoerce, relayedDocumentText, rootFieldOf } from '../src/subscriptions/relayed-operation';

const schema = buildSchema(`
  type Query { tenant: String }
  type Event { id: ID! status: String child: Event }
  type Subscription { events(id: ID!, first: Int): Event other: Event }
`);

function operationNamed(document: ReturnType<typeof parse>, name: string): OperationDefinitionNode {
  return document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition' && d.name?.value === name)!;
}

describe('what the gateway relays of a subscription', () => {
  it('is the chosen operation and the fragments it reaches (through other fragments too), nothing else, without indentation', () => {
    const document = parse(`
      subscription A($id: ID!) { events(id: $id) { ...E } }
      query Q { tenant }
      subscription B { other { ...Unused } }
      fragment E on Event { id ... on Event { child { ...C } } }
      fragment C on Event { status }
      fragment Unused on Event { id }
    `);
    expect(relayedDocumentText(document, operationNamed(document, 'A'))).toBe('subscription A($id:ID!){events(id:$id){...E}}fragment E on Event{id ...on Event{child{...C}}}fragment C on Event{status}');
  });

  it('grows with the document, not with its nesting squared: 1 600 nested inline fragments stay ~13 KB', () => {
    const query = `subscription D { other { ${'... { '.repeat(1_600)}id${' }'.repeat(1_600)} } }`;
    const document = parse(query);
    expect(relayedDocumentText(document, operationNamed(document, 'D')).length).toBeLessThan(query.length);
  });

  it('finds the root field through fragments, and refuses one under @skip or @include', () => {
    const through = parse('subscription S { ...F } fragment F on Subscription { ... { events(id: "1") { id } } }');
    expect(rootFieldOf(operationNamed(through, 'S'), through)).toBe('events');
    for (const query of [
      'subscription S { events(id: "1") @skip(if: false) { id } }',
      'subscription S { ... @include(if: true) { events(id: "1") { id } } }',
      'subscription S { ...F @include(if: true) } fragment F on Subscription { events(id: "1") { id } }',
      'subscription S { ...F } fragment F on Subscription @skip(if: false) { events(id: "1") { id } }',
    ]) {
      const document = parse(query);
      expect(() => rootFieldOf(operationNamed(document, 'S'), document)).toThrow(expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }));
    }
  });

  it('coerces variables as execution would: missing, null for non-null, wrong type and unknown-shaped values are BAD_USER_INPUT', () => {
    const document = parse('subscription S($id: ID!, $first: Int) { events(id: $id, first: $first) { id } }');
    const operation = operationNamed(document, 'S');
    expect(() => assertVariablesCoerce(schema, operation, { id: '1', first: 3 })).not.toThrow();
    expect(() => assertVariablesCoerce(schema, operation, { id: 7 })).not.toThrow(); // ID accepts an int
    for (const variables of [undefined, {}, { id: null }, { id: { a: 1 } }, { id: '1', first: 'three' }, { id: '1', first: 2 ** 31 }]) {
      expect(() => assertVariablesCoerce(schema, operation, variables)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });
});
