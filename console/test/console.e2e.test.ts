// The web console in a real browser against the real stack: one stack, two tenants, each role.
import { readFileSync } from 'node:fs';
import { buildSchema, print, type GraphQLInputObjectType } from 'graphql';
import type { Locator, Page } from 'playwright-core';
import { errorCodes, expectNoErrors, type TestTenant } from '@tessera/testing';
import { schemaFile } from '../server/codegen';
import { ConsoleTenantAccessUsageDocument } from '../src/generated/graphql';
import { startConsoleHarness, type ConsoleHarness, type ConsoleUser } from './console-harness';

const irisCsv = ['sepal_length,sepal_width,petal_length,petal_width,label']
  .concat(Array.from({ length: 60 }, (_, i) => {
    const label = i % 2;
    return `${(5 + label + (i % 7) / 10).toFixed(1)},${(3 + (i % 5) / 10).toFixed(1)},${(1.5 + label * 3 + (i % 3) / 10).toFixed(1)},${(0.2 + label * 1.5).toFixed(1)},${label}`;
  }))
  .join('\n');

/** `rows` rows of four numeric features and a 0/1 label. */
function wideCsv(rows: number): string {
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) lines.push(`${i % 97},${(i * 7) % 13},${(i % 31) / 10},${(i * 3) % 11},${i % 2}`);
  return lines.join('\n');
}

/** A dataset version made through the API (what the console's upload does, without the browser). */
async function uploadThroughApi(token: string, name: string, body: string): Promise<string> {
  const { createDataset } = expectNoErrors(await harness.stack.query<{ createDataset: { id: string } }>(token, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name } }));
  const { createDatasetUpload } = expectNoErrors(
    await harness.stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', {
      input: { datasetId: createDataset.id, filename: `${name}.csv`, byteSize: Buffer.byteLength(body) },
    }),
  );
  const put = await fetch(createDatasetUpload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  const { completeDatasetUpload } = expectNoErrors(await harness.stack.query<{ completeDatasetUpload: { id: string } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: createDatasetUpload.id }));
  return completeDatasetUpload.id;
}

let harness: ConsoleHarness;
let tenantA: TestTenant;
let tenantB: TestTenant;
const users: Record<string, ConsoleUser> = {};
let datasetIdA = '';
let datasetVersionIdA = '';
let jobIdA = '';
let modelIdA = '';
let modelVersionIdA = '';
let batchJobIdA = '';
let scoredDatasetIdA = '';
let provisionedTenant = '';

beforeAll(async () => {
  harness = await startConsoleHarness({ workers: 1 });
  [tenantA, tenantB] = await Promise.all([harness.stack.createTenant(), harness.stack.createTenant()]);
  const wanted: Array<[string, string | undefined, string]> = [
    ['scientistA', tenantA.id, 'data_scientist'],
    ['viewerA', tenantA.id, 'viewer'],
    ['adminA', tenantA.id, 'admin'],
    ['adminB', tenantB.id, 'admin'],
    ['platform', undefined, 'platform_admin'],
  ];
  await Promise.all(wanted.map(async ([key, tenant, role]) => {
    users[key] = await harness.createUser({ ...(tenant ? { tenant } : {}), role });
  }));
}, 120_000);

afterEach(async () => {
  // The last page of each test, pass or fail, for whoever reads the artifacts.
  await harness?.screenshotLast(expect.getState().currentTestName ?? 'test');
});

afterAll(async () => {
  // A tenant provisioned from the console is not one of the stack's own: removed here.
  if (provisionedTenant) await harness.stack.platform.provisioner.deprovision(provisionedTenant).catch(() => undefined);
  await harness?.stop();
}, 60_000);

/** The fields of setTenantLimits' input in the API schema the console is built against. */
function tenantLimitsInputFields(): string[] {
  return Object.keys((buildSchema(readFileSync(schemaFile, 'utf8')).getType('TenantLimitsInput') as GraphQLInputObjectType).getFields());
}

