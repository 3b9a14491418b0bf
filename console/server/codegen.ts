// Typed operations: GraphQL Code Generator's client preset, from the composed API schema and the
// console's operations (graphql(`…`) calls), into console/src/generated. The output is committed
// (a clean clone builds without this step); console/test/codegen.test.ts fails when it is stale.
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { consoleRoot } from './paths';

export { consoleRoot };
export const schemaFile = join(consoleRoot, 'schema.graphql');
export const generatedDirectory = join(consoleRoot, 'src', 'generated');

export interface GeneratedFile {
  filename: string;
  content: string;
}

export async function generateOperationTypes(schema = schemaFile): Promise<GeneratedFile[]> {
  const files = (await generate(
    {
      schema,
      documents: [join(consoleRoot, 'src', '**', '*.{ts,tsx}'), `!${join(generatedDirectory, '**')}`],
      silent: true,
      generates: {
        [`${generatedDirectory}/`]: {
          preset: 'client',
          presetConfig: { fragmentMasking: false },
          config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string' } },
        },
      },
    },
    false,
  )) as GeneratedFile[];
  return files.sort((a, b) => a.filename.localeCompare(b.filename));
}
