import { GraphQLError, Kind, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { TenantLimits } from '@tessera/tenancy';
import { measureOperation, parseOperation, selectionNestingPerDepth, tooComplex, type AnalyzedOperation, type OperationMeasures, type ParsedOperation } from '../pipeline/operation-analysis';
import { fieldMergePairs } from '../pipeline/field-merge-work';
import { BoundedLru } from './bounded-lru';
import type { ResolvedOperation } from './persisted-documents';
import type { SingleFetchRoute } from './single-fetch';

/**
 * One operation of one document, prepared against one schema: parsed, its fragments checked,
 * measured (when its measures do not depend on the variables), validated and, once Apollo planned
 * it, its route when the plan is one subgraph fetch. Nothing in it depends on who asked: the
 * tenant's limits are applied to these measures per request, never stored with them.
 */
export class PreparedOperation {
  private validationErrors: readonly GraphQLError[] | undefined;
  private fieldMergeWork: { pairs: number; exceeded: boolean } | undefined;
  /** undefined: not planned yet; null: planned, and the plan is not a single fetch the gateway may pass through. */
  route: SingleFetchRoute | null | undefined;
  /** Whether the cache holds it: only then is its plan worth looking at (a request of its own would look at it for nothing). */
  kept = false;

  constructor(
    readonly hash: string,
    readonly parsed: ParsedOperation,
    private readonly schema: GraphQLSchema,
    /** The measures, when they are the same whatever the variables. */
    private readonly fixedMeasures: OperationMeasures | undefined,
  ) {}

  /** The operation's measures for these variables: the stored ones, or one linear pass over the parsed document. */
  measures(variables: Readonly<Record<string, unknown>> | undefined): OperationMeasures {
    return this.fixedMeasures ?? measureOperation(this.parsed, this.schema, variables).measures;
  }

  /** Pairs of same-named selections validation would compare, counted once (see field-merge-work.ts). */
  fieldMerge(): { pairs: number; exceeded: boolean } {
    // Every operation of the document: graphql-js validates them all, not only the one that runs.
    this.fieldMergeWork ??= (() => {
      let pairs = 0;
      for (const definition of this.parsed.document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const work = fieldMergePairs(definition, this.parsed.fragments, { maxPairs: maxFieldMergePairs - pairs, maxVisits: maxFieldMergeVisits });
        pairs += work.pairs;
        if (work.exceeded) return { pairs, exceeded: true };
      }
      return { pairs, exceeded: false };
    })();
    return this.fieldMergeWork;
  }

  /** graphql-js validation against the API schema, once. */
  validate(): readonly GraphQLError[] {
    this.validationErrors ??= validateReporting(this.schema, this.parsed.document);
    return this.validationErrors;
  }
}

/**
 * graphql-js validation, with the errors some rules throw instead of report (the single-field rule
 * of a subscription collects its fields without variables, and throws on `@include(if: $x)` at the
 * root) turned into reported ones: the caller answers GRAPHQL_VALIDATION_FAILED, not a masked 500.
 */
function validateReporting(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  try {
    return validate(schema, document, specifiedRules);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
}

/**
 * Pairs of repeated selections at one place validation may compare: 1 000 is ~45 copies of one
 * field with a selection, a few ms of validation; a client never needs a copy (it adds nothing).
 */
export const maxFieldMergePairs = 1_000;
const maxFieldMergeVisits = 200_000;

const refusedOperations = new WeakMap<Error, OperationDefinitionNode>();

/** The operation a limit refused, when the document was parsed before the refusal. */
export function operationOfRefusal(error: unknown): OperationDefinitionNode | undefined {
  return error instanceof Error ? refusedOperations.get(error) : undefined;
}

/** Which measure each operation limit bounds. */
const bounds: ReadonlyArray<[keyof TenantLimits, keyof OperationMeasures]> = [
  ['maxOperationTokens', 'tokens'],
  ['maxOperationDepth', 'depth'],
  ['maxOperationAliases', 'aliases'],
  ['maxOperationRootFields', 'rootFields'],
  ['maxOperationDirectives', 'directives'],
  ['maxOperationCost', 'cost'],
];

export interface PreparedOperationsOptions {
  /** Operations held at once (default 1 000). */
  maxOperations?: number | undefined;
  /** Estimated memory they may take, bytes (default 64 MiB; an operation is estimated at 32 bytes per character of its document). */
  maxBytes?: number | undefined;
}

/**
 * The gateway's prepared operations, keyed by the SHA-256 of the document text (computed by the
 * gateway, never taken from the client) and the operation name, for the current schema: a new
 * schema empties it. A document is prepared the first time it is admitted; after that the
 * token count, parse, fragment checks, measures and validation are lookups. Bounded in entries and
 * in estimated bytes, least recently used evicted first.
 */
export class PreparedOperations {
  private readonly cache: BoundedLru<string, PreparedOperation>;
  private schema: GraphQLSchema | undefined;

  constructor(options: PreparedOperationsOptions = {}) {
    this.cache = new BoundedLru(options.maxOperations ?? 1_000, options.maxBytes ?? 64 * 1024 * 1024);
  }

  /**
   * The operation-limits step on a prepared operation: the tenant's limits held to its measures.
   * A document not prepared yet is prepared within the tenant's token limit first (the lexer
   * stops one past it), so preparing costs what the unprepared analysis did.
   */
  admit(request: ResolvedOperation, schema: GraphQLSchema, limits: TenantLimits): { prepared: PreparedOperation; analyzed: AnalyzedOperation } {
    if (schema !== this.schema) {
      this.cache.clear();
      this.schema = schema;
    }
    const key = `${request.hash}:${request.operationName ?? ''}`;
    let prepared = this.cache.get(key);
    let measures: OperationMeasures;
    if (prepared) {
      measures = prepared.measures(request.variables);
    } else {
      const parsed = parseOperation(request, limits.maxOperationTokens);
      const measured = measureOperation(parsed, schema, request.variables);
      measures = measured.measures;
      prepared = new PreparedOperation(request.hash, parsed, schema, measured.dependsOnVariables ? undefined : measures);
      prepared.kept = this.cache.set(key, prepared, request.query.length * 32 + 1024);
    }
    try {
      this.assertWithin(prepared, measures, limits);
    } catch (error) {
      // Parsed, then refused: the tenant's metrics count it under its own type and name.
      if (error instanceof Error) refusedOperations.set(error, prepared.parsed.operation);
      throw error;
    }
    return { prepared, analyzed: { document: prepared.parsed.document, operation: prepared.parsed.operation, measures } };
  }

  private assertWithin(prepared: PreparedOperation, measures: OperationMeasures, limits: TenantLimits): void {
    for (const [limit, measure] of bounds) {
      if (measures[measure] > limits[limit]) throw tooComplex(limit, limits[limit], measures[measure]);
    }
    if (measures.otherOperationsCost > limits.maxOperationCost) throw tooComplex('maxOperationCost', limits.maxOperationCost, measures.otherOperationsCost);
    const maxNesting = selectionNestingPerDepth * limits.maxOperationDepth;
    if (measures.nesting > maxNesting) throw tooComplex('maxSelectionNesting', maxNesting, measures.nesting);
    // After the cost bound, which bounds how far this walk can expand fragments.
    const merge = prepared.fieldMerge();
    if (merge.exceeded) throw tooComplex('maxFieldMergePairs', maxFieldMergePairs, merge.pairs);
  }

  get size(): number {
    return this.cache.size;
  }
}