/** A tenant's limits as the API answers the platform admin (sorted override names). */
async function readLimits(id: string): Promise<{ overriddenLimits: string[]; limits: Record<string, number> }> {
  const response = await harness.stack.query<{ tenant: { overriddenLimits: string[]; limits: Record<string, number> } }>(
    await harness.stack.platformAdminToken(),
    'query($id: ID!) { tenant(id: $id) { overriddenLimits limits { maxDatasets maxMembers maxServiceAccounts maxApiKeysPerServiceAccount keyRotationDays } } }',
    { id },
  );
  const { tenant } = expectNoErrors(response);
  return { overriddenLimits: [...tenant.overriddenLimits].sort(), limits: tenant.limits };
}

/** Waits until a field holds `expected` (it follows the server's answer, which arrives after the click). */
async function waitForValue(input: Locator, expected: string): Promise<void> {
  const until = Date.now() + 15_000;
  let value = await input.inputValue();
  while (value !== expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await input.inputValue();
  }
  expect(value).toBe(expected);
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function expectText(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor({ timeout: 15_000 });
}

describe('web console', () => {
  it('a data scientist uploads a dataset with a progress bar, trains with live progress, predicts and promotes', async () => {
    const page = await harness.signIn(users['scientistA']!);
    await expect(page.getByTestId('who').textContent()).resolves.toContain(`tenant ${tenantA.id}`);
    await page.getByLabel('New dataset name').fill('bad/name');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    // Validated before sending.
    await expectText(page, "Only letters, digits, space, '.', '_' and '-'.");
    await page.getByLabel('New dataset name').fill('iris');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await page.getByRole('heading', { name: 'Dataset iris' }).waitFor();
    datasetIdA = page.url().split('/datasets/')[1]!;
    await page.getByLabel('Upload a new version (CSV)').setInputFiles({ name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(irisCsv) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expectText(page, 'Version 1 created (60 rows).');
    await expect(page.getByLabel('Upload progress').getAttribute('value')).resolves.toBe('100');
    await page.getByRole('table', { name: 'Preview' }).waitFor();
    await expectText(page, 'petal_length');
    datasetVersionIdA = (await page.locator('p', { hasText: 'Version id' }).locator('code').textContent())!;
    // A version has its own address.
    await page.getByRole('link', { name: 'Show version 1' }).click();
    await page.waitForURL(`**/datasets/${datasetIdA}/versions/${datasetVersionIdA}`);
    await page.getByRole('table', { name: 'Preview' }).waitFor();
    await harness.screenshot(page, 'datasets');

    // Training from the form, with live progress over the subscription and a loss curve.
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Dataset version id').fill('not-an-id');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expectText(page, 'A dataset version id (shown on the dataset page).');
    await page.getByLabel('Dataset version id').fill(datasetVersionIdA);
    await page.getByLabel('Target column').fill('label');
    await page.getByLabel('Model name (optional)').fill('iris-model');
    await page.getByLabel('Epochs').fill('40');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('heading', { name: /train job/ }).waitFor();
    jobIdA = page.url().split('/jobs/')[1]!;
    // Status changes arrive without reloading the page: the subscription drives them.
    await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });
    await page.locator('figure[aria-label="Training loss per epoch"] .recharts-line path').first().waitFor();
    await harness.screenshot(page, 'jobs');

    // The trained model: signature, lineage, a predict form made from the signature.
    await page.getByRole('link', { name: /version 1 of the trained model/ }).click();
    await page.getByRole('heading', { name: 'Model iris-model' }).waitFor();
    modelIdA = page.url().split('/models/')[1]!;
    await page.getByRole('link', { name: 'iris v1' }).waitFor();
    const predictInput = page.getByRole('form', { name: 'Predict' }).getByRole('textbox').first();
    await predictInput.fill('1, 2');
    await page.getByRole('button', { name: 'Predict' }).click();
    await expectText(page, /Needs 4 values/);
    await predictInput.fill('6.3, 3.3, 6.0, 2.5');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByRole('status', { name: 'Prediction' }).waitFor();
    await page.getByRole('button', { name: 'Promote' }).click();
    await page.getByRole('table', { name: 'Aliases' }).getByRole('cell', { name: 'production', exact: true }).waitFor();
    await harness.screenshot(page, 'models');
    // An ONNX file the gateway's validation refuses: its typed error is shown, no version is added.
    await page.getByLabel('Upload a new version (ONNX)').setInputFiles({ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
    await page.getByRole('button', { name: 'Upload model' }).click();
    const refusal = page.getByRole('form', { name: 'Upload an ONNX version' }).getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/BAD_USER_INPUT/);
    expect(await page.getByRole('link', { name: /^Use version/ }).count()).toBe(1);
    await page.getByRole('link', { name: 'Use version 1' }).click();
    await page.waitForURL(/\/versions\//);
    modelVersionIdA = page.url().split('/versions/')[1]!;
    await page.getByRole('table', { name: 'Signature' }).waitFor();

    // Serving settings: validated before sending, saved, and read back from the server after a reload.
    const serving = page.getByRole('form', { name: 'Serving settings' });
    const batching = serving.getByLabel('Batching');
    const wasBatching = await batching.isChecked();
    await serving.getByLabel('Max batch size').fill('0');
    await serving.getByRole('button', { name: 'Save serving settings' }).click();
    await expectText(page, 'Whole numbers: batch size and timeout at least 1, delay at least 0.');
    await batching.setChecked(!wasBatching);
    await serving.getByLabel('Max batch size').fill('17');
    await serving.getByRole('button', { name: 'Save serving settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Serving settings saved.' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Model iris-model' }).waitFor();
    await expect(serving.getByLabel('Max batch size').inputValue()).resolves.toBe('17');
    await expect(serving.getByLabel('Batching').isChecked()).resolves.toBe(!wasBatching);
    await harness.screenshot(page, 'model-serving');

    // The gateway writes request metrics every few seconds: written now, the page has this test's requests to draw.
    await harness.stack.platform.gateway.flushRequestMetrics();
    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('table', { name: 'Quotas' }).waitFor();
    await page.locator('figure[aria-label="Requests"] .recharts-line').first().waitFor();
    await harness.screenshot(page, 'metrics');
  }, 120_000);

  it('a data scientist profiles and runs batch inference from the forms, cancels and retries a job', async () => {
    const page = await harness.signIn(users['scientistA']!, '/jobs');
    await page.getByRole('tab', { name: 'Profiling' }).click();
    const profileForm = page.getByRole('form', { name: 'Submit a profiling job' });
    await profileForm.getByLabel('Dataset version id').fill('42');
    await profileForm.getByRole('button', { name: 'Start profiling' }).click();
    await expectText(page, 'A dataset version id (shown on the dataset page).');
    await profileForm.getByLabel('Dataset version id').fill(datasetVersionIdA);
    await profileForm.getByRole('button', { name: 'Start profiling' }).click();
    await page.getByRole('heading', { name: /profile job/ }).waitFor();
    await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });
    // The version's page shows that profile (its own profiling jobs are asked for, newest first).
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}/versions/${datasetVersionIdA}`);
    await page.getByRole('table', { name: 'Profile' }).getByText('petal_length').waitFor();

    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('tab', { name: 'Batch inference' }).click();
    const batchForm = page.getByRole('form', { name: 'Submit a batch inference job' });
    await batchForm.getByLabel('Dataset version id').fill(datasetVersionIdA);
    await batchForm.getByLabel('Model id').fill('iris-model');
    await batchForm.getByRole('button', { name: 'Start batch inference' }).click();
    await expectText(page, 'A model id (shown in the model page address).');
    await batchForm.getByLabel('Model id').fill(modelIdA);
    await batchForm.getByLabel('Output dataset name (optional)').fill('iris-scored');
    await batchForm.getByRole('button', { name: 'Start batch inference' }).click();
    await page.getByRole('heading', { name: /batch inference job/ }).waitFor();
    batchJobIdA = page.url().split('/jobs/')[1]!;
    await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });
    const predictions = page.getByRole('link', { name: 'predictions' });
    scoredDatasetIdA = (await predictions.getAttribute('href'))!.split('/datasets/')[1]!;
    await harness.screenshot(page, 'job-batch-inference');

    // A long training run: cancelled, retried (a new attempt), cancelled again so the worker is free.
    // Long because of its data: 2 000 MLP epochs over 20 000 rows train for about a minute, where
    // the iris rows above take well under a second, too little to cancel reliably.
    const longVersionId = await uploadThroughApi(await tenantA.token('data_scientist'), 'long-run', wideCsv(20_000));
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Dataset version id').fill(longVersionId);
    await page.getByLabel('Target column').fill('label');
    await page.getByLabel('Model type').selectOption('MLP');
    await page.getByLabel('Epochs').fill('2001');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expectText(page, 'A whole number from 1 to 2000.');
    await page.getByLabel('Epochs').fill('2000');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('heading', { name: /train job/ }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByTestId('job-status').filter({ hasText: 'CANCELLED' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Retry job' }).click();
    await page.getByTestId('job-status').filter({ hasText: /QUEUED|RUNNING/ }).waitFor();
    await expectText(page, /attempt 2/);
    await harness.screenshot(page, 'job-retried');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    // A running attempt stops at its next progress report; say what the page showed if it never does.
    await page
      .getByTestId('job-status')
      .filter({ hasText: 'CANCELLED' })
      .waitFor({ timeout: 60_000 })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}\npage: ${await page.locator('main').innerText().catch(() => '(unreadable)')}`);
      });
  }, 150_000);

  it('an admin reads the audit trail and verifies the chain', async () => {
    const page = await harness.signIn(users['adminA']!, '/audit');
    await page.getByRole('table', { name: 'Audit events' }).getByText(/dataset/i).first().waitFor({ timeout: 15_000 });
    // Each event names the service whose database account wrote it.
    const createRow = page.getByRole('table', { name: 'Audit events' }).getByRole('row').filter({ hasText: 'dataset.create' }).first();
    expect(await createRow.getByRole('cell').last().innerText()).toBe('datasets');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByTestId('chain-result').filter({ hasText: 'Chain intact' }).waitFor();
    await harness.screenshot(page, 'audit');
    // Filters go to the server: no dataset event is a denial.
    await page.getByLabel('Action').fill('dataset.create');
    await page.getByLabel('Outcome').selectOption('DENIED');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('table', { name: 'Audit events' }).getByText('No events.').waitFor();

    // Checkpoint signed and listed; export written, its object and digest shown.
    await page.getByRole('button', { name: 'Sign a checkpoint now' }).click();
    await page.getByRole('table', { name: 'Checkpoints' }).locator('tbody code').first().waitFor();
    await page.getByRole('button', { name: 'Export the last 30 days' }).click();
    await page.getByRole('status').filter({ hasText: /^Exported \d+ events to/ }).waitFor();

    // The webhook: a bad URL refused before sending, a good one saved and shown after a reload.
    const webhook = page.getByRole('form', { name: 'Webhook settings' });
    await webhook.getByLabel('Webhook URL').fill('not a url');
    await webhook.getByRole('button', { name: 'Save webhook' }).click();
    await webhook.getByText('An http(s) URL.').waitFor();
    await webhook.getByLabel('Webhook URL').fill('https://hooks.example.com/tessera');
    await webhook.getByRole('button', { name: 'Save webhook' }).click();
    await expectText(page, 'Signing secret (shown once, keep it now):');
    // The secret of a removed webhook is not kept on the page; a new one can be dismissed.
    const firstSecret = (await page.getByRole('status').filter({ hasText: 'Signing secret' }).locator('code').textContent())!;
    await webhook.getByRole('button', { name: 'Remove webhook' }).click();
    await expectText(page, 'No webhook configured.');
    expect(await page.content()).not.toContain(firstSecret);
    await webhook.getByRole('button', { name: 'Save webhook' }).click();
    await expectText(page, 'Signing secret (shown once, keep it now):');
    await harness.screenshot(page, 'audit-export-webhook');
    const secret = (await page.getByRole('status').filter({ hasText: 'Signing secret' }).locator('code').textContent())!;
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByText('Alerts are POSTed to').waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByText('Alerts are POSTed to').locator('code').filter({ hasText: 'https://hooks.example.com/tessera' }).waitFor();
  });

  it('an admin deletes a dataset after confirming; cancelling keeps it', async () => {
    const page = await harness.signIn(users['adminA']!, `/datasets/${scoredDatasetIdA}`);
    await page.getByRole('heading', { name: 'Dataset iris-scored' }).waitFor();
    await page.getByRole('button', { name: 'Delete dataset' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete iris-scored?' });
    await dialog.waitFor();
    await harness.screenshot(page, 'dataset-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Dataset iris-scored' }).waitFor();
    await page.getByRole('button', { name: 'Delete dataset' }).click();
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await page.waitForURL(/\/datasets$/);
    await page.getByRole('link', { name: 'iris', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'iris-scored' }).count()).toBe(0);
    await page.goto(`${harness.console.url}/datasets/${scoredDatasetIdA}`);
    await page.locator('[data-code="NOT_FOUND"]').waitFor();
  });

  it('the console renews an expired access token silently with the refresh token', async () => {
    const clientId = await harness.registerConsoleClient({ tokenTtlSeconds: 4 });
    const issued: Array<{ grant: string; token: string }> = [];
    const tokenEndpoint = (url: string) => url.startsWith(harness.stack.issuer.issuerUrl) && new URL(url).pathname.endsWith('/token');
    const page = await harness.signIn(users['viewerA']!, '/datasets', {
      clientId,
      watch: (watched) => watched.on('response', async (response) => {
        if (!tokenEndpoint(response.url()) || response.request().method() !== 'POST') return;
        const grant = new URLSearchParams(response.request().postData() ?? '').get('grant_type') ?? '';
        const body = (await response.json().catch(() => ({}))) as { access_token?: string };
        if (body.access_token) issued.push({ grant, token: body.access_token });
      }),
    });
    await page.getByRole('link', { name: 'iris', exact: true }).waitFor();
    const first = issued.find((entry) => entry.grant === 'authorization_code');
    expect(first).toBeDefined();
    const expiresAt = (jwtClaims(first!.token)['exp'] as number) * 1000;
    // Stay on the page past the first token's expiry; each renewal is a refresh_token grant.
    while (Date.now() <= expiresAt + 500) {
      await page.waitForResponse((response) => tokenEndpoint(response.url()) && response.request().method() === 'POST', { timeout: 15_000 });
    }
    expect(issued.some((entry) => entry.grant === 'refresh_token')).toBe(true);
    const answered = page.waitForResponse((response) => response.url().startsWith(harness.stack.graphqlUrl) && response.request().method() !== 'OPTIONS');
    await page.getByRole('link', { name: 'Models' }).click();
    const response = await answered;
    const bearer = (await response.request().headerValue('authorization'))?.replace(/^Bearer /, '') ?? '';
    // A token issued after the first one, still valid, while the first has expired.
    expect(bearer).not.toBe(first!.token);
    expect(jwtClaims(bearer)['iat'] as number).toBeGreaterThan(jwtClaims(first!.token)['iat'] as number);
    expect((jwtClaims(bearer)['exp'] as number) * 1000).toBeGreaterThan(Date.now());
    expect(response.status()).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Sign in to Tessera' }).count()).toBe(0);
    await harness.screenshot(page, 'renewed-session');
    await page.context().close();
  });

  it('live alerts go on past the access token their socket was opened with', async () => {
    const clientId = await harness.registerConsoleClient({ tokenTtlSeconds: 4 });
    const sockets: Array<{ subscribed: boolean; acknowledged: boolean }> = [];
    const page = await harness.signIn(users['adminA']!, '/audit', {
      clientId,
      watch: (watched) => watched.on('websocket', (socket) => {
        const seen = { subscribed: false, acknowledged: false };
        sockets.push(seen);
        socket.on('framesent', (frame) => { if (String(frame.payload).includes('"subscribe"')) seen.subscribed = true; });
        socket.on('framereceived', (frame) => { if (String(frame.payload).includes('"connection_ack"')) seen.acknowledged = true; });
      }),
    });
    await page.getByRole('table', { name: 'Alerts' }).waitFor();
    // The gateway closes the first socket (4401) when its 4-second token expires; the console
    // subscribes again on a new socket with the renewed token, and shows no error.
    const deadline = Date.now() + 20_000;
    while (!sockets.slice(1).some((seen) => seen.acknowledged && seen.subscribed) && Date.now() < deadline) await page.waitForTimeout(250);
    expect(sockets.slice(1).some((seen) => seen.acknowledged && seen.subscribed)).toBe(true);
    expect(await page.locator('[role="alert"][data-code="NETWORK"]').count()).toBe(0);
    await page.context().close();
  });

  it('a viewer sees the datasets but no write action', async () => {
    const page = await harness.signIn(users['viewerA']!, '/datasets');
    await page.getByRole('link', { name: 'iris' }).click();
    await page.getByRole('table', { name: 'Preview' }).waitFor();
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete dataset' }).count()).toBe(0);
    await page.goto(`${harness.console.url}/datasets`);
    await page.getByTestId('who').waitFor();
    expect(await page.getByLabel('New dataset name').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Datasets', 'Models', 'Jobs', 'Metrics']);
    // Signing out ends the issuer's session too: the next visit asks for the password again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Tessera' }).waitFor();
  });

  it('keeps the sign-in state in the tab, shows a fixed sentence for a refused sign-in, and returns only to its own paths', async () => {
    const context = await harness.browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await context.newPage();
      await page.goto(`${harness.console.url}/datasets`);
      await page.getByLabel('User name').waitFor();
      await page.goto(`${harness.console.url}/callback?error=access_denied&error_description=${encodeURIComponent('Your account is locked: call evil.example')}`);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toBe('Sign-in was refused or cancelled.');
      // The PKCE verifier and return path never reach localStorage (shared by every tab, kept across restarts).
      expect(await page.evaluate(() => Object.keys(window.localStorage).filter((key) => key.startsWith('oidc.')))).toEqual([]);
    } finally {
      await context.close();
    }
    // A link whose path names another origin (//host/…) signs in and lands on the console's start page.
    const page = await harness.signIn(users['viewerA']!, '//evil.example/datasets');
    expect(new URL(page.url()).origin + new URL(page.url()).pathname).toBe(`${harness.console.url}/`);
  });

  it("tenant B's console shows nothing of A's, even with A's ids", async () => {
    const page = await harness.signIn(users['adminB']!, '/datasets');
    await expectText(page, 'No datasets.');
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}`);
    await page.getByTestId('who').waitFor();
    await page.locator('[data-code="NOT_FOUND"]').waitFor();
    expect(await page.content()).not.toContain('iris');
    await harness.screenshot(page, 'tenant-b-not-found');
    // Every detail address the console has, with A's ids.
    for (const path of [`/datasets/${datasetIdA}/versions/${datasetVersionIdA}`, `/models/${modelIdA}`, `/models/${modelIdA}/versions/${modelVersionIdA}`, `/jobs/${jobIdA}`, `/jobs/${batchJobIdA}`]) {
      await page.goto(`${harness.console.url}${path}`);
      await page.locator('[data-code="NOT_FOUND"]').waitFor();
      expect(await page.content()).not.toContain('iris');
    }
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).not.toContain('Tenants');
    await page.goto(`${harness.console.url}/tenants`);
    await expectText(page, 'Your role does not include this part of the console.');
    await page.getByRole('link', { name: 'Models' }).click();
    await expectText(page, 'No models yet.');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await expectText(page, 'No jobs.');
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('table', { name: 'Audit events' }).waitFor();
    expect(await page.getByRole('table', { name: 'Audit events' }).textContent()).not.toContain(datasetIdA);
    // B's attempts on A's ids raise B's CROSS_TENANT_ATTEMPT alert: it arrives (live or on load), B's admin acknowledges it.
    const alerts = page.getByRole('table', { name: 'Alerts' });
    await alerts.getByText('CROSS_TENANT_ATTEMPT').first().waitFor({ timeout: 20_000 });
    await alerts.getByRole('button', { name: 'Acknowledge' }).first().click();
    await alerts.getByText(/acknowledged by/).first().waitFor();
    await harness.screenshot(page, 'alerts');
  });

  it('a platform admin manages tenants and sees no tenant data', async () => {
    const page = await harness.signIn(users['platform']!);
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('table', { name: 'Tenants' }).getByText(tenantA.id, { exact: true }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Tenants']);
    await harness.screenshot(page, 'tenants');
    // Suspend (confirmed in a dialog) and resume tenant B.
    await page.getByRole('button', { name: `Suspend ${tenantB.id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('button', { name: `Resume ${tenantB.id}` }).click();
    await page.getByRole('button', { name: `Suspend ${tenantB.id}` }).waitFor();
    // Provision a tenant from the form (its id validated first), with a first admin, then change its limits.
    const provision = page.getByRole('form', { name: 'Provision a tenant' });
    await provision.getByLabel('Tenant id').fill('Bad_Id');
    await provision.getByRole('button', { name: 'Provision tenant' }).click();
    await provision.getByText('3–32 lowercase letters, digits and single hyphens, starting with a letter.').waitFor();
    const id = `console-${Date.now().toString(36)}`;
    provisionedTenant = id;
    await provision.getByLabel('Tenant id').fill(id);
    await provision.getByLabel('Display name').fill('Console tenant');
    await provision.getByLabel("First admin's subject (optional)").fill(`${id}-owner`);
    await provision.getByRole('button', { name: 'Provision tenant' }).click();
    await provision.getByRole('status').filter({ hasText: `Tenant ${id} provisioned.` }).waitFor({ timeout: 30_000 });
    const row = page.getByRole('table', { name: 'Tenants' }).getByRole('row').filter({ has: page.getByRole('button', { name: `Limits of ${id}` }) });
    await row.getByText('ACTIVE').waitFor();
    await row.getByRole('button', { name: `Limits of ${id}` }).click();
    const limits = page.getByRole('form', { name: `Limits of ${id}` });
    const limitInput = (label: string) => limits.getByLabel(label, { exact: true });
    const note = (name: string) => limits.getByTestId(`${name}-note`);
    const errorOf = (name: string) => page.locator(`[id="${id}-limit-${name}-error"]`);
    // One field per limit setTenantLimits accepts (the schema's TenantLimitsInput), the access caps
    // among them with what the tenant holds: its first admin, no service account yet.
    await limitInput('Max members').waitFor();
    await expect(limits.getByRole('textbox').count()).resolves.toBe(tenantLimitsInputFields().length);
    await note('maxMembers').filter({ hasText: 'platform default; in use: 1' }).waitFor();
    await note('maxServiceAccounts').filter({ hasText: 'in use: 0' }).waitFor();
    await note('maxApiKeysPerServiceAccount').filter({ hasText: 'in use: 0 (fullest account)' }).waitFor();
    await expect(limitInput('Max members').inputValue()).resolves.toBe('1000');
    // Refused before sending, beside the field.
    await limitInput('Max datasets').fill('0');
    await limitInput('Max members').fill('two');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await errorOf('maxDatasets').filter({ hasText: 'A whole number of at least 1' }).waitFor();
    await errorOf('maxMembers').filter({ hasText: 'A whole number of at least 1' }).waitFor();
    // Refused by the API (its bound, not the form's): its code and message beside the field it names, nothing changed.
    await limitInput('Max datasets').fill('7');
    await limitInput('Max members').fill('1');
    await limitInput('Key rotation (days)').fill('5000');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await errorOf('keyRotationDays').filter({ hasText: 'limits.keyRotationDays must be a positive integer of at most 3660.' }).waitFor();
    await expect(errorOf('keyRotationDays').textContent()).resolves.toContain('(BAD_USER_INPUT)');
    await expect(errorOf('maxMembers').count()).resolves.toBe(0);
    await harness.screenshot(page, 'tenant-limits-refused');
    const unchanged = await readLimits(id);
    expect(unchanged).toMatchObject({ overriddenLimits: [], limits: { maxDatasets: 1000, maxMembers: 1000, keyRotationDays: 90 } });
    // Saved: only the limits changed become the tenant's own.
    await limitInput('Key rotation (days)').fill('90');
    await limitInput('Max service accounts').fill('5');
    await limitInput('Max API keys per service account').fill('2');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await limits.getByRole('status').filter({ hasText: 'Saved maxDatasets, maxMembers, maxServiceAccounts, maxApiKeysPerServiceAccount.' }).waitFor();
    await row.getByText(/^7 datasets,.* 1 members/).waitFor();
    await row.getByText(/overridden: .*maxMembers/).waitFor();
    await expect(readLimits(id)).resolves.toEqual({
      overriddenLimits: ['maxApiKeysPerServiceAccount', 'maxDatasets', 'maxMembers', 'maxServiceAccounts'],
      limits: expect.objectContaining({ maxDatasets: 7, maxMembers: 1, maxServiceAccounts: 5, maxApiKeysPerServiceAccount: 2, keyRotationDays: 90 }),
    });
    // Read back after a reload; an emptied field returns its limit to the platform default.
    await page.reload();
    await page.getByRole('button', { name: `Limits of ${id}` }).click();
    await expect(limitInput('Max members').inputValue()).resolves.toBe('1');
    await expect(limitInput('Max API keys per service account').inputValue()).resolves.toBe('2');
    await note('maxMembers').filter({ hasText: 'this tenant’s own; in use: 1' }).waitFor();
    await limitInput('Max service accounts').fill('');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await limits.getByRole('status').filter({ hasText: 'Saved maxServiceAccounts.' }).waitFor();
    // The field shows the default once the table has read the tenant again.
    await note('maxServiceAccounts').filter({ hasText: 'platform default' }).waitFor();
    await waitForValue(limitInput('Max service accounts'), '100');
    await expect(readLimits(id)).resolves.toMatchObject({ overriddenLimits: ['maxApiKeysPerServiceAccount', 'maxDatasets', 'maxMembers'], limits: { maxServiceAccounts: 100 } });
    await harness.screenshot(page, 'tenant-provisioned');
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}`);
    await expectText(page, 'Your role does not include this part of the console.');
    // The editor's usage query names the tenant: tenant B's admin asking it for this tenant gets
    // NOT_FOUND and not one of its members, as for an id that never existed.
    const asB = await harness.stack.query(await harness.stack.issueToken({ tenant: tenantB.id, roles: ['admin'] }), print(ConsoleTenantAccessUsageDocument), { tenantId: id });
    expect([...new Set(errorCodes(asB))]).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(asB)).not.toContain(`${id}-owner`);
    expect(asB.data?.['members'] ?? null).toBeNull();
  });

  // Last, so it covers every page the tests above opened: the console needs no inline style or
  // script, which its policy (style-src 'self', script-src 'self') refuses.
  it('no page of the console broke its Content Security Policy', () => {
    const report = harness.cspReport();
    expect(report.pagesWatched).toBeGreaterThan(5);
    expect(report.violations).toEqual([]);
  });
});
