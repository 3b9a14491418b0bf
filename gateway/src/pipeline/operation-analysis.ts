import {
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  Lexer,
  parse,
  Source,
  TokenKind,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { TesseraError } from '@tessera/errors';
import { fieldWeight, listSizeArguments, unsizedListSize } from './operation-cost-weights';

/** What one operation would make the gateway and the subgraphs do, counted with fragments expanded. */
export interface OperationMeasures {
  /** Field nesting, introspection fields included. */
  depth: number;
  /**
   * Nesting of selection sets with every inline fragment and fragment spread counted as a level
   * too: depth does not see `... { ... { ... { id } } }`, but Apollo's query planner recurses
   * through each of those levels (a few thousand overflow its stack).
   */
  nesting: number;
  /** Aliased fields, once per place each is reached (a fragment spread three times counts three times). */
  aliases: number;
  /** Fields at the root of the operation. */
  rootFields: number;
  /** Directive uses. */
  directives: number;
  /** Lexical tokens of the whole document. */
  tokens: number;
  /** The document's length in KiB (rounded up): one long string is one token, but every byte is lexed, parsed and planned. */
  kib: number;
  /** Σ field weight + list size × cost of what is selected below it. */
  cost: number;
  /** The cost of the costliest other operation of the document: never run or charged, but bounded like `cost` (Apollo builds its fragments). */
  otherOperationsCost: number;
}

export interface AnalyzedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  measures: OperationMeasures;
}

/** Measures of a selection set, before its place in the operation (depth below it, not above). */
interface Summary {
  depth: number;
  nesting: number;
  aliases: number;
  fields: number;
  directives: number;
  cost: number;
}

const empty: Summary = { depth: 0, nesting: 0, aliases: 0, fields: 0, directives: 0, cost: 0 };

/**
 * Measures an operation in time linear in the document's length, whatever its fragments do:
 * each fragment is summarised once (per the two ways its lists can be sized, see below) and the
 * summary is reused wherever it is spread, so a chain of fragments that each spread the next many
 * times costs one pass, while its measures (cost, aliases) grow as the expansion would. Fragment
 * cycles and unknown fragments are refused here, before anything recursive runs.
 *
 * Throws GRAPHQL_PARSE_FAILED, OPERATION_RESOLUTION_FAILURE, GRAPHQL_VALIDATION_FAILED (cycles,
 * unknown fragments) or QUERY_TOO_COMPLEX (tokens, counted before the parser starts).
 */
export function analyzeOperation(
  request: { query: string; operationName: string | undefined; variables: Readonly<Record<string, unknown>> | undefined },
  schema: GraphQLSchema,
  maxTokens: number,
): AnalyzedOperation {
  const parsed = parseOperation(request, maxTokens);
  return { document: parsed.document, operation: parsed.operation, measures: measureOperation(parsed, schema, request.variables).measures };
}

/** A document parsed, its operation chosen and its fragments checked (no cycles, no unknown or duplicate fragments): what does not depend on the schema or the variables. */
export interface ParsedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Lexical tokens of the whole document (exact: counting stops only past the limit, which throws). */
  tokens: number;
  kib: number;
}

/**
 * The first half of the analysis: tokens counted with the lexer alone (refused past `maxTokens`
 * before the parser starts), the document parsed, the operation chosen, fragment cycles refused.
 */
export function parseOperation(request: { query: string; operationName: string | undefined }, maxTokens: number): ParsedOperation {
  const tokens = countTokens(request.query, maxTokens);
  let document: DocumentNode;
  try {
    document = parse(request.query, { noLocation: true, maxTokens });
  } catch (error) {
    throw new TesseraError('GRAPHQL_PARSE_FAILED', error instanceof GraphQLError ? error.message : 'The operation is not valid GraphQL.');
  }
  const operation = selectOperation(document, request.operationName);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (fragments.has(definition.name.value)) throw validationError(`There can be only one fragment named "${definition.name.value}".`);
    fragments.set(definition.name.value, definition);
  }
  assertNoFragmentCycles(fragments, operation);
  assertValueLiterals(document);
  return { document, operation, fragments, tokens, kib: Math.ceil(request.query.length / 1024) };
}

