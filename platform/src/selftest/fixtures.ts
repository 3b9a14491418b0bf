/**
 * Tenant A's resources for one run, created through the public flows (staged uploads through the
 * gateway's routes), and removed again whatever happened in between.
 */
import { createHash } from 'node:crypto';
import { buildLinearRegression, DEFAULT_INPUT_NAME } from '@tessera/onnx';
import { gql, gqlData, type SelftestContext } from './context';
import { sendHttp } from './http-client';
import type { ForeignResources } from './schema-walk';

export interface TenantAResources extends ForeignResources {
  /** A second dataset upload, reserved and never used: tenant B tries to PUT into it. */
  spareUploadUrl?: string;
  modelDownloadUrl?: string;
  modelSha256?: string;
  datasetSha256?: string;
}

const csv = 'x,y\n1,2\n2,4\n3,6\n4,8\n';

/** The model's input as `predict` wants it (one row, one feature), so A's own predict control runs. */
export const predictHints: Record<string, unknown> = { 'inputs.name': DEFAULT_INPUT_NAME, 'inputs.shape': [1, 1], 'inputs.data': [1] };

async function stagedPut(context: SelftestContext, url: string, method: string, body: Buffer, contentType: string): Promise<void> {
  const answer = await sendHttp(url, { method, headers: { authorization: `Bearer ${context.a.secret}`, 'content-type': contentType }, body }, context.transport);
  if (answer.status >= 300) throw new Error(`upload to ${url} answered HTTP ${answer.status}: ${answer.body.toString('utf8').slice(0, 200)}`);
}

/** Fills `resources` as it goes, so cleanup removes whatever was created before a failure. */
export async function createTenantAResources(context: SelftestContext, resources: TenantAResources, options: { job: boolean }): Promise<void> {
  const tenant = await gqlData<{ currentTenant: { id: string } }>(context, context.a, 'query { currentTenant { id } }');
  resources.ids.tenant = tenant.currentTenant.id;

  const dataset = await gqlData<{ createDataset: { id: string } }>(context, context.a, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', {
    input: { name: resources.name, description: `tessera selftest ${context.runTag}` },
  });
  resources.ids.dataset = dataset.createDataset.id;
  const body = Buffer.from(csv, 'utf8');
  const createUpload = 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl method } }';
  const upload = await gqlData<{ createDatasetUpload: { id: string; uploadUrl: string; method: string } }>(context, context.a, createUpload, {
    input: { datasetId: resources.ids.dataset, filename: 'selftest.csv', byteSize: body.length, contentType: 'text/csv' },
  });
  resources.ids.datasetUpload = upload.createDatasetUpload.id;
  await stagedPut(context, upload.createDatasetUpload.uploadUrl, upload.createDatasetUpload.method, body, 'text/csv');
  const version = await gqlData<{ completeDatasetUpload: { id: string; sha256: string } }>(context, context.a, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id sha256 } }', {
    id: resources.ids.datasetUpload,
  });
  resources.ids.datasetVersion = version.completeDatasetUpload.id;
  resources.datasetSha256 = version.completeDatasetUpload.sha256;
  const spare = await gqlData<{ createDatasetUpload: { uploadUrl: string } }>(context, context.a, createUpload, {
    input: { datasetId: resources.ids.dataset, filename: 'selftest-spare.csv', byteSize: body.length, contentType: 'text/csv' },
  });
  resources.spareUploadUrl = spare.createDatasetUpload.uploadUrl;

  const model = await gqlData<{ createModel: { id: string } }>(context, context.a, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
    input: { name: resources.name, description: `tessera selftest ${context.runTag}` },
  });
  resources.ids.model = model.createModel.id;
  const onnx = Buffer.from(buildLinearRegression({ weights: [2], bias: 0 }));
  const modelUpload = await gqlData<{ createModelUpload: { id: string; uploadUrl: string; method: string } }>(
    context,
    context.a,
    'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl method } }',
    { input: { modelId: resources.ids.model, filename: 'selftest.onnx', byteSize: onnx.length } },
  );
  resources.ids.modelUpload = modelUpload.createModelUpload.id;
  await stagedPut(context, modelUpload.createModelUpload.uploadUrl, modelUpload.createModelUpload.method, onnx, 'application/octet-stream');
  const modelVersion = await gqlData<{ completeModelUpload: { id: string; downloadUrl: string; sha256: string } }>(
    context,
    context.a,
    'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id downloadUrl sha256 } }',
    { id: resources.ids.modelUpload },
  );
  resources.ids.modelVersion = modelVersion.completeModelUpload.id;
  resources.modelDownloadUrl = modelVersion.completeModelUpload.downloadUrl;
  resources.modelSha256 = modelVersion.completeModelUpload.sha256 || createHash('sha256').update(onnx).digest('hex');
  await gqlData(context, context.a, 'mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias } }', {
    input: { modelId: resources.ids.model, alias: resources.alias, version: 1 },
  });

  if (options.job) {
    const job = await gqlData<{ submitProfileJob: { id: string } }>(context, context.a, 'mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }', {
      input: { datasetVersionId: resources.ids.datasetVersion },
    });
    resources.ids.job = job.submitProfileJob.id;
  }
}

