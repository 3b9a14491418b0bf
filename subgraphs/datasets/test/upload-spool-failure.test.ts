import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, newDataset, putBytes, reserveUpload } from './dataset-flow';

/**
 * The upload spool's disk failing (full, its directory gone or replaced) is the service's trouble,
 * not the upload's: the PUT is a typed, retryable SERVICE_UNAVAILABLE, the upload stays PENDING,
 * and the same URL takes the same body once the disk is back.
 */
describe('datasets: upload spool disk failure', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;
  const spoolDir = mkdtempSync(join(tmpdir(), 'tessera-csv-spool-failure-'));

  beforeAll(async () => {
    stack = await startTestStack({ uploadSpool: { dir: spoolDir } });
    tenant = await stack.createTenant();
    token = await tenant.token('data_scientist');
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  async function uploadStatus(uploadId: string): Promise<string | undefined> {
    const rows = (await stack.platform.runtime.db.query(`SELECT status FROM \`${tenant.schema}\`.dataset_uploads WHERE id = ?`, [uploadId])) as Array<{ status: string }>;
    return rows[0]?.status;
  }

  it('answers SERVICE_UNAVAILABLE and keeps the upload PENDING; the same URL succeeds once the disk is back', async () => {
    const datasetId = await newDataset(stack, token, 'spool-failure');
    const csv = Buffer.from('name,value\nalpha,1\nbeta,2\n');
    const upload = await reserveUpload(stack, token, datasetId, csv.length);

    // Something else sits where the spool's directory was: nothing can be written there.
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, '');
    const refused = await putBytes(upload.uploadUrl, token, csv);
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 });
    expect(refused.body.errors?.[0]?.message).not.toContain(spoolDir);
    expect(await uploadStatus(upload.id)).toBe('PENDING');

    rmSync(spoolDir, { force: true });
    const sent = await putBytes(upload.uploadUrl, token, csv);
    expect(sent.status).toBe(200);
    const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { rowCount: number } }>(token, completeUpload, { id: upload.id }));
    expect(version.completeDatasetUpload.rowCount).toBe(2);
  });
});
