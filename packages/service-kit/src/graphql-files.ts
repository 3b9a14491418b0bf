import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/** Loads a subgraph's `schema.graphql` (the SDL is the source of truth for each subgraph). */
export function loadSchemaFile(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}
