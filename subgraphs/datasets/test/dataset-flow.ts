import type { TestStack } from '@tessera/testing';
import { expectNoErrors } from '@tessera/testing';

export const createDataset = `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }`;
export const createUpload = `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl method declaredBytes expiresAt status } }`;
export const completeUpload = `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id number rowCount byteSize sha256 columns { name type nullable nullCount } } }`;

export interface PutResult {
  status: number;
  body: { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions: { code: string } }> };
}

/** PUTs bytes to an upload URL (through the gateway) as a browser would. */
export async function putBytes(url: string, token: string | undefined, body: Buffer, contentType = 'text/csv'): Promise<PutResult> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as PutResult['body'] };
}

export async function newDataset(stack: TestStack, token: string, name: string): Promise<string> {
  const data = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name } }));
  return data.createDataset.id;
}

export async function reserveUpload(stack: TestStack, token: string, datasetId: string, byteSize: number) {
  const data = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, createUpload, { input: { datasetId, filename: 'data.csv', byteSize } }),
  );
  return data.createDatasetUpload;
}

/** The whole staged-upload flow; returns the new version. */
export async function uploadVersion(stack: TestStack, token: string, datasetId: string, csv: Buffer) {
  const upload = await reserveUpload(stack, token, datasetId, csv.length);
  const put = await putBytes(upload.uploadUrl, token, csv);
  if (put.status !== 200) throw new Error(`upload failed: ${JSON.stringify(put.body)}`);
  const data = expectNoErrors(
    await stack.query<{ completeDatasetUpload: { id: string; number: number; rowCount: number; columns: Array<{ name: string; type: string }> } }>(token, completeUpload, { id: upload.id }),
  );
  return data.completeDatasetUpload;
}