/**
 * The second half: one pass over the operation with each fragment summarised once. Its measures
 * depend on the variables only where a list is sized by one (`first: $n`): `dependsOnVariables`
 * says whether any was read, i.e. whether the measures may be reused for other variables.
 */
export function measureOperation(
  parsed: ParsedOperation,
  schema: GraphQLSchema,
  givenVariables: Readonly<Record<string, unknown>> | undefined,
): { measures: OperationMeasures; dependsOnVariables: boolean } {
  const { operation, fragments, tokens, kib } = parsed;
  const variables = variableValues(operation, givenVariables);
  const memo = new Map<string, Summary>();
  const sizing = { readVariable: false };

  const summarise = (selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined, sizedByParent: boolean): Summary => {
    let depth = 0;
    let nesting = 0;
    let aliases = 0;
    let fields = 0;
    let directives = 0;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const definition = fieldOf(parentType, selection.name.value);
        const child = selection.selectionSet ? summarise(selection.selectionSet, definition ? getNamedType(definition.type) : undefined, hasSizeArgument(definition)) : empty;
        depth = Math.max(depth, 1 + child.depth);
        nesting = Math.max(nesting, 1 + child.nesting);
        aliases += (selection.alias ? 1 : 0) + child.aliases;
        fields += 1;
        directives += child.directives;
        cost += fieldWeight(parentType?.name, selection.name.value) + listSize(selection, parentType, definition, variables, sizedByParent, sizing) * child.cost;
        continue;
      }
      const nested =
        selection.kind === Kind.INLINE_FRAGMENT
          ? summarise(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? undefined : parentType, sizedByParent)
          : spread(selection.name.value, sizedByParent);
      depth = Math.max(depth, nested.depth);
      nesting = Math.max(nesting, 1 + nested.nesting);
      aliases += nested.aliases;
      fields += nested.fields;
      directives += nested.directives;
      cost += nested.cost;
    }
    return { depth, nesting, aliases, fields, directives, cost };
  };

  // A fragment's measures depend only on its type condition and on whether the list fields at its
  // top are already sized by the field it is spread into: at most two summaries per fragment.
  const spread = (name: string, sizedByParent: boolean): Summary => {
    const key = `${sizedByParent ? 1 : 0}:${name}`;
    const known = memo.get(key);
    if (known) return known;
    const fragment = fragments.get(name)!;
    const own = fragment.directives?.length ?? 0;
    const summary = summarise(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, sizedByParent);
    const result = { ...summary, directives: summary.directives + own };
    memo.set(key, result);
    return result;
  };

  let root: Summary;
  // The other operations of the document are never run, but graphql-js validates them and Apollo's
  // planner builds their fragments: their nesting counts too (a second operation was a way around it).
  let nesting = 0;
  let otherOperationsCost = 0;
  try {
    root = summarise(operation.selectionSet, rootTypeOf(schema, operation), false);
    nesting = root.nesting;
    for (const other of parsed.document.definitions) {
      if (other.kind !== Kind.OPERATION_DEFINITION || other === operation) continue;
      const summary = summarise(other.selectionSet, rootTypeOf(schema, other), false);
      nesting = Math.max(nesting, summary.nesting);
      otherOperationsCost = Math.max(otherOperationsCost, summary.cost);
    }
  } catch (error) {
    // Only reachable with a token limit raised far beyond the default: nesting deeper than the stack.
    if (error instanceof RangeError) throw tooComplex('maxSelectionNesting', 0, Number.POSITIVE_INFINITY);
    throw error;
  }
  return {
    measures: {
      depth: root.depth,
      nesting,
      aliases: root.aliases,
      rootFields: rootFieldCount(operation.selectionSet, fragments, new Set()),
      directives: root.directives + (operation.directives?.length ?? 0),
      tokens,
      kib,
      cost: root.cost,
      otherOperationsCost,
    },
    dependsOnVariables: sizing.readVariable,
  };
}

