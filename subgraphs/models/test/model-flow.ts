import { randomBytes, randomUUID } from 'node:crypto';
import { settleDeferredRecords } from '@tessera/audit-client';
import { buildLinearRegression, buildLogisticRegression, buildMlp } from '@tessera/onnx';
import type { TestStack, TestTenant } from '@tessera/testing';
import { expectNoErrors, tenantState, withAuditDetails } from '@tessera/testing';
import { modelKeys } from '../src/data/model-keys';

export const createModel = `mutation($input: CreateModelInput!) { createModel(input: $input) { id name } }`;
export const createUpload = `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl method declaredBytes expiresAt status } }`;
export const completeUpload = `mutation($id: ID!, $key: String) { completeModelUpload(uploadId: $id, idempotencyKey: $key) { id number sha256 byteSize } }`;
export const setAlias = `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias version { id number } updatedBy } }`;
export const removeAlias = `mutation($modelId: ID!, $alias: String!) { removeModelAlias(modelId: $modelId, alias: $alias) { modelId alias versionNumber } }`;
export const deleteVersion = `mutation($id: ID!) { deleteModelVersion(id: $id) { id modelId number } }`;
export const deleteModel = `mutation($id: ID!) { deleteModel(id: $id) { id deletedVersions deletedObjects } }`;
export const predictQuery = `query($input: PredictInput!) { predict(input: $input) { outputs { name elementType shape data } modelVersion { id number } batchSize } }`;

/**
 * Every table of the model registry: "nothing changed" covers all of them and the bucket. (The
 * audit trail is checked on its own: the relay moves events between two tables at any moment,
 * and denials may be audited by design.)
 */
export const modelTables = ['models', 'model_versions', 'model_aliases', 'model_uploads', 'inference_stats', 'datasets', 'jobs'] as const;

export const modelState = (stack: TestStack, tenant: TestTenant) => tenantState(stack, tenant, modelTables);

export interface PutResult {
  status: number;
  body: { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions: { code: string; reason?: string } }> };
}

/** PUTs bytes to an upload URL through the gateway, as a client would. */
export async function putBytes(url: string, token: string | undefined, body: Uint8Array): Promise<PutResult> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: Buffer.from(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as PutResult['body'] };
}

export async function newModel(stack: TestStack, token: string, name: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, createModel, { input: { name } })).createModel.id;
}

export async function reserveUpload(stack: TestStack, token: string, modelId: string, byteSize: number) {
  return expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, createUpload, { input: { modelId, filename: 'model.onnx', byteSize } }),
  ).createModelUpload;
}

export interface UploadedVersion {
  id: string;
  number: number;
  sha256: string;
  byteSize: number;
}

/** The whole staged-upload flow; returns the new version. */
export async function uploadVersion(stack: TestStack, token: string, modelId: string, onnx: Uint8Array): Promise<UploadedVersion> {
  const upload = await reserveUpload(stack, token, modelId, onnx.length);
  const put = await putBytes(upload.uploadUrl, token, onnx);
  if (put.status !== 200) throw new Error(`upload failed: ${JSON.stringify(put.body)}`);
  return expectNoErrors(await stack.query<{ completeModelUpload: UploadedVersion }>(token, completeUpload, { id: upload.id })).completeModelUpload;
}

export interface PredictOutput {
  name: string;
  elementType: string;
  shape: number[];
  data: Array<number | null>;
}

export interface PredictionResult {
  predict: { outputs: PredictOutput[]; modelVersion: { id: string; number: number }; batchSize: number };
}

export function predict(stack: TestStack, token: string, input: Record<string, unknown>) {
  return stack.query<PredictionResult>(token, predictQuery, { input });
}

/** Rows of features → one `input` tensor of shape [rows, features]. */
export function rowsInput(rows: number[][], name = 'input') {
  return { name, shape: [rows.length, rows[0]!.length], data: rows.flat() };
}

export const linearSpec = { weights: [0.5, -1.25, 2], bias: 0.75 };
export const linearModel = () => buildLinearRegression(linearSpec);
export const logisticModel = () => buildLogisticRegression({ weights: [1.5, -0.5], bias: -0.25 });

