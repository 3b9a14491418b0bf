// Test files packed into groups for `npm test`: each group is one Jest test file that loads several
// of the project's test files, each inside a `describe` of its own path.
//
// Every integration test file starts a whole stack, and Jest gives each test file a fresh module
// registry in a fresh V8 context: a file loads some 3 000 modules again (Apollo, TypeORM, the
// services), and the code that builds six subgraph schemas, a supergraph and its query planner runs
// cold again, before its first test. Inside one Jest test file the modules are loaded once and that
// code stays warm. Measured on six stack files run one after another in one process: 56 s of wall
// time and 63 s of CPU as six files, 32 s and 33 s as one group (README, Testing). Each file's hooks stay scoped
// to its own `describe`, so every file still starts and stops its own stack and tenants.
//
// Kept alone (a group of one): files that change the module registry or the clock for everything
// loaded after them (jest.mock, fake timers, resetting modules). Files with a
// `@jest-environment` docblock are grouped only with files that ask for the same environment.
// `jest.setTimeout` calls run when a file is loaded, so a group sets the largest of its files' last.
//
// Groups are packed by each file's duration in an earlier CI run (test-durations.json; a file not
// listed counts as `defaultSeconds`, one listed without a time as `quickSeconds`), largest first,
// up to `groupSeconds` a group, and a custom sequencer starts the longest groups first. Stale durations only make the packing less even;
// `node testing/jest/test-groups.cjs --record <log of an ungrouped jest run>` rewrites them.
'use strict';
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const rootDir = join(__dirname, '..', '..');
const groupsDirectory = join(__dirname, 'groups');
const manifestFile = join(groupsDirectory, 'manifest.json');
const durationsFile = join(__dirname, 'test-durations.json');

/** Where Jest's projects look for tests (jest.config.ts), and the pattern they match. */
const testRoots = ['packages', 'gateway', 'subgraphs', 'key-service', 'test', 'console'];
const skippedDirectories = new Set(['node_modules', 'dist', '.git', '.tessera']);

/** Packing limits: an estimated duration per group (seconds of the files run alone) and a member count. */
const groupSeconds = 70;
const maxMembers = 10;
const defaultSeconds = 5;
const quickSeconds = 2;
const defaultTimeoutMs = 60_000;

const isolatingPattern = /\bjest\.(mock|doMock|unstable_mockModule|useFakeTimers|resetModules|isolateModules)\s*\(/;
// Jest reads pragmas from the docblock a file starts with, and only there.
const leadingDocblock = /^\s*\/\*\*[\s\S]*?\*\//;
const environmentPattern = /@jest-environment\s+(\S+)/;
const timeoutPattern = /\bjest\.setTimeout\(\s*([\d_]+)\s*\)/g;

function findTestFiles() {
  const found = [];
  const walk = (directory, insideTestDirectory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (skippedDirectories.has(entry.name)) continue;
        walk(join(directory, entry.name), insideTestDirectory || entry.name === 'test');
      } else if (insideTestDirectory && entry.name.endsWith('.test.ts')) {
        found.push(relative(rootDir, join(directory, entry.name)).split(sep).join('/'));
      }
    }
  };
  for (const root of testRoots) if (existsSync(join(rootDir, root))) walk(join(rootDir, root), root === 'test');
  return found.sort();
}

function describeFile(path, durations) {
  const source = readFileSync(join(rootDir, path), 'utf8');
  const environment = environmentPattern.exec(leadingDocblock.exec(source)?.[0] ?? '')?.[1];
  const timeouts = [...source.matchAll(timeoutPattern)].map((match) => Number(match[1].replace(/_/g, '')));
  return {
    path,
    // Listed as 0: Jest printed no time for it (under its 5 s slow-file threshold).
    seconds: typeof durations[path] !== 'number' ? defaultSeconds : durations[path] > 0 ? durations[path] : quickSeconds,
    environment,
    alone: isolatingPattern.test(source),
    timeoutMs: Math.max(defaultTimeoutMs, ...timeouts),
  };
}