/**
 * The lexer alone (comments are not tokens), stopping at the first token over the limit: a
 * refusal costs at most `maxTokens` tokens of work however long the document, and the parser is
 * never started on an over-long one.
 */
function countTokens(query: string, maxTokens: number): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > maxTokens) throw tooComplex('maxOperationTokens', maxTokens, count);
    }
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError('GRAPHQL_PARSE_FAILED', error instanceof GraphQLError ? error.message : 'The operation is not valid GraphQL.');
  }
  return count;
}

/**
 * The bound on `nesting`: a multiple of the tenant's depth limit, so fragments can wrap every field
 * level a few times over, and a tenant allowed deeper operations is allowed deeper fragments too.
 */
export const selectionNestingPerDepth = 4;

export function tooComplex(limit: string, limitValue: number, measured: number): TesseraError {
  // Token counting stops one past the limit: the document has at least that many.
  const shown = limit === 'maxOperationTokens' ? `more than ${limitValue}` : String(measured);
  return new TesseraError('QUERY_TOO_COMPLEX', `The operation's ${measureNames[limit] ?? limit} is ${shown}; the limit (${limit}) is ${limitValue}.`, { limit, limitValue, measured });
}

const measureNames: Record<string, string> = {
  maxOperationTokens: 'token count',
  maxOperationDepth: 'depth',
  maxSelectionNesting: 'nesting of selections (fields, inline fragments and fragment spreads each a level)',
  maxValueNesting: 'nesting of lists and objects in one literal value',
  maxFieldMergePairs: 'count of same-named selection pairs at one place (repeated fields with selections, which validation compares pairwise)',
  maxOperationAliases: 'alias count',
  maxOperationRootFields: 'root field count',
  maxOperationDirectives: 'directive count',
  maxOperationCost: 'cost',
  costPerMinute: 'cost (more than your tenant may spend in a minute)',
  costBurst: 'cost (more than your tenant may spend at once)',
};

function validationError(message: string): TesseraError {
  return new TesseraError('GRAPHQL_VALIDATION_FAILED', message);
}

function selectOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) throw validationError('The document holds no operation.');
  if (operationName) {
    const named = operations.find((operation) => operation.name?.value === operationName);
    if (!named) throw new TesseraError('OPERATION_RESOLUTION_FAILURE', `The document has no operation named ${JSON.stringify(operationName.slice(0, 100))}.`);
    return named;
  }
  if (operations.length > 1) throw new TesseraError('OPERATION_RESOLUTION_FAILURE', 'The document holds several operations: name the one to run in operationName.');
  return operations[0]!;
}

/** Depth-first with colours over the spreads the operation can reach: linear, refuses any cycle. */
function assertNoFragmentCycles(fragments: ReadonlyMap<string, FragmentDefinitionNode>, operation: OperationDefinitionNode): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const spreadsOf = (selectionSet: SelectionSetNode, out: string[]): string[] => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) out.push(selection.name.value);
      else if (selection.selectionSet) spreadsOf(selection.selectionSet, out);
    }
    return out;
  };
  // An explicit stack: a chain of thousands of fragments must not overflow the call stack.
  const visit = (start: string) => {
    const stack: Array<{ name: string; next: string[] }> = [];
    const enter = (name: string) => {
      const fragment = fragments.get(name);
      if (!fragment) throw validationError(`Unknown fragment "${name}".`);
      state.set(name, 'visiting');
      stack.push({ name, next: spreadsOf(fragment.selectionSet, []) });
    };
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const name = top.next.pop();
      if (name === undefined) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const seen = state.get(name);
      if (seen === 'visiting') throw validationError(`Cannot spread fragment "${name}" within itself.`);
      if (seen === undefined) enter(name);
    }
  };
  for (const name of spreadsOf(operation.selectionSet, [])) if (!state.has(name)) visit(name);
  for (const name of fragments.keys()) if (!state.has(name)) visit(name);
}

