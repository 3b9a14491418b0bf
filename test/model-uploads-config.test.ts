import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * The models service's upload settings, parsed once at start-up: MODEL_UPLOAD_MEMORY_BYTES (the
 * bytes of uploads it holds at once; at least 1 MiB, default 512 MiB), MODEL_UPLOAD_MEMORY_HOLD_MS
 * (how long one upload may hold its share before its body is in; 1 s – 24 h, default 10 min) and
 * MODEL_VALIDATION_THREADS (1–64, default 1).
 */
describe('model upload configuration of the models service', () => {
  const models = minimalSubgraphEnvironment('models');
  const problems = (env: Record<string, string>) => subgraphEnvironmentProblems('models', env);

  it('defaults to 512 MiB held at most 10 min and one thread; reads each when set', () => {
    expect(readSubgraphEnvironment('models', models).modelUploads).toEqual({ memoryBytes: 512 * 1024 * 1024, memoryHoldMs: 600_000, validationThreads: 1 });
    expect(
      readSubgraphEnvironment('models', { ...models, MODEL_UPLOAD_MEMORY_BYTES: '2097152', MODEL_UPLOAD_MEMORY_HOLD_MS: '1000', MODEL_VALIDATION_THREADS: '2' }).modelUploads,
    ).toEqual({ memoryBytes: 2097152, memoryHoldMs: 1000, validationThreads: 2 });
    expect(readSubgraphEnvironment('models', { ...models, MODEL_UPLOAD_MEMORY_HOLD_MS: '86400000' }).modelUploads?.memoryHoldMs).toBe(86_400_000);
  });

  it('refuses a bad value, naming the variable', () => {
    for (const value of ['0', '1048575', '1.5', '512MiB', '-1']) expect(problems({ ...models, MODEL_UPLOAD_MEMORY_BYTES: value })).toMatch(/MODEL_UPLOAD_MEMORY_BYTES/);
    for (const value of ['0', '65', '1.5', 'all']) expect(problems({ ...models, MODEL_VALIDATION_THREADS: value })).toMatch(/MODEL_VALIDATION_THREADS/);
    for (const value of ['0', '999', '86400001', '1.5', '10m', '-1', '']) expect(problems({ ...models, MODEL_UPLOAD_MEMORY_HOLD_MS: value })).toMatch(/MODEL_UPLOAD_MEMORY_HOLD_MS/);
  });

  it('only the models service reads them', () => {
    expect(Object.keys(subgraphEnvironment('models').shape)).toEqual(expect.arrayContaining(['MODEL_UPLOAD_MEMORY_BYTES', 'MODEL_UPLOAD_MEMORY_HOLD_MS', 'MODEL_VALIDATION_THREADS']));
    expect(Object.keys(subgraphEnvironment('datasets').shape)).not.toContain('MODEL_UPLOAD_MEMORY_BYTES');
    expect(Object.keys(subgraphEnvironment('datasets').shape)).not.toContain('MODEL_UPLOAD_MEMORY_HOLD_MS');
    expect(readSubgraphEnvironment('datasets', minimalSubgraphEnvironment('datasets')).modelUploads).toBeUndefined();
  });
});
