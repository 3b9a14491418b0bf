import { Kind, parse, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema } from 'graphql';

/** Which subgraph serves each Subscription root field, read from the composed supergraph. */
export interface SubscriptionRouting {
  /** The schema clients see (the supergraph's API schema), for validating operations. */
  apiSchema: GraphQLSchema;
  /** Subgraph name (as configured for composition) by Subscription field name. */
  owners: ReadonlyMap<string, string>;
}

/**
 * Reads the owners from the supergraph's join directives, so any subgraph that declares a
 * Subscription field (jobs' `jobProgress`, audit's `alerts`, …) is routed without code here:
 * a field's `@join__field(graph:)`, or, when the type lives in one subgraph only, the type's
 * `@join__type(graph:)`; graph enum values map to subgraph names via `@join__graph(name:)`.
 */
export function subscriptionRoutingOf(apiSchema: GraphQLSchema, coreSupergraphSdl: string): SubscriptionRouting {
  const owners = new Map<string, string>();
  const subscriptionType = apiSchema.getSubscriptionType();
  if (!subscriptionType) return { apiSchema, owners };
  const document: DocumentNode = parse(coreSupergraphSdl);
  const graphNames = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const name = stringArgument(value.directives?.find((d) => d.name.value === 'join__graph'), 'name');
      if (name) graphNames.set(value.name.value, name);
    }
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || definition.name.value !== subscriptionType.name) continue;
    const typeGraphs = graphsOf(definition.directives, 'join__type');
    for (const field of definition.fields ?? []) {
      const fieldGraphs = graphsOf(
        field.directives?.filter((d) => enumArgument(d, 'external') !== 'true'),
        'join__field',
      );
      const graph = fieldGraphs[0] ?? (typeGraphs.length === 1 ? typeGraphs[0] : undefined);
      const owner = graph ? graphNames.get(graph) : undefined;
      if (owner) owners.set(field.name.value, owner);
    }
  }
  return { apiSchema, owners };
}

function graphsOf(directives: readonly ConstDirectiveNode[] | undefined, name: string): string[] {
  return (directives ?? []).filter((d) => d.name.value === name).flatMap((d) => {
    const graph = enumArgument(d, 'graph');
    return graph ? [graph] : [];
  });
}

function argument(directive: ConstDirectiveNode | undefined, name: string) {
  return directive?.arguments?.find((a) => a.name.value === name)?.value;
}

function stringArgument(directive: ConstDirectiveNode | undefined, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function enumArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  if (value?.kind === Kind.ENUM) return value.value;
  if (value?.kind === Kind.BOOLEAN) return String(value.value);
  return undefined;
}