/** Lists and input objects nested in one literal value, at most (a real input nests a few levels). */
export const maxValueNesting = 12;

/**
 * Literal values the query planner cannot take, refused before it sees them:
 * - a number no double holds (`1e999`, or a 400-digit integer where a Float is expected): graphql-js
 *   parses it to Infinity and lets it through, and the planner threw on it (HTTP 500);
 * - lists or objects nested deeper than `maxValueNesting`: a custom scalar (`DateTime`) accepts any
 *   literal in validation, and the planner walks a nested list in time 2^depth (30 levels, ~60
 *   tokens, took minutes and froze the gateway for every tenant).
 */
function assertValueLiterals(document: DocumentNode): void {
  let depth = 0;
  const nest = {
    enter() {
      depth += 1;
      if (depth > maxValueNesting) throw tooComplex('maxValueNesting', maxValueNesting, depth);
    },
    leave() {
      depth -= 1;
    },
  };
  const finite = (node: { value: string }) => {
    if (!Number.isFinite(Number(node.value))) throw validationError(`The number ${node.value.slice(0, 40)}… is outside what a Float can hold.`);
  };
  visit(document, { FloatValue: finite, IntValue: finite, ListValue: nest, ObjectValue: nest });
}

function rootFieldCount(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFieldCount(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value)) {
      // Root fields of a fragment spread twice at the root are the same fields (they merge).
      seen.add(selection.name.value);
      count += rootFieldCount(fragments.get(selection.name.value)!.selectionSet, fragments, seen);
    }
  }
  return count;
}

function rootTypeOf(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLNamedType | undefined {
  if (operation.operation === 'mutation') return schema.getMutationType() ?? undefined;
  if (operation.operation === 'subscription') return schema.getSubscriptionType() ?? undefined;
  return schema.getQueryType() ?? undefined;
}

function fieldOf(parentType: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!parentType || !(isObjectType(parentType) || isInterfaceType(parentType))) return undefined;
  return parentType.getFields()[name];
}

function hasSizeArgument(definition: GraphQLField<unknown, unknown> | undefined): boolean {
  return Boolean(definition?.args.some((arg) => listSizeArguments.has(arg.name)));
}

function returnsList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * How many times what is selected under `field` is produced: the field's size argument (`first`,
 * `limit`, … from the request, its variable or the schema's default), else a default for a list
 * that nothing sizes, else 1. A list directly under a sized field (a connection's `edges`/`nodes`)
 * is already counted by that size. Introspection lists are bounded by the schema itself.
 */
function listSize(
  field: FieldNode,
  parentType: GraphQLNamedType | undefined,
  definition: GraphQLField<unknown, unknown> | undefined,
  variables: Readonly<Record<string, unknown>>,
  sizedByParent: boolean,
  sizing: { readVariable: boolean },
): number {
  if (!definition) return 1;
  for (const argument of definition.args) {
    if (!listSizeArguments.has(argument.name)) continue;
    const given = field.arguments?.find((a) => a.name.value === argument.name);
    if (given?.value.kind === Kind.VARIABLE) sizing.readVariable = true;
    const value = given ? valueFromASTUntyped(given.value, variables) : argument.defaultValue;
    // `first: null`, or a variable left out, gets the resolver's default: the schema's, as the subgraph applies it.
    for (const size of [value, argument.defaultValue]) if (typeof size === 'number' && Number.isFinite(size)) return Math.max(0, size);
    return unsizedListSize;
  }
  if (!returnsList(definition.type) || parentType?.name.startsWith('__') || sizedByParent) return 1;
  return unsizedListSize;
}

/** Variables as given, falling back to the operation's defaults (what graphql-js would coerce). */
function variableValues(operation: OperationDefinitionNode, given: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  // No prototype: a variable named `__proto__` is a variable like any other, not the object's prototype.
  const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (given && Object.prototype.hasOwnProperty.call(given, name)) values[name] = given[name];
    else if (definition.defaultValue) values[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return values;
}
