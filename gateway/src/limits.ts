import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode, type ValidationContext } from 'graphql';
import { errors } from '@tessera/errors';

/**
 * Rejects operations nested deeper than `maxDepth` before any subgraph is called: the cheapest
 * defence against a query that fans out without bound.
 */
export function maxDepthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
      if (!selectionSet) return depth;
      let deepest = depth;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue; // introspection is bounded by the schema itself
          deepest = Math.max(deepest, depthOf(selection.selectionSet, depth + 1, seen));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, depth, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, depth, new Set([...seen, name])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, 0, new Set());
        if (depth > maxDepth) {
          const error = errors.tooComplex(`The operation is ${depth} levels deep; the limit is ${maxDepth}.`);
          context.reportError(new GraphQLError(error.message, { nodes: [node], extensions: { code: error.code } }));
        }
      },
    };
  };
}

/**
 * Apollo Server reports every validation-rule error as GRAPHQL_VALIDATION_FAILED, overwriting the
 * depth rule's QUERY_TOO_COMPLEX. The error the rule reported is kept as `originalError`, so the
 * gateway's formatError puts its code back.
 */
export function restoreLimitErrorCode(formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
  const reported = original instanceof GraphQLError ? original.originalError : undefined;
  const code = reported instanceof GraphQLError ? reported.extensions['code'] : undefined;
  if (formatted.extensions?.['code'] !== 'GRAPHQL_VALIDATION_FAILED' || code !== 'QUERY_TOO_COMPLEX') return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

/**
 * Per-tenant token bucket (requests per minute from the tenant's limits), so one tenant's burst
 * cannot starve the others at the gateway. The check is local and costs no I/O; with several
 * gateway replicas, SharedRateLimitSync tells each replica what the others consumed, so the
 * buckets drain together and a tenant gets its rate across the fleet, not N × it.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number; unsynced: number }>();

  take(tenantId: string, perMinute: number, now = Date.now()): void {
    const capacity = Math.max(1, perMinute);
    const bucket = this.buckets.get(tenantId) ?? { tokens: capacity, updated: now, unsynced: 0 };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 60_000) * capacity);
    bucket.updated = now;
    if (bucket.tokens < 1) {
      this.buckets.set(tenantId, bucket);
      throw errors.rateLimited(Math.ceil(((1 - bucket.tokens) * 60) / capacity));
    }
    bucket.tokens -= 1;
    bucket.unsynced += 1;
    this.buckets.set(tenantId, bucket);
  }

  /** Tenants seen within `sinceMs`, each with the requests this replica let through since the last call (reset to 0). */
  takeUnsynced(now = Date.now(), sinceMs = 120_000): Array<{ tenantId: string; consumed: number }> {
    const active: Array<{ tenantId: string; consumed: number }> = [];
    for (const [tenantId, bucket] of this.buckets) {
      if (now - bucket.updated > sinceMs && bucket.unsynced === 0) continue;
      active.push({ tenantId, consumed: bucket.unsynced });
      bucket.unsynced = 0;
    }
    return active;
  }

  /** Requests the tenant's other replicas let through: they come out of this replica's bucket too (never below empty). */
  consumedElsewhere(tenantId: string, requests: number): void {
    const bucket = this.buckets.get(tenantId);
    if (!bucket || requests <= 0) return;
    bucket.tokens = Math.max(0, bucket.tokens - requests);
  }

  /** Gives back what a failed sync had taken out of `unsynced`, so the next sync reports it. */
  restoreUnsynced(tenantId: string, consumed: number): void {
    const bucket = this.buckets.get(tenantId);
    if (bucket) bucket.unsynced += consumed;
  }
}
