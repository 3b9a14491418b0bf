// The web console in a real browser against the real stack: one stack, two tenants, each role.
import type { Page } from 'playwright-core';
import type { TestTenant } from '@tessera/testing';
import { startConsoleHarness, type ConsoleHarness, type ConsoleUser } from './console-harness';

const irisCsv = ['sepal_length,sepal_width,petal_length,petal_width,label']
  .concat(Array.from({ length: 60 }, (_, i) => {
    const label = i % 2;
    return `${(5 + label + (i % 7) / 10).toFixed(1)},${(3 + (i % 5) / 10).toFixed(1)},${(1.5 + label * 3 + (i % 3) / 10).toFixed(1)},${(0.2 + label * 1.5).toFixed(1)},${label}`;
  }))
  .join('\n');

let harness: ConsoleHarness;
let tenantA: TestTenant;
let tenantB: TestTenant;
const users: Record<string, ConsoleUser> = {};
let datasetIdA = '';
let datasetVersionIdA = '';
let jobIdA = '';
let modelIdA = '';

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
  await harness?.stop();
}, 60_000);

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
    expect(await page.getByRole('button', { name: /^Use version/ }).count()).toBe(1);

    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('table', { name: 'Quotas' }).waitFor();
    await page.locator('figure[aria-label="Requests"] .recharts-line').first().waitFor();
    await harness.screenshot(page, 'metrics');
  }, 120_000);

  it('an admin reads the audit trail and verifies the chain', async () => {
    const page = await harness.signIn(users['adminA']!, '/audit');
    await page.getByRole('table', { name: 'Audit events' }).getByText(/dataset/i).first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByTestId('chain-result').filter({ hasText: 'Chain intact' }).waitFor();
    await harness.screenshot(page, 'audit');
    // Filters go to the server: no dataset event is a denial.
    await page.getByLabel('Action').fill('dataset.create');
    await page.getByLabel('Outcome').selectOption('DENIED');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('table', { name: 'Audit events' }).getByText('No events.').waitFor();
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

  it("tenant B's console shows nothing of A's, even with A's ids", async () => {
    const page = await harness.signIn(users['adminB']!, '/datasets');
    await expectText(page, 'No datasets.');
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}`);
    await page.getByTestId('who').waitFor();
    await page.locator('[data-code="NOT_FOUND"]').waitFor();
    expect(await page.content()).not.toContain('iris');
    await harness.screenshot(page, 'tenant-b-not-found');
    for (const path of [`/models/${modelIdA}`, `/jobs/${jobIdA}`]) {
      await page.goto(`${harness.console.url}${path}`);
      await page.locator('[data-code="NOT_FOUND"]').waitFor();
      expect(await page.content()).not.toContain('iris');
    }
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
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}`);
    await expectText(page, 'Your role does not include this part of the console.');
  });
});
