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

afterAll(async () => {
  await harness?.stop();
}, 60_000);

async function expectText(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor({ timeout: 15_000 });
}

describe('web console', () => {
  it('a data scientist signs in, creates a dataset and uploads a version with a progress bar', async () => {
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
    await harness.screenshot(page, 'datasets');
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
  });

  it("tenant B's console shows nothing of A's, even with A's ids", async () => {
    const page = await harness.signIn(users['adminB']!, '/datasets');
    await expectText(page, 'No datasets.');
    await page.goto(`${harness.console.url}/datasets/${datasetIdA}`);
    await page.getByTestId('who').waitFor();
    await page.locator('[data-code="NOT_FOUND"]').waitFor();
    expect(await page.content()).not.toContain('iris');
    await harness.screenshot(page, 'tenant-b-not-found');
  });
});