/** First-fit decreasing, per environment; a file over the group size, or one that must be alone, is a group of one. */
function packGroups(files) {
  const groups = [];
  const open = new Map();
  for (const file of [...files].sort((a, b) => b.seconds - a.seconds || a.path.localeCompare(b.path))) {
    if (file.alone || file.seconds >= groupSeconds) {
      groups.push({ environment: file.environment, members: [file] });
      continue;
    }
    const key = file.environment ?? '';
    const candidates = open.get(key) ?? [];
    let target = candidates.find((group) => group.seconds + file.seconds <= groupSeconds && group.members.length < maxMembers);
    if (!target) {
      target = { environment: file.environment, members: [], seconds: 0 };
      candidates.push(target);
      open.set(key, candidates);
      groups.push(target);
    }
    target.members.push(file);
    target.seconds += file.seconds;
  }
  return groups.map((group) => ({
    environment: group.environment,
    members: group.members,
    seconds: group.members.reduce((sum, member) => sum + member.seconds, 0),
    timeoutMs: Math.max(...group.members.map((member) => member.timeoutMs)),
  }));
}

function groupSource(group) {
  const lines = [];
  if (group.environment) lines.push(`/** @jest-environment ${group.environment} */`);
  lines.push(
    '// Written by testing/jest/test-groups.cjs for `npm test` (it says why); not committed, rewritten each run.',
    `const members: string[] = ${JSON.stringify(group.members.map((member) => member.path), null, 2)};`,
    `for (const member of members) describe(member, () => { require(\`../../../\${member}\`); });`,
    '// Members set their timeouts when loaded: the largest of them holds for the whole group.',
    `jest.setTimeout(${group.timeoutMs});`,
    '',
  );
  return lines.join('\n');
}

/** The groups of the project's test files as they are now on disk. */
function planTestGroups() {
  const durations = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
  return packGroups(findTestFiles().map((path) => describeFile(path, durations)));
}

/** Writes the groups (and their manifest, for the sequencer) and returns them. */
function writeTestGroups() {
  const groups = planTestGroups();
  rmSync(groupsDirectory, { recursive: true, force: true });
  mkdirSync(groupsDirectory, { recursive: true });
  const manifest = {};
  groups.forEach((group, index) => {
    const name = `group-${String(index + 1).padStart(3, '0')}.test.ts`;
    writeFileSync(join(groupsDirectory, name), groupSource(group));
    manifest[name] = { seconds: Math.round(group.seconds * 10) / 10, members: group.members.map((member) => member.path) };
  });
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 1)}\n`);
  return groups;
}

/** Estimated seconds of a group file, by its name (0 when unknown). */
function estimatedSeconds(testPath) {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    return manifest[testPath.split(/[\\/]/).pop()]?.seconds ?? 0;
  } catch {
    return 0;
  }
}

module.exports = { writeTestGroups, recordDurations, planTestGroups, packGroups, findTestFiles, groupSource, estimatedSeconds, groupsDirectory, groupSeconds, maxMembers };

/**
 * test-durations.json from the output of an ungrouped run (`npx jest 2>&1 | tee jest.log`): Jest
 * prints each file's time when it passes its slow-file threshold (5 s); a file it printed without
 * one is recorded as 0 (counted as `quickSeconds`).
 */
function recordDurations(jestLog, outputFile = durationsFile) {
  const durations = {};
  for (const match of readFileSync(jestLog, 'utf8').matchAll(/^(?:PASS|FAIL) +(?:\S+ +)?(\S+\.test\.ts)(?: \(([\d.]+) s\))?/gm)) {
    durations[match[1]] = match[2] ? Math.round(Number(match[2]) * 10) / 10 : 0;
  }
  const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileSync(outputFile, `${JSON.stringify(sorted, null, 1)}\n`);
  return Object.keys(sorted).length;
}

if (require.main === module && process.argv[2] === '--record') {
  console.log(`test durations: ${recordDurations(process.argv[3])} files recorded into testing/jest/test-durations.json`);
} else if (require.main === module) {
  const groups = writeTestGroups();
  const files = groups.reduce((sum, group) => sum + group.members.length, 0);
  console.log(`test groups: ${files} test files in ${groups.length} groups (testing/jest/groups/)`);
}
