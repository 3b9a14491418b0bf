import type { GraphQLSchema } from 'graphql';
import { TesseraError } from '@tessera/errors';
import type { TenantLimits } from '@tessera/tenancy';
import { analyzeOperation, tooComplex, type AnalyzedOperation, type OperationMeasures } from './operation-analysis';

/** Which measure each operation limit bounds (the token limit is applied while counting). */
const bounds: ReadonlyArray<[keyof TenantLimits, keyof OperationMeasures]> = [
  ['maxOperationDepth', 'depth'],
  ['maxOperationAliases', 'aliases'],
  ['maxOperationRootFields', 'rootFields'],
  ['maxOperationDirectives', 'directives'],
  ['maxOperationCost', 'cost'],
];

/**
 * The operation-limits step: measure the operation (linear time, operation-analysis.ts) and hold
 * each measure to the tenant's limit, before validation, query planning or any subgraph call.
 * Refusals are QUERY_TOO_COMPLEX naming the limit, its value and the measured value.
 */
export function admitOperationShape(
  request: Parameters<typeof analyzeOperation>[0],
  schema: GraphQLSchema | undefined,
  limits: TenantLimits,
): AnalyzedOperation {
  if (!schema) throw new TesseraError('SERVICE_UNAVAILABLE', 'The gateway has not loaded the schema yet; retry shortly.');
  const analyzed = analyzeOperation(request, schema, limits.maxOperationTokens);
  for (const [limit, measure] of bounds) {
    if (analyzed.measures[measure] > limits[limit]) throw tooComplex(limit, limits[limit], analyzed.measures[measure]);
  }
  return analyzed;
}
