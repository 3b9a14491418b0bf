import { expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { linearCsv, submitBatch, submitTraining, uploadDataset, waitForStatus, type JobView } from './job-support';

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
}

async function quotasOf(stack: TestStack, token: string): Promise<Record<string, QuotaRow>> {
  const data = expectNoErrors(await stack.query<{ tenantUsage: { quotas: QuotaRow[] } }>(token, '{ tenantUsage { quotas { name limit used reserved } } }'));
  return Object.fromEntries(data.tenantUsage.quotas.map((q) => [q.name, q]));
}

/** Bytes of every object in the tenant's bucket. */
async function bucketBytes(stack: TestStack, tenant: TestTenant): Promise<number> {
  let total = 0;
  for await (const item of stack.platform.runtime.objectStore.listObjectsV2(tenant.bucket, '', true)) total += item.size;
  return total;
}

const tables = ['datasets', 'dataset_versions', 'dataset_uploads', 'models', 'model_versions', 'model_uploads'] as const;

/**
 * The workers' writers (a trained model version, batch-inference predictions) go through the
 * tenant's quotas like the API does: over quota, the job FAILS with QUOTA_EXCEEDED and leaves no
 * model, dataset, version or object; within quota, usage grows by exactly what reached the bucket.
 */
describe('jobs: worker outputs and quotas', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ workers: 1, workerOptions: { concurrency: 2 } });
  });
  afterAll(() => stack?.stop());

  it('a training job whose model would pass maxModels fails with QUOTA_EXCEEDED and writes no model', async () => {
    const tenant = await stack.createTenant({ limits: { maxModels: 1 } });
    const token = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, token, 'train-me', linearCsv(100));
    expectNoErrors(await stack.query(token, 'mutation { createModel(input: { name: "taken" }) { id } }'));
    const before = await tenantState(stack, tenant, tables);
    const submitted = expectNoErrors(
      await stack.query<{ submitTrainingJob: JobView }>(token, submitTraining, {
        input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName: 'one-too-many', hyperParameters: { epochs: 2 } },
      }),
    ).submitTrainingJob;
    const done = await waitForStatus(stack, token, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.status).toBe('FAILED');
    expect(done.error?.code).toBe('QUOTA_EXCEEDED');
    expect(await tenantState(stack, tenant, tables)).toEqual(before);
    expect(await quotasOf(stack, token)).toMatchObject({ models: { used: 1, reserved: 0 }, modelVersions: { used: 0, reserved: 0 }, storageBytes: { reserved: 0 } });
  });

  it('a batch-inference job whose predictions do not fit fails with QUOTA_EXCEEDED: no output dataset, version or object', async () => {
    const setup = await stack.createTenant();
    const token = await setup.token('data_scientist');
    const { versionId } = await uploadDataset(stack, token, 'train', linearCsv(100));
    const trained = await waitForStatus(
      stack,
      token,
      expectNoErrors(
        await stack.query<{ submitTrainingJob: JobView }>(token, submitTraining, {
          input: { datasetVersionId: versionId, targetColumn: 'y', modelType: 'LINEAR_REGRESSION', modelName: 'scorer', hyperParameters: { epochs: 2 } },
        }),
      ).submitTrainingJob.id,
      ['SUCCEEDED', 'FAILED'],
    );
    expect(trained.status).toBe('SUCCEEDED');
    // Within quota, every byte the worker stored is counted, and nothing more.
    expect(await quotasOf(stack, token)).toMatchObject({ models: { used: 1 }, modelVersions: { used: 1 }, storageBytes: { used: await bucketBytes(stack, setup), reserved: 0 } });

    // Now leave less room than the predictions need: the tenant's limit is what it holds plus 10 bytes.
    const held = await bucketBytes(stack, setup);
    const admin = await stack.platformAdminToken();
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!, $limits: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $limits) { id } }', { id: setup.id, limits: { maxStorageBytes: held + 10 } }));
    const before = await tenantState(stack, setup, tables);
    const batch = expectNoErrors(
      await stack.query<{ submitBatchInferenceJob: JobView }>(token, submitBatch, { input: { datasetVersionId: versionId, modelVersionId: trained.result!.modelVersionId } }),
    ).submitBatchInferenceJob;
    const failed = await waitForStatus(stack, token, batch.id, ['SUCCEEDED', 'FAILED']);
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.code).toBe('QUOTA_EXCEEDED');
    expect(await tenantState(stack, setup, tables)).toEqual(before);
    expect((await quotasOf(stack, token))['storageBytes']).toEqual({ name: 'storageBytes', limit: held + 10, used: held, reserved: 0 });

    // With room again the same job succeeds, and usage is once more exactly the bucket.
    expectNoErrors(await stack.query(admin, 'mutation($id: ID!, $limits: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $limits) { id } }', { id: setup.id, limits: { maxStorageBytes: null } }));
    const retried = expectNoErrors(await stack.query<{ retryJob: JobView }>(token, `mutation($id: ID!) { retryJob(id: $id) { id } }`, { id: batch.id })).retryJob;
    const succeeded = await waitForStatus(stack, token, retried.id, ['SUCCEEDED', 'FAILED']);
    expect(succeeded.error).toBeNull();
    expect(await quotasOf(stack, token)).toMatchObject({ datasets: { used: 2 }, datasetVersions: { used: 2 }, storageBytes: { used: await bucketBytes(stack, setup), reserved: 0 } });
  });
});
