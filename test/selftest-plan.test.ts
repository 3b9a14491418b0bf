/**
 * The self-test's pure parts, without a stack: which probes the schema walk builds, how a leak is
 * recognised, how credentials and the command line are read, and that the Kubernetes Job's
 * arguments are ones the command accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { parseAllDocuments } from 'yaml';
import { leakedMarkers, parseCredential, parseSelftestArgs, probesForSchema, type ForeignResources } from '@tessera/platform';

const schema = buildSchema(`
  type Query {
    things(first: Int): [Thing!]!
    dataset(id: ID!): Thing
    datasetVersion(id: ID!): Thing
    member(id: ID!): Thing
    predict(input: PredictInput!): Thing
    modelByName(name: String!): Thing
  }
  type Mutation {
    createDataset(input: CreateInput!): Thing
    deleteModel(id: ID!): Thing
    submit(input: SubmitInput!): Thing
    erase(tenantId: ID, confirm: String!): Thing
  }
  type Subscription { jobProgress(jobId: ID!): Thing }
  input PredictInput { modelId: ID modelName: String alias: String inputs: [TensorInput!]! }
  input TensorInput { name: String! shape: [Int!]! data: [Float!] }
  input CreateInput { name: String! }
  input SubmitInput { options: Options! }
  input Options { datasetVersionId: ID! kind: Kind! }
  enum Kind { A B }
  type Thing { id: ID! name: String! related: Thing }
`);

const foreign: ForeignResources = {
  ids: { tenant: 'tenant-a', dataset: 'ds-a', datasetVersion: 'dv-a', model: 'm-a', job: 'j-a' },
  name: 'selftest-x',
  alias: 'selftestx',
  hints: { 'inputs.name': 'input', 'inputs.shape': [1, 1] },
};

describe('schema walk', () => {
  const probes = probesForSchema(schema, foreign);
  const labels = probes.map((probe) => `${probe.operation} ${probe.label}`);
  const byLabel = (label: string) => probes.find((probe) => `${probe.operation} ${probe.label}` === label)!;

  test('every ID-taking field gets A\'s id of the kind its names say, nested inputs included', () => {
    expect(byLabel('query dataset(id=dataset)').variables).toEqual({ id: 'ds-a' });
    expect(byLabel('query datasetVersion(id=datasetVersion)').variables).toEqual({ id: 'dv-a' });
    expect(byLabel('mutation deleteModel(id=model)').variables).toEqual({ id: 'm-a' });
    expect(byLabel('mutation submit(input.options.datasetVersionId=datasetVersion)').variables).toEqual({ input: { options: { datasetVersionId: 'dv-a', kind: 'A' } } });
    expect(byLabel('subscription jobProgress(jobId=job)').variables).toEqual({ jobId: 'j-a' });
    expect(byLabel('mutation erase(tenantId=tenant, confirm=confirm)').variables).toEqual({ tenantId: 'tenant-a', confirm: 'tenant-a' });
    expect(byLabel('query dataset(id=dataset)').document).toBe('query SelftestProbe($id: ID!) { dataset(id: $id) { __typename id name related { __typename id name } } }');
  });

  test('an id whose kind no name tells is tried with each of A\'s ids', () => {
    expect(labels.filter((label) => label.startsWith('query member('))).toEqual(['dataset', 'datasetVersion', 'model', 'job', 'tenant'].map((kind) => `query member(id=${kind})`));
  });

  test('optional slots that exclude each other get a probe each; hints fill what names cannot guess', () => {
    const predict = probes.filter((probe) => probe.field === 'predict').map((probe) => probe.variables);
    expect(predict).toContainEqual({ input: { modelId: 'm-a', alias: 'selftestx', inputs: [{ name: 'input', shape: [1, 1] }] } });
    expect(predict).toContainEqual({ input: { modelName: 'selftest-x', alias: 'selftestx', inputs: [{ name: 'input', shape: [1, 1] }] } });
    expect(byLabel('query modelByName(name=name)').variables).toEqual({ name: 'selftest-x' });
  });

  test('listings are probed without arguments; mutations that target nothing of A (or only a name) are not', () => {
    expect(byLabel('query things')).toMatchObject({ targetsForeign: false, variables: {} });
    expect(labels.some((label) => label.startsWith('mutation createDataset'))).toBe(false);
  });
});

describe('leak recognition', () => {
  const markers = ['ds-a-123456', 'selftest-x'];
  test('any marker in data is a leak; in an error message only one B did not send itself', () => {
    expect(leakedMarkers({ data: { dataset: { id: 'ds-a-123456' } } }, markers, { id: 'ds-a-123456' })).toEqual(['ds-a-123456']);
    expect(leakedMarkers({ data: null, errors: [{ message: 'Dataset "ds-a-123456" was not found.' }] }, markers, { id: 'ds-a-123456' })).toEqual([]);
    expect(leakedMarkers({ data: null, errors: [{ message: 'Dataset "ds-a-123456" is called selftest-x' }] }, markers, { id: 'ds-a-123456' })).toEqual(['selftest-x']);
  });
});

describe('credentials and the command line', () => {
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  const key = `tsk_0123456789abcdef_${'A'.repeat(43)}`;
  const files: Record<string, string> = { '/a': `token:${jwt}\n`, '/b': key, '/ca.pem': 'PEM' };
  const read = (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT ${path}`);
    return files[path]!;
  };

  test('tokens and API keys by prefix or by shape, inline or from a file', () => {
    expect(parseCredential(jwt, read)).toEqual({ kind: 'token', secret: jwt });
    expect(parseCredential(`apikey:${key}`, read)).toEqual({ kind: 'apikey', secret: key });
    expect(parseCredential(key, read)).toEqual({ kind: 'apikey', secret: key });
    expect(parseCredential('@/a', read)).toEqual({ kind: 'token', secret: jwt });
    expect(() => parseCredential('hunter2', read)).toThrow(/access token .* or an API key/);
    expect(() => parseCredential('apikey:tsk_nothex_x', read)).toThrow(/malformed/);
  });

  test('usage errors send nothing', () => {
    expect(parseSelftestArgs(['--url', 'https://x/graphql', '--tenant-a', jwt], {}, read)).toMatchObject({ kind: 'usage-error' });
    expect(parseSelftestArgs(['--url', 'https://x/graphql', '--tenant-a', jwt, '--tenant-b', key, '--checks', 'tls,nope'], {}, read)).toMatchObject({ kind: 'usage-error', message: expect.stringContaining('nope') });
    expect(parseSelftestArgs(['--bogus'], {}, read)).toMatchObject({ kind: 'usage-error' });
    expect(parseSelftestArgs(['--url', 'ftp://x', '--tenant-a', jwt, '--tenant-b', key], {}, read)).toMatchObject({ kind: 'usage-error' });
  });

  test('credentials may come from the environment', () => {
    const parsed = parseSelftestArgs(['--url', 'https://x/graphql', '--format', 'json'], { SELFTEST_TENANT_A: jwt, SELFTEST_TENANT_B: key }, read);
    expect(parsed).toMatchObject({ kind: 'run', format: 'json', options: { tenantA: { kind: 'token' }, tenantB: { kind: 'apikey' } } });
  });

  test('the Kubernetes Job runs `tessera selftest` with arguments the command accepts', () => {
    const job = parseAllDocuments(readFileSync(join(__dirname, '../deploy/kubernetes/base/selftest/job.yaml'), 'utf8')).map((doc) => doc.toJSON()).find((doc) => doc.kind === 'Job') as {
      kind: string;
      spec: { backoffLimit: number; template: { spec: { restartPolicy: string; containers: Array<{ command?: string[]; args: string[]; volumeMounts: Array<{ mountPath: string }> }> } } };
    };
    expect(job.kind).toBe('Job');
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const container = job.spec.template.spec.containers[0]!;
    // The image's entrypoint is the compiled main (`tessera <command>`); it ships no tsx and no
    // TypeScript sources, so a `command` overriding the entrypoint would never start.
    const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "--conditions=tessera-compiled", "platform/dist/src/main.js"]');
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe('selftest');
    const mounted = (path: string) => container.volumeMounts.some((mount) => path.startsWith(`${mount.mountPath}/`));
    const parsed = parseSelftestArgs(container.args.slice(1), {}, (path) => {
      expect(mounted(path)).toBe(true);
      return path.endsWith('ca.pem') ? 'PEM' : jwt;
    });
    expect(parsed).toMatchObject({ kind: 'run', format: 'json', options: { url: 'https://api.example.com/graphql', ca: 'PEM' } });
  });
});