/** A 3 → 4 (relu) → 2 (none) MLP with small fixed weights. */
export const mlpSpec = {
  layers: [
    {
      weights: [
        [0.2, -0.4, 0.6, 0.1],
        [-0.3, 0.5, 0.2, -0.7],
        [0.9, 0.1, -0.8, 0.4],
      ],
      bias: [0.1, -0.2, 0.05, 0],
      activation: 'relu' as const,
    },
    {
      weights: [
        [1, -1],
        [0.5, 0.25],
        [-0.75, 2],
        [0.3, 0.3],
      ],
      bias: [0.5, -0.5],
      activation: 'none' as const,
    },
  ],
};
export const mlpModel = () => buildMlp(mlpSpec);

/** The MLP computed by hand (float64; onnxruntime works in float32, compare with toBeCloseTo). */
export function mlpByHand(row: number[]): number[] {
  let h = row;
  for (const layer of mlpSpec.layers) {
    const units = layer.bias.length;
    const out: number[] = [];
    for (let j = 0; j < units; j += 1) {
      let sum = layer.bias[j]!;
      for (let i = 0; i < h.length; i += 1) sum += h[i]! * layer.weights[i]![j]!;
      out.push(layer.activation === 'relu' ? Math.max(0, sum) : sum);
    }
    h = out;
  }
  return h;
}

export const linearByHand = (row: number[]) => row.reduce((sum, x, i) => sum + x * linearSpec.weights[i]!, linearSpec.bias);
export const logisticByHand = (row: number[]) => 1 / (1 + Math.exp(-(1.5 * row[0]! - 0.5 * row[1]! - 0.25)));

export interface AuditRow {
  action: string;
  targetId: string | null;
  actorSubject: string;
  details: Record<string, unknown>;
}

/**
 * The tenant's audit trail in write order: events already chained (audit_events) and those the
 * relay has not moved yet (audit_outbox), read in one statement so a relay run cannot hide or
 * double one.
 */
export async function auditTrail(stack: TestStack, tenant: TestTenant): Promise<AuditRow[]> {
  await settleDeferredRecords(); // the records written just after an answer (cross-tenant attempts)
  const rows = (await stack.platform.runtime.db.query(
    `SELECT seq, action, target_id, actor_subject, details_json, occurred_at FROM \`${tenant.schema}\`.audit_events
     UNION ALL
     SELECT NULL AS seq, action, target_id, actor_subject, details_json, occurred_at FROM \`${tenant.schema}\`.audit_outbox
     ORDER BY occurred_at`,
  )) as Array<{ seq: number | null; action: string; target_id: string | null; actor_subject: string; details_json: string | Record<string, unknown> }>;
  // Chained events keep their details sealed beside the chain: read them as the audit service does.
  await withAuditDetails(stack, tenant.id, rows.filter((row) => row.seq !== null));
  return rows.map((row) => ({
    action: row.action,
    targetId: row.target_id,
    actorSubject: row.actor_subject,
    details: typeof row.details_json === 'string' ? (JSON.parse(row.details_json) as Record<string, unknown>) : row.details_json,
  }));
}

/** A staged upload's status, read straight from the tenant's schema. */
export async function uploadStatus(stack: TestStack, tenant: TestTenant, uploadId: string): Promise<string | undefined> {
  const rows = await stack.adminQuery<Array<{ status: string }>>(`SELECT status FROM \`${tenant.schema}\`.model_uploads WHERE id = ?`, [uploadId]);
  return rows[0]?.status;
}

/** Waits (up to 5 s) for a staged upload to reach `status`. */
export async function waitForUploadStatus(stack: TestStack, tenant: TestTenant, uploadId: string, status: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await uploadStatus(stack, tenant, uploadId)) === status) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`upload ${uploadId} never became ${status} (is ${await uploadStatus(stack, tenant, uploadId)})`);
}

/**
 * Replaces a version's stored object by `byteSize` random bytes under the model's key (and its
 * recorded size to match): a file far larger than any linear model, without uploading one. Returns the bytes.
 */
export async function replaceVersionObject(stack: TestStack, tenant: TestTenant, modelId: string, versionId: string, byteSize: number): Promise<Buffer> {
  const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
  const [row] = (await stack.platform.runtime.db.query(`SELECT object_key FROM \`${tenant.schema}\`.model_versions WHERE id = ?`, [versionId])) as Array<{ object_key: string }>;
  const bytes = randomBytes(byteSize);
  await scope.bucket.putEncryptedBuffer(row!.object_key, bytes, await modelKeys(scope).forWriting(modelId));
  await stack.platform.runtime.db.query(`UPDATE \`${tenant.schema}\`.model_versions SET byte_size = ? WHERE id = ?`, [bytes.length, versionId]);
  return bytes;
}
