/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

// One project per area so `jest --selectProjects gateway` runs just that part.
// Integration tests start real services (MariaDB, Redis, the S3 server, the OIDC issuer),
// so they get a generous timeout; unit tests are pure and fast.
const swc: Config['transform'] = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};

const project = (name: string, roots: string[]): Config => ({
  displayName: name,
  testEnvironment: 'node',
  roots,
  testMatch: ['**/test/**/*.test.ts'],
  transform: swc,
  // Jest's runtime with V8's code cache kept between test files (testing/jest/code-cache-runtime.cjs says why).
  runtime: '<rootDir>/testing/jest/code-cache-runtime.cjs',
});

// `npm test` runs the test files packed into groups (testing/jest/test-groups.cjs says why and how);
// `npx jest <file>` and a plain `npx jest` run each file on its own, as Jest does.
const grouped = process.env.TESSERA_JEST_GROUPS === '1';

const config: Config = {
  // Read only at the top level (per-project values are ignored); stacks start in beforeAll.
  testTimeout: 60_000,
  // Two test files at a time on CI's two cores: a file spends much of its time waiting on real
  // services (MariaDB, Redis, worker processes, timers), so one file alone leaves a core idle.
  // Not three, even for groups (which spend about a third less CPU a file, test-groups.cjs): three
  // groups at a time took 183 s against 212 s for the same eight groups, but the load it puts on two
  // cores (a load average over 6) made a timing-sensitive test fail in a clean-clone CI run.
  maxWorkers: 2,
  // Test files run one at a time in a worker process that is replaced once it holds more than this
  // after a file: every file starts a whole stack (pools, TLS contexts, clients), and a single
  // long-lived process collects what they leave behind until it runs out of heap.
  workerIdleMemoryLimit: '1GB',
  ...(grouped ? { testSequencer: '<rootDir>/testing/jest/group-sequencer.cjs' } : {}),
  projects: grouped
    ? [{ ...project('groups', ['<rootDir>/testing/jest/groups']), testMatch: ['**/groups/*.test.ts'] }]
    : [
        project('packages', ['<rootDir>/packages']),
        project('gateway', ['<rootDir>/gateway']),
        project('subgraphs', ['<rootDir>/subgraphs']),
        project('key-service', ['<rootDir>/key-service']),
        project('repo', ['<rootDir>/test']),
        project('console', ['<rootDir>/console']),
      ],
};

export default config;
