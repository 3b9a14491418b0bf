import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledEntry, nodeEntryArgs } from '../src/node-entry';

describe('child process entries', () => {
  let root: string;
  let source: string;
  let compiled: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tessera-entry-'));
    mkdirSync(join(root, 'pkg', 'src', 'worker'), { recursive: true });
    mkdirSync(join(root, 'pkg', 'dist', 'src', 'worker'), { recursive: true });
    source = join(root, 'pkg', 'src', 'worker', 'main.ts');
    compiled = join(root, 'pkg', 'dist', 'src', 'worker', 'main.js');
    writeFileSync(source, '');
    writeFileSync(compiled, '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads a TypeScript entry through tsx unless asked for the build', () => {
    expect(nodeEntryArgs(source, {})).toEqual(['--import', 'tsx', source]);
  });

  it('starts the build output with the compiled condition when asked and the build is current', () => {
    expect(nodeEntryArgs(source, { TESSERA_CHILD_PROCESSES: 'compiled' })).toEqual(['--conditions', 'tessera-compiled', compiled]);
  });

  it('keeps the source when the build is older than it, or missing', () => {
    utimesSync(compiled, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(compiledEntry(source)).toBeUndefined();
    expect(nodeEntryArgs(source, { TESSERA_CHILD_PROCESSES: 'compiled' })).toEqual(['--import', 'tsx', source]);
    rmSync(compiled);
    expect(compiledEntry(source)).toBeUndefined();
  });

  it('maps only entries under a src folder', () => {
    const loose = join(root, 'main.ts');
    writeFileSync(loose, '');
    expect(compiledEntry(loose)).toBeUndefined();
  });
});
