// The committed schema and typed operations must be what the generator makes from today's
// subgraph SDL and today's operations: a clean clone builds from them without running codegen.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateOperationTypes, generatedDirectory, schemaFile } from '../server/codegen';
import { composeApiSchema } from '../server/supergraph';

describe('console codegen output', () => {
  it('console/schema.graphql is the API schema composed from the subgraphs', () => {
    expect(readFileSync(schemaFile, 'utf8') === composeApiSchema()).toBe(true);
  });

  it('console/src/generated is what GraphQL Code Generator makes from the operations (npm run codegen -w console)', async () => {
    const generated = await generateOperationTypes();
    expect(generated.map((file) => file.filename.replace(`${generatedDirectory}/`, '')).sort()).toEqual(readdirSync(generatedDirectory).sort());
    for (const file of generated) {
      const committed = readFileSync(file.filename, 'utf8');
      if (committed !== file.content) throw new Error(`${file.filename} is stale: run npm run codegen -w console and commit the result`);
    }
  }, 60_000);

  it('notices an operation the committed output does not know', async () => {
    // The same generator on a schema with a field renamed gives other output: the check can fail.
    const renamed = readFileSync(schemaFile, 'utf8').replace('rowCount: Int!', 'rowTotal: Int!');
    const path = join(require('node:os').tmpdir(), `console-schema-${process.pid}.graphql`);
    require('node:fs').writeFileSync(path, renamed);
    await expect(generateOperationTypes(path)).rejects.toThrow(/rowCount/);
  }, 60_000);
});
