import { getVariableValues, isInputObjectType, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { TesseraError } from '@tessera/errors';
import { maxValueNesting, tooComplex } from './operation-analysis';

/**
 * Invalid variable values reported before a request is refused as a whole. graphql-js makes one
 * error per invalid value (a message with the value inspected, its path, suggestions, a stack) and
 * Apollo's gateway coerces variables without a bound: a list of 20 000 invalid enum values was
 * 20 000 errors made twice (the single-fetch check, then Apollo) and one answer of megabytes —
 * about a minute of the gateway's event loop per request, every tenant waiting behind it.
 * graphql-js's own `execute` stops at 50 (what the subgraphs do); so does the gateway now.
 */
export const maxVariableErrors = 50;

/**
 * The request's variables coerced against the operation's definitions, stopping at
 * `maxVariableErrors` invalid values; past that bound the request is refused here
 * (`BAD_USER_INPUT` with `limit: "maxVariableErrors"`), before Apollo coerces them again. A few
 * invalid values are left to Apollo, which answers them one error each, as before.
 */
export function assertVariablesBounded(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined): void {
  const definitions = operation.variableDefinitions;
  if (!definitions || definitions.length === 0) return;
  assertValuesFit(schema, definitions.map((definition) => variables?.[definition.variable.name.value]));
  const { errors } = getVariableValues(schema, definitions, variables ?? {}, { maxErrors: maxVariableErrors });
  if (!errors || errors.length <= maxVariableErrors) return;
  throw new TesseraError(
    'BAD_USER_INPUT',
    `${errors[0]!.message} (and more: at most ${maxVariableErrors} invalid variable values are reported; fix these and send again.)`,
    { limit: 'maxVariableErrors', limitValue: maxVariableErrors, invalidValues: errors.slice(0, maxVariableErrors).map((error) => error.message) },
  );
}

/**
 * The declared variables' values within the bounds their literals are held to, or the request is
 * refused here, before coercion:
 * - lists and objects nested at most `maxValueNesting` deep (`QUERY_TOO_COMPLEX`, as for a literal).
 *   A custom scalar (`DateTime`) takes any value at the gateway and is forwarded as given: 20 000
 *   nested lists in one failed the gateway's call to the subgraph (INTERNAL_SERVER_ERROR);
 * - every object with at most as many fields as the schema's widest input type (`BAD_USER_INPUT`,
 *   `limit: "inputObjectFields"`). graphql-js reports each unknown field of an input object with
 *   the whole object printed in its message, so an object of 30 000 unknown fields made 50
 *   messages of 400 KB each even with the error bound (4 s of the event loop), and 30 000 of them
 *   without it (for good). Such an object has unknown fields whatever its type.
 */
function assertValuesFit(schema: GraphQLSchema, values: unknown[]): void {
  const widest = widestInputType(schema);
  const pending: Array<[unknown, number]> = values.map((value) => [value, 0]);
  while (pending.length > 0) {
    const [next, outer] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    const depth = outer + 1;
    if (depth > maxValueNesting) throw tooComplex('maxValueNesting', maxValueNesting, depth);
    const inner = Array.isArray(next) ? (next as unknown[]) : Object.values(next);
    if (!Array.isArray(next) && inner.length > widest) {
      throw new TesseraError('BAD_USER_INPUT', `An object in the variables has ${inner.length} fields; no input type has more than ${widest}.`, {
        limit: 'inputObjectFields',
        limitValue: widest,
        measured: inner.length,
      });
    }
    for (const value of inner) pending.push([value, depth]);
  }
}

const widestBySchema = new WeakMap<GraphQLSchema, number>();

/** The most fields any input type of the schema has (computed once per schema). */
function widestInputType(schema: GraphQLSchema): number {
  let widest = widestBySchema.get(schema);
  if (widest === undefined) {
    widest = 0;
    for (const type of Object.values(schema.getTypeMap())) {
      if (isInputObjectType(type)) widest = Math.max(widest, Object.keys(type.getFields()).length);
    }
    widestBySchema.set(schema, widest);
  }
  return widest;
}

/**
 * How many values a parsed JSON value holds: each list element, object field and scalar counts one
 * (the value itself too). An explicit stack: a deeply nested value must not overflow the call stack.
 */
export function countJsonValues(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    count += 1;
    if (typeof next === 'object' && next !== null) {
      if (Array.isArray(next)) for (const inner of next) pending.push(inner);
      else for (const inner of Object.values(next)) pending.push(inner);
    }
  }
  return count;
}
