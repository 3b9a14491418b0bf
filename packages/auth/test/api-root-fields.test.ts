import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { apiRootFields } from '../src';

// console/schema.graphql is the composed public API schema; console/test/codegen.test.ts fails
// when it no longer matches the subgraphs' SDL, so this list follows the SDL through it.
describe('apiRootFields', () => {
  it('is exactly the root fields of the composed API schema', () => {
    const schema = buildSchema(readFileSync(join(__dirname, '..', '..', '..', 'console', 'schema.graphql'), 'utf8'));
    const rootFields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => (type ? Object.keys(type.getFields()) : []));
    expect([...apiRootFields].sort()).toEqual([...new Set(rootFields)].sort());
  });
});
