// The web console in a real browser on a stack with ROLE_SOURCE=members: what it shows follows the
// roles the API enforces (`me`), not the token's roles claim. The same stack serves two checks that
// need no particular mode, to spare a second start: a view that cannot render the API's answer
// fails alone, and a version with more than a page of profiling jobs still shows its profile.
import type { Page, Response } from 'playwright-core';
import { expectNoErrors, type TestTenant } from '@tessera/testing';
import { startConsoleHarness, type ConsoleHarness, type ConsoleUser } from './console-harness';

let harness: ConsoleHarness;
let tenant: TestTenant;
let platformAdmin: string;
/** API-only actor of the tenant: a member with role DATA_SCIENTIST whose token claims no role. */
let scientist = '';
const users: Record<string, ConsoleUser> = {};
const members: Record<string, string> = {};

const inviteMember = 'mutation Invite($input: InviteMemberInput!) { inviteMember(input: $input) { id } }';
const changeMemberRole = 'mutation Change($id: ID!, $role: MemberRole!, $tenantId: ID) { changeMemberRole(id: $id, role: $role, tenantId: $tenantId) { id role } }';

async function invite(subject: string, role: string): Promise<string> {
  return expectNoErrors(await harness.stack.query<{ inviteMember: { id: string } }>(platformAdmin, inviteMember, { input: { tenantId: tenant.id, subject, role } })).inviteMember.id;
}

async function uploadDataset(name: string, csv: string): Promise<{ datasetId: string; versionId: string }> {
  const { stack } = harness;
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientist, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name } })).createDataset.id;
  const body = Buffer.from(csv, 'utf8');
  const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(scientist, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', { input: { datasetId, filename: `${name}.csv`, byteSize: body.length } })).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${scientist}` }, body });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(scientist, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id }));
  return { datasetId, versionId: version.completeDatasetUpload.id };
}

async function submitProfile(datasetVersionId: string): Promise<string> {
  return expectNoErrors(await harness.stack.query<{ submitProfileJob: { id: string } }>(scientist, 'mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }', { input: { datasetVersionId } })).submitProfileJob.id;
}

async function jobStatus(id: string): Promise<string> {
  return expectNoErrors(await harness.stack.query<{ job: { status: string } }>(scientist, 'query($id: ID!) { job(id: $id) { status } }', { id })).job.status;
}

function subjectOf(token: string): string {
  return String((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: unknown }).sub);
}

function navigation(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
}

beforeAll(async () => {
  // No worker at first: the profiling jobs cancelled below must stay queued until cancelled.
  harness = await startConsoleHarness({ access: { roleSource: 'members', cacheTtlMs: 60_000 } });
  tenant = await harness.stack.createTenant();
  platformAdmin = await harness.stack.platformAdminToken();
  scientist = await harness.stack.issueToken({ tenant: tenant.id, roles: [] });
  await invite(subjectOf(scientist), 'DATA_SCIENTIST');
  // Each console user's token claims the opposite of its membership (a dev-issuer user's subject is its name).
  const wanted: Array<[string, string, string | undefined]> = [
    ['claimsViewerIsAdmin', 'viewer', 'ADMIN'],
    ['claimsAdminIsViewer', 'admin', 'VIEWER'],
    ['claimsAdminNoMember', 'admin', undefined],
  ];
  for (const [key, claimed, role] of wanted) {
    users[key] = await harness.createUser({ tenant: tenant.id, role: claimed });
    if (role) members[key] = await invite(users[key]!.name, role);
  }
}, 120_000);

afterEach(async () => {
  await harness?.screenshotLast(expect.getState().currentTestName ?? 'test');
});

afterAll(async () => {
  await harness?.stop();
}, 60_000);