/** What A's resources look like to A; compared before and after B's attempts. */
export async function snapshotTenantA(context: SelftestContext, resources: TenantAResources): Promise<string> {
  const answer = await gql(
    context,
    context.a,
    `query($dataset: ID!, $model: ID!) {
      currentTenant { id status overriddenLimits }
      dataset(id: $dataset) { id name description versionCount latestVersion { id number sha256 rowCount } }
      model(id: $model) { id name description versionCount aliases { alias version { number } } serving { batching maxBatchSize maxDelayMs timeoutMs } latestVersion { id number sha256 } }
    }`,
    { dataset: resources.ids.dataset, model: resources.ids.model },
  );
  if (answer.errors?.length) return `errors: ${JSON.stringify(answer.errors)}`;
  let job = '';
  if (resources.ids.job) {
    // Status moves on by itself (a worker runs it); a cancellation or retry by B would not.
    const jobAnswer = await gql<{ job: { cancelRequested: boolean; status: string } }>(context, context.a, 'query($id: ID!) { job(id: $id) { id cancelRequested status } }', { id: resources.ids.job });
    job = JSON.stringify({ cancelRequested: jobAnswer.data?.job.cancelRequested, cancelled: jobAnswer.data?.job.status === 'CANCELLED', errors: jobAnswer.errors });
  }
  return `${JSON.stringify(answer.data)}${job}`;
}

/** Removes A's resources (job cancelled first, alias before the model), then re-lists to prove they are gone. */
export async function removeTenantAResources(context: SelftestContext, resources: TenantAResources): Promise<void> {
  const problems: string[] = [];
  const attempt = async (what: string, query: string, variables: Record<string, unknown>) => {
    const answer = await gql(context, context.a, query, variables).catch((error: unknown) => ({ errors: [{ message: String(error), extensions: { code: 'NETWORK' } }] }));
    const codes = (answer.errors ?? []).map((error) => error.extensions?.code);
    // A job that already finished cannot be cancelled: that is not a leftover.
    if (answer.errors?.length && !(what === 'cancel job' && codes.every((code) => code === 'CONFLICT'))) problems.push(`${what}: ${JSON.stringify(answer.errors).slice(0, 200)}`);
  };
  if (resources.ids.job) await attempt('cancel job', 'mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: resources.ids.job });
  if (resources.ids.model) {
    await attempt('remove alias', 'mutation($id: ID!, $alias: String!) { removeModelAlias(modelId: $id, alias: $alias) { alias } }', { id: resources.ids.model, alias: resources.alias }).catch(() => undefined);
    await attempt('delete model', 'mutation($id: ID!) { deleteModel(id: $id) { id } }', { id: resources.ids.model });
  }
  if (resources.ids.dataset) await attempt('delete dataset', 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: resources.ids.dataset });
  // An alias may not exist (creation stopped before it): only a failure to delete the model counts.
  const relevant = problems.filter((problem) => !problem.startsWith('remove alias'));

  const left: string[] = [];
  const datasets = await listNames(context, 'datasets');
  const models = await listNames(context, 'models');
  for (const entry of [...datasets, ...models]) {
    if (entry.id === resources.ids.dataset || entry.id === resources.ids.model || entry.name === resources.name) left.push(`${entry.id} (${entry.name})`);
  }
  const created = [resources.ids.dataset && `dataset ${resources.ids.dataset}`, resources.ids.model && `model ${resources.ids.model}`].filter(Boolean).join(', ') || 'nothing';
  context.log.expect(
    'cleanup.tenant-a',
    relevant.length === 0 && left.length === 0,
    left.length || relevant.length
      ? `left behind: ${left.join(', ') || 'none listed'}; ${relevant.join('; ')}`
      : `removed ${created}; re-listed datasets and models: none left${resources.ids.job ? `; job ${resources.ids.job} cancelled or finished (jobs are history, no API deletes them)` : ''}`,
  );
}

export async function listNames(context: SelftestContext, field: 'datasets' | 'models', as = context.a): Promise<Array<{ id: string; name: string }>> {
  const found: Array<{ id: string; name: string }> = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const data: Record<string, { edges: Array<{ node: { id: string; name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } }> = await gqlData(
      context,
      as,
      `query($after: String) { ${field}(first: 100, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    const connection = data[field]!;
    found.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return found;
}
