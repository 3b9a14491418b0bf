import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { linearCsv, submitProfile, submitTraining, uploadDataset, waitForStatus, type JobView } from './job-support';

/**
 * A profile keeps values of its dataset (each column's top values, minimum and maximum): once the
 * dataset is deleted (its key destroyed), the profile must not keep serving them, and the row must
 * not keep them either. Another tenant never reaches the job at all.
 */
describe('the profile of a deleted dataset', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let other: TestTenant;
  let scientist: string;
  let admin: string;
  const resultQuery = `query($id: ID!) { job(id: $id) { id status result { profile { rowCount columns { name topValues { value } } } } } }`;

  beforeAll(async () => {
    stack = await startTestStack();
    [tenant, other] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.workers.start({ concurrency: 1 })]);
    [scientist, admin] = await Promise.all([tenant.token('data_scientist'), tenant.token('admin')]);
  });
  afterAll(() => stack?.stop());

  const storedResult = async (jobId: string) =>
    ((await stack.platform.runtime.db.query(`SELECT result_json, result_key_version FROM \`${tenant.schema}\`.jobs WHERE id = ?`, [jobId])) as Array<{ result_json: unknown; result_key_version: unknown }>)[0]!;

  it('is cleared and never served once its dataset is deleted; the job itself stays', async () => {
    const { datasetId, versionId } = await uploadDataset(stack, scientist, 'personal', 'ssn,name\n123-45-6789,Alice Secret\n987-65-4321,Bob Secret\n');
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect(await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    const before = expectNoErrors(await stack.query<{ job: JobView }>(scientist, resultQuery, { id: submitted.id })).job;
    expect(JSON.stringify(before)).toContain('Alice Secret');
    // Another tenant gets nothing of it, before or after.
    expect(errorCodes(await stack.query(await other.token('admin'), resultQuery, { id: submitted.id }))).toEqual(['NOT_FOUND']);

    expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: datasetId }));
    const after = expectNoErrors(await stack.query<{ job: JobView }>(scientist, resultQuery, { id: submitted.id })).job;
    expect(after).toMatchObject({ id: submitted.id, status: 'SUCCEEDED', result: null });
    expect(JSON.stringify(after)).not.toContain('Secret');
    expect(await storedResult(submitted.id)).toEqual({ result_json: null, result_key_version: null });
    // The listing reads the same field: nothing of it there either.
    const listed = expectNoErrors(await stack.query<{ jobs: { edges: Array<{ node: unknown }> } }>(scientist, `{ jobs(first: 5) { edges { node { id result { profile { columns { topValues { value } } } } } } } }`));
    expect(JSON.stringify(listed)).not.toContain('Secret');
    expect(errorCodes(await stack.query(await other.token('admin'), resultQuery, { id: submitted.id }))).toEqual(['NOT_FOUND']);
  });

  it('a profile of a dataset that still exists is served as before', async () => {
    const { versionId } = await uploadDataset(stack, scientist, 'kept', 'city,n\nLyon,1\nOslo,2\n');
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    expect(await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    for (let read = 0; read < 2; read++) expect(JSON.stringify(expectNoErrors(await stack.query<{ job: JobView }>(scientist, resultQuery, { id: submitted.id })).job)).toContain('Lyon');
    expect((await storedResult(submitted.id)).result_json).not.toBeNull();
  });

  // A linear model's weights and bias are the whole model: kept in the job's result (sealed under the
  // tenant key), they outlived deleteModel's crypto-shredding and were served to every reader.
  it("a training result's weights and bias are cleared once its model version is deleted", async () => {
    const trainedQuery = `query($id: ID!) { job(id: $id) { id status result { modelId modelVersionId weights bias finalLoss } } }`;
    const { versionId } = await uploadDataset(stack, scientist, 'weights-source', linearCsv(40));
    const trainings = await Promise.all(
      ['weights-gone', 'weights-kept'].map(async (modelName) =>
        expectNoErrors(
          await stack.query<{ submitTrainingJob: JobView }>(scientist, submitTraining, {
            input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName, hyperParameters: { epochs: 3 } },
          }),
        ).submitTrainingJob,
      ),
    );
    for (const job of trainings) expect(await waitForStatus(stack, scientist, job.id, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    type Trained = { job: { result: { modelId: string; weights: number[] | null; bias: number | null } | null } };
    const [gone, kept] = await Promise.all(trainings.map(async (job) => expectNoErrors(await stack.query<Trained>(scientist, trainedQuery, { id: job.id })).job));
    expect(gone!.result!.weights!.length).toBeGreaterThan(0);
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteModel(id: $id) { __typename } }', { id: gone!.result!.modelId }));

    expect(expectNoErrors(await stack.query<Trained>(scientist, trainedQuery, { id: trainings[0]!.id })).job).toMatchObject({ status: 'SUCCEEDED', result: null });
    expect(await storedResult(trainings[0]!.id)).toEqual({ result_json: null, result_key_version: null });
    // The other model is untouched.
    expect(expectNoErrors(await stack.query<Trained>(scientist, trainedQuery, { id: trainings[1]!.id })).job.result).toMatchObject({ weights: kept!.result!.weights, bias: kept!.result!.bias });
  });
});
