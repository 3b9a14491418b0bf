import type { GraphQLFieldResolver, GraphQLScalarType } from 'graphql';

/**
 * A subgraph's resolvers, in the shape `buildSubgraphSchema` takes. @apollo/subgraph declares this
 * type only in its dist/ internals (not its public entry), so it is spelled out here once, on
 * graphql's public types, and every subgraph imports it from the kit.
 */
export interface GraphQLResolverMap<TContext = object> {
  [typeName: string]:
    | {
        [fieldName: string]:
          | GraphQLFieldResolver<any, TContext>
          | { requires?: string; resolve?: GraphQLFieldResolver<any, TContext>; subscribe?: GraphQLFieldResolver<any, TContext> };
      }
    | GraphQLScalarType
    | { [enumValue: string]: string | number };
}
