import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `npm test` runs the suite as groups of test files (testing/jest/test-groups.cjs): a file left out
// of every group would silently never run in CI, and a file that mocks modules or fakes the clock
// would change the files loaded after it.
interface Member { path: string; seconds: number; environment?: string; alone: boolean; timeoutMs: number }
interface Group { environment?: string; members: Member[]; seconds: number; timeoutMs: number }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const groups = require('../testing/jest/test-groups.cjs') as {
  planTestGroups(): Group[];
  packGroups(files: Member[]): Group[];
  findTestFiles(): string[];
  groupSource(group: Group): string;
  recordDurations(jestLog: string, outputFile: string): number;
  groupSeconds: number;
  maxMembers: number;
};

const rootDir = join(__dirname, '..');
const jestProjectRoots = ['packages/', 'gateway/', 'subgraphs/', 'key-service/', 'test/', 'console/'];

describe('test groups for npm test', () => {
  const planned = groups.planTestGroups();

  it('every test file Jest would run on its own is in exactly one group', () => {
    const tracked = execFileSync('git', ['ls-files', '*.test.ts'], { cwd: rootDir, encoding: 'utf8' })
      .split('\n')
      .filter((path) => path && jestProjectRoots.some((root) => path.startsWith(root)) && /(^|\/)test\//.test(path))
      .sort();
    const grouped = planned.flatMap((group) => group.members.map((member) => member.path)).sort();
    expect(tracked.length).toBeGreaterThan(250);
    expect(grouped).toEqual(tracked);
  });

  it('a file that mocks modules or fakes the clock is alone; a file with its own Jest environment is only with files of that environment', () => {
    for (const group of planned) {
      for (const member of group.members) {
        const source = readFileSync(join(rootDir, member.path), 'utf8');
        if (/\bjest\.(mock|doMock|useFakeTimers|resetModules|isolateModules)\s*\(/.test(source)) expect(group.members).toHaveLength(1);
        const environment = /@jest-environment\s+(\S+)/.exec(/^\s*\/\*\*[\s\S]*?\*\//.exec(source)?.[0] ?? '')?.[1];
        expect(member.environment).toBe(environment);
        expect(group.environment).toBe(environment);
      }
    }
    expect(planned.some((group) => group.members.some((member) => member.path === 'gateway/test/rate-limit-hold.test.ts') && group.members.length === 1)).toBe(true);
  });

  it('packs by estimated seconds, largest first, and gives a group the longest timeout its files set', () => {
    const file = (path: string, seconds: number, extra: Partial<Member> = {}): Member => ({ path, seconds, alone: false, timeoutMs: 60_000, ...extra });
    const packed = groups.packGroups([
      file('a', 40),
      file('b', 40, { timeoutMs: 300_000 }),
      file('c', 30),
      file('d', 500),
      file('e', 1, { alone: true }),
      file('f', 1, { environment: './onnx-env.ts' }),
      file('g', 1, { environment: './onnx-env.ts' }),
    ]);
    const byMembers = packed.map((group) => group.members.map((member) => member.path).join(','));
    expect(byMembers).toEqual(['d', 'a,c', 'b', 'e', 'f,g']);
    expect(packed.find((group) => group.members.some((member) => member.path === 'b'))!.timeoutMs).toBe(300_000);
    expect(packed.find((group) => group.members[0]!.path === 'f')!.environment).toBe('./onnx-env.ts');
    for (const group of packed) if (group.members.length > 1) expect(group.seconds).toBeLessThanOrEqual(groups.groupSeconds);
    const many = groups.packGroups(Array.from({ length: 25 }, (_, i) => file(`m${i}`, 0.1)));
    expect(many.map((group) => group.members.length)).toEqual([groups.maxMembers, groups.maxMembers, 25 - 2 * groups.maxMembers]);
  });

  it("a group file loads each member inside a describe of the member's path, with its environment and timeout", () => {
    const source = groups.groupSource({ environment: './packages/onnx/test/onnxruntime-environment.ts', members: [{ path: 'packages/onnx/test/builders.test.ts', seconds: 1, alone: false, timeoutMs: 120_000 }], seconds: 1, timeoutMs: 120_000 });
    expect(source.split('\n')[0]).toBe('/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */');
    expect(source).toContain('"packages/onnx/test/builders.test.ts"');
    expect(source).toContain('describe(member, () => { require(`../../../${member}`); });');
    expect(source).toContain('jest.setTimeout(120000);');
  });

  it("records each file's time from an ungrouped run's output (0 for a file Jest printed without one)", () => {
    const directory = mkdtempSync(join(tmpdir(), 'test-durations-'));
    try {
      const log = join(directory, 'jest.log');
      writeFileSync(log, ['PASS subgraphs subgraphs/jobs/test/jobs-run.test.ts (46.88 s)', 'PASS packages packages/csv/test/parse.test.ts', 'FAIL test/selftest.test.ts (49.554 s)', '  ● a › b (3 ms)', 'Tests: 3 passed'].join('\n'));
      const output = join(directory, 'durations.json');
      expect(groups.recordDurations(log, output)).toBe(3);
      expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual({ 'packages/csv/test/parse.test.ts': 0, 'subgraphs/jobs/test/jobs-run.test.ts': 46.9, 'test/selftest.test.ts': 49.6 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
