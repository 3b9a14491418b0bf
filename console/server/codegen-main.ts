// `npm run codegen -w console`: composes the API schema, then regenerates the typed operations.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateOperationTypes, schemaFile } from './codegen';
import { composeApiSchema } from './supergraph';

async function main(): Promise<void> {
  writeFileSync(schemaFile, composeApiSchema());
  for (const file of await generateOperationTypes()) {
    mkdirSync(dirname(file.filename), { recursive: true });
    writeFileSync(file.filename, file.content);
  }
  process.stdout.write(`Wrote ${schemaFile} and the typed operations.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