describe('web console (ROLE_SOURCE=members)', () => {
  it('shows what the membership allows, not what the token claims, and follows a role change on the next page', async () => {
    // Token: viewer; member: admin. The admin's areas and actions are shown, and the API accepts them.
    const admin = await harness.signIn(users['claimsViewerIsAdmin']!, '/datasets');
    await expect(admin.getByTestId('who').textContent()).resolves.toContain('· admin');
    expect(await navigation(admin)).toEqual(['Datasets', 'Models', 'Jobs', 'Metrics', 'Audit']);
    await admin.getByLabel('New dataset name').fill('by-member-admin');
    await admin.getByRole('button', { name: 'Create dataset' }).click();
    await admin.getByRole('heading', { name: 'Dataset by-member-admin' }).waitFor();
    await admin.getByRole('button', { name: 'Delete dataset' }).waitFor();
    await admin.getByLabel('Upload a new version (CSV)').waitFor();
    await admin.getByRole('link', { name: 'Audit' }).click();
    await admin.getByRole('table', { name: 'Audit events' }).waitFor();
    await harness.screenshot(admin, 'members-admin');

    // Token: admin; member: viewer. No write action and no Audit area: the API would refuse them.
    const viewer = await harness.signIn(users['claimsAdminIsViewer']!, '/datasets');
    await viewer.getByRole('link', { name: 'by-member-admin' }).waitFor();
    expect(await navigation(viewer)).toEqual(['Datasets', 'Models', 'Jobs', 'Metrics']);
    expect(await viewer.getByLabel('New dataset name').count()).toBe(0);
    await viewer.getByRole('link', { name: 'by-member-admin' }).click();
    await viewer.getByRole('heading', { name: 'Dataset by-member-admin' }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Delete dataset' }).count()).toBe(0);
    expect(await viewer.getByLabel('Upload a new version (CSV)').count()).toBe(0);
    await viewer.goto(`${harness.console.url}/audit`);
    await viewer.getByText('Your role does not include this part of the console.').waitFor();

    // Promoted to data scientist meanwhile: the next page offers creating a dataset.
    expectNoErrors(await harness.stack.query(platformAdmin, changeMemberRole, { id: members['claimsAdminIsViewer'], role: 'DATA_SCIENTIST', tenantId: tenant.id }));
    await viewer.getByRole('link', { name: 'Datasets' }).click();
    await viewer.getByLabel('New dataset name').waitFor();
    await expect(viewer.getByTestId('who').textContent()).resolves.toContain('· data_scientist');
    expect(await navigation(viewer)).toEqual(['Datasets', 'Models', 'Jobs', 'Metrics']);
  });

  it('a signed-in user who is no member of the tenant is told so, whatever its token claims, and can sign out', async () => {
    const page = await harness.signIn(users['claimsAdminNoMember']!, '/datasets');
    await page.locator('[role="alert"][data-code="FORBIDDEN"]').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(await page.getByLabel('New dataset name').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Tessera' }).waitFor();
  });

  it('a view that cannot render the API answer fails alone: a readable message, its request id, a way back', async () => {
    await uploadDataset('renders', 'a,b\n1,2\n3,4\n');
    const page = await harness.signIn(users['claimsViewerIsAdmin']!, '/datasets');
    await page.getByRole('link', { name: 'renders' }).waitFor();
    // The real answer to the dataset view, with its versions in a shape the view cannot draw.
    let broken: Response | undefined;
    await page.route(`${harness.stack.graphqlUrl}**`, async (route) => {
      const body = route.request().method() === 'POST' ? (route.request().postDataJSON() as { operationName?: string } | null) : null;
      if (body?.operationName !== 'ConsoleDataset') return route.continue();
      const response = await route.fetch();
      const json = (await response.json()) as { data?: { dataset?: { versions?: unknown } } };
      if (json.data?.dataset) json.data.dataset.versions = null;
      await route.fulfill({ response, json });
    });
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && (response.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'ConsoleDataset') broken = response;
    });
    await page.getByRole('link', { name: 'renders' }).click();
    await page.getByRole('heading', { name: 'This page could not be shown' }).waitFor();
    await page.locator('[role="alert"][data-code="RENDER_ERROR"]').getByText('The console could not display what the API answered.').waitFor();
    expect(broken).toBeDefined();
    const requestId = await broken!.headerValue('x-request-id');
    expect(requestId).toMatch(/\S/);
    expect(await page.getByTestId('request-id').textContent()).toBe(requestId);
    await harness.screenshot(page, 'view-error');
    // The rest of the console still works: the header, the menu, the way back.
    expect(await navigation(page)).toEqual(['Datasets', 'Models', 'Jobs', 'Metrics', 'Audit']);
    await page.getByRole('link', { name: 'Back to Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets', exact: true }).waitFor();
    expect(await page.getByRole('heading', { name: 'This page could not be shown' }).count()).toBe(0);
    // Once the answers are whole again, the same address renders.
    await page.unroute(`${harness.stack.graphqlUrl}**`);
    await page.getByRole('link', { name: 'renders' }).click();
    await page.getByRole('heading', { name: 'Dataset renders' }).waitFor();
    await page.getByRole('table', { name: 'Schema' }).waitFor();
  });

  it("shows a version's newest successful profile however many profiling jobs came before it", async () => {
    const { datasetId, versionId } = await uploadDataset('profiled', 'x,y\n1,2\n3,4\n5,6\n');
    // More jobs than a page of the job list, none with a profile: each cancelled while queued (no worker runs yet).
    for (let i = 0; i < 21; i++) {
      const id = await submitProfile(versionId);
      expectNoErrors(await harness.stack.query(scientist, 'mutation($id: ID!) { cancelJob(id: $id) { id } }', { id }));
      expect(await jobStatus(id)).toBe('CANCELLED');
    }
    await harness.stack.workers.start();
    const done = await submitProfile(versionId);
    const deadline = Date.now() + 90_000;
    while (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(await jobStatus(done)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await jobStatus(done)).toBe('SUCCEEDED');

    const page = await harness.signIn(users['claimsViewerIsAdmin']!, `/datasets/${datasetId}/versions/${versionId}`);
    const profile = page.getByRole('table', { name: 'Profile' });
    await profile.getByRole('cell', { name: 'y', exact: true }).waitFor();
    expect(await page.getByText(/Profiling job/).count()).toBe(0);
    expect(await page.getByText('Not profiled yet.').count()).toBe(0);
    await harness.screenshot(page, 'profile-after-many-jobs');
  });
});
