import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@tessera/config';
import { Kind, parse, print, visit, type ConstDirectiveNode } from 'graphql';
import type { SubgraphEndpoint } from './gateway-config';

/**
 * The supergraph the gateway serves, composed from the subgraphs' SDL when the code is built
 * (`supergraph.graphql` beside this module; `npm run compose -w gateway` writes it, a test keeps it
 * current), not introspected and composed at every start: a start neither waits for nor depends on
 * every subgraph answering, the schema served is the one the code was reviewed with, and no
 * process spends composition's half-second of CPU. Only the subgraphs' addresses are deployment
 * configuration; they replace the file's placeholders here, and a subgraph configured but not in
 * the supergraph (or the reverse) stops the start with both lists.
 */
export function loadSupergraph(subgraphs: readonly SubgraphEndpoint[], file = join(__dirname, 'supergraph.graphql')): string {
  const urls = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));
  const found = new Set<string>();
  const document = visit(parse(readFileSync(file, 'utf8')), {
    EnumValueDefinition(node) {
      const directives = node.directives?.map((directive) => {
        if (directive.name.value !== 'join__graph') return directive;
        const name = stringArgument(directive, 'name');
        const url = name === undefined ? undefined : urls.get(name);
        if (name !== undefined) found.add(name);
        if (url === undefined) return directive;
        return { ...directive, arguments: directive.arguments?.map((argument) => (argument.name.value === 'url' ? { ...argument, value: { kind: Kind.STRING, value: url } } : argument)) } satisfies ConstDirectiveNode;
      });
      return directives ? { ...node, directives } : undefined;
    },
  });
  const configured = [...urls.keys()].sort();
  const inSupergraph = [...found].sort();
  if (configured.join() !== inSupergraph.join()) {
    throw new ConfigError([`the gateway's subgraphs (${configured.join(', ')}) are not the supergraph's (${inSupergraph.join(', ')}): run npm run compose -w gateway after changing the set of subgraphs`]);
  }
  return print(document);
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}
