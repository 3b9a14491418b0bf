import { setTimeout as sleep } from 'node:timers/promises';
import { createEventBus, type EventBus } from '@tessera/events';
import type { JobEventPayload } from '@tessera/events';
import { JobQueues, type QueueCounts } from '@tessera/job-queue';
import { expectNoErrors, TcpSwitch, type TestStack, type TestTenant } from '@tessera/testing';

export const jobFields = `id kind status progress phase attempts cancelRequested createdBy createdAt updatedAt startedAt finishedAt lossHistory
  metrics { name value }
  error { code message }
  input { datasetVersionId targetColumn featureColumns modelType modelName modelId modelVersionId alias outputDatasetName predictionColumn columns
          hyperParameters { epochs learningRate batchSize l2 hiddenUnits activation seed } }
  result { modelId modelVersionId modelVersionNumber weights bias finalLoss trainingRows skippedRows datasetId datasetVersionId predictedRows
           profile { rowCount columns { name type count nullCount min max mean stddev distinctEstimate distinctExact topValues { value count truncated } } } }`;

export interface JobView {
  id: string;
  kind: string;
  status: string;
  progress: number;
  phase: string | null;
  attempts: number;
  cancelRequested: boolean;
  lossHistory: number[];
  metrics: Array<{ name: string; value: number }> | null;
  error: { code: string; message: string } | null;
  input: Record<string, unknown>;
  result: {
    modelId: string | null;
    modelVersionId: string | null;
    modelVersionNumber: number | null;
    weights: number[] | null;
    bias: number | null;
    finalLoss: number | null;
    trainingRows: number | null;
    skippedRows: number | null;
    datasetId: string | null;
    datasetVersionId: string | null;
    predictedRows: number | null;
    profile: { rowCount: number; columns: Array<Record<string, unknown>> } | null;
  } | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export const submitTraining = `mutation($input: SubmitTrainingJobInput!) { submitTrainingJob(input: $input) { ${jobFields} } }`;
export const submitBatch = `mutation($input: SubmitBatchInferenceJobInput!) { submitBatchInferenceJob(input: $input) { ${jobFields} } }`;
export const submitProfile = `mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { ${jobFields} } }`;
export const cancelJob = `mutation($id: ID!) { cancelJob(id: $id) { ${jobFields} } }`;
export const retryJob = `mutation($id: ID!) { retryJob(id: $id) { ${jobFields} } }`;
export const getJob = `query($id: ID!) { job(id: $id) { ${jobFields} } }`;

/** A dataset with one version holding `csv`, through the real upload flow (gateway PUT). */
export async function uploadDataset(stack: TestStack, token: string, name: string, csv: string): Promise<{ datasetId: string; versionId: string }> {
  const created = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name } }));
  const datasetId = created.createDataset.id;
  const body = Buffer.from(csv, 'utf8');
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(
      token,
      `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`,
      { input: { datasetId, filename: 'data.csv', byteSize: body.length } },
    ),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
  return { datasetId, versionId: version.completeDatasetUpload.id };
}

export async function jobView(stack: TestStack, token: string, id: string): Promise<JobView> {
  return expectNoErrors(await stack.query<{ job: JobView }>(token, getJob, { id })).job;
}

const jobStatus = `query($id: ID!) { job(id: $id) { status phase } }`;

/**
 * Polls the job until its status is one of `statuses` (a wait, not an assertion on speed), then
 * reads its whole view once. The poll asks for the status only: the whole view costs hundreds of
 * units (the profile's lists), and several waits in a row at that price spent the tenant's rate
 * limit. A RATE_LIMITED answer is waited out as its retryAfterSeconds says, as a client would.
 */
export async function waitForStatus(stack: TestStack, token: string, id: string, statuses: string[], timeoutMs = 90_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await stack.query<{ job: { status: string; phase: string | null } }>(token, jobStatus, { id });
    const limited = response.errors?.find((e) => e.extensions?.['code'] === 'RATE_LIMITED');
    if (limited) {
      if (Date.now() > deadline) throw new Error(`job ${id}: still RATE_LIMITED after ${timeoutMs} ms`);
      await sleep(1000 * Number(limited.extensions?.['retryAfterSeconds'] ?? 1));
      continue;
    }
    const job = expectNoErrors(response).job;
    if (statuses.includes(job.status)) return jobView(stack, token, id);
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} (${job.phase}) after ${timeoutMs} ms; wanted ${statuses.join('|')}`);
    await sleep(150);
  }
}

/**
 * A relay in front of one of the stack's service ports (`jobs`, `datasets` or `models`), and the
 * worker environment that sends that port's calls through it. A TRAIN run registers its model
 * through the models port after its last epoch, so while that relay holds, the run cannot end
 * SUCCEEDED, however fast the machine trains: a test that must see a run still RUNNING (to kill
 * its worker, or to apply something to it) holds there instead of counting on the run's length.
 */
export async function portRelay(stack: TestStack, service: 'jobs' | 'datasets' | 'models'): Promise<{ relay: TcpSwitch; env: Record<string, string> }> {
  const target = new URL(stack.platform.subgraphs[service].url);
  const relay = new TcpSwitch(target.hostname, Number(target.port));
  await relay.on();
  return { relay, env: { [`${service.toUpperCase()}_PORT_URL`]: `${target.protocol}//${target.hostname}:${relay.port}` } };
}

/** Polls until `check` holds (for conditions on rows, not on the GraphQL view). */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/** Raw job rows of a tenant (the service account reads the tenant schema directly). */
export async function jobRows(stack: TestStack, tenant: TestTenant): Promise<Array<Record<string, unknown>>> {
  return (await stack.platform.runtime.db.query(`SELECT * FROM \`${tenant.schema}\`.jobs ORDER BY created_at, id`)) as Array<Record<string, unknown>>;
}

/** The tenant's BullMQ queue counts, read with the stack's own key prefix. */
export async function queueCounts(stack: TestStack, tenantId: string): Promise<QueueCounts> {
  const queues = new JobQueues(stack.config.redis);
  try {
    return await queues.counts(tenantId);
  } finally {
    await queues.close();
  }
}

/** Collects every event published on a tenant's 'jobs' topic until `close()`. */
export async function recordJobEvents(stack: TestStack, tenantId: string): Promise<{ events: JobEventPayload[]; close(): Promise<void> }> {
  const bus: EventBus = createEventBus(stack.config.redis);
  const subscription = bus.subscribe<JobEventPayload>(tenantId, 'jobs', { bufferSize: 100_000 });
  await subscription.ready;
  const events: JobEventPayload[] = [];
  const reading = (async () => {
    for await (const event of subscription) events.push(event);
  })();
  return {
    events,
    close: async () => {
      await subscription.return?.();
      await bus.close();
      await reading.catch(() => undefined);
    },
  };
}

/** y = 3·x1 − 2·x2 + 0.5·x3 + 4 with tiny noise, x's spread over different scales. */
export function linearCsv(rows: number, seed = 1): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const lines = ['x1,x2,x3,label,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = random() * 10 - 5;
    const x2 = random() * 4;
    const x3 = random() * 100;
    const noise = (random() - 0.5) * 0.01;
    const y = 3 * x1 - 2 * x2 + 0.5 * x3 + 4 + noise;
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${x3.toFixed(3)},${i % 3 === 0 ? 'red' : 'blue'},${y.toFixed(5)}`);
  }
  return `${lines.join('\n')}\n`;
}
