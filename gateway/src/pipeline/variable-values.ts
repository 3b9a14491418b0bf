import { getVariableValues, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { TesseraError } from '@tessera/errors';

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
  const { errors } = getVariableValues(schema, definitions, variables ?? {}, { maxErrors: maxVariableErrors });
  if (!errors || errors.length <= maxVariableErrors) return;
  throw new TesseraError(
    'BAD_USER_INPUT',
    `${errors[0]!.message} (and more: at most ${maxVariableErrors} invalid variable values are reported; fix these and send again.)`,
    { limit: 'maxVariableErrors', limitValue: maxVariableErrors, invalidValues: errors.slice(0, maxVariableErrors).map((error) => error.message) },
  );
}

/**
 * How many values a request's variables hold: each list element, object field and scalar counts
 * one (a variable's own name does not). An explicit stack: a deeply nested variable must not
 * overflow the call stack.
 */
export function countVariableValues(variables: Readonly<Record<string, unknown>> | undefined): number {
  if (!variables) return 0;
  let count = 0;
  const pending: unknown[] = Object.values(variables);
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
