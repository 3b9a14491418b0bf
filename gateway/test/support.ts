import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { buildLinearRegression } from '@tessera/onnx';
import type { GraphQLResponse, TestStack, TestTenant } from '@tessera/testing';
import { errorCodes, expectNoErrors } from '@tessera/testing';
import { quoteIdentifier } from '@tessera/tenancy';
import { FamilyKeys, mutualTlsClientOptions } from '@tessera/service-kit';

type SubgraphName = keyof TestStack['platform']['subgraphs'];

/** A write that must never land when the caller is refused. */
export const createDatasetMutation = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }';

/** Asserts a refused request: the HTTP status, exactly one typed error with `code`, and no data at all. */
export function expectRefused(response: GraphQLResponse<unknown>, status: number, code: string): void {
  expect({ status: response.status, codes: errorCodes(response) }).toEqual({ status, codes: [code] });
  expect(response.data ?? null).toBeNull();
}

/** Rows in the tenant's own `datasets` table, read straight from MySQL (not through the API under test). */
export async function countDatasets(stack: TestStack, tenant: TestTenant): Promise<number> {
  const rows = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(tenant.schema)}.datasets`)) as Array<{ n: number | string }>;
  return Number(rows[0]?.n);
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The claims of a compact JWT, unverified (we only copy them into forgeries). */
export function claimsOf(token: string): JWTPayload {
  return decodePart(token.split('.')[1]) as JWTPayload;
}

/** The same header (kid included) and claims as `token`, re-signed with a key the issuer never had. */
export async function resignWithForeignKey(token: string): Promise<string> {
  const { kid, typ } = decodeProtectedHeader(token);
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(claimsOf(token)).setProtectedHeader({ alg: 'ES256', ...(kid ? { kid } : {}), ...(typ ? { typ } : {}) }).sign(privateKey);
}

/** `token` with one byte of its signature changed. */
export function flipSignatureByte(token: string): string {
  const [header, payload, signature] = token.split('.');
  const bytes = Buffer.from(signature ?? '', 'base64url');
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** An unsigned (`alg: none`) token carrying the claims of `token`. */
export function unsignedCopy(token: string): string {
  const header = { ...decodeProtectedHeader(token), alg: 'none' };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${token.split('.')[1]}.`;
}

/** An HS256 token carrying the claims of `token`, keyed with `secret` (e.g. a public key, the classic confusion attack). */
export async function hmacCopy(token: string, secret: Uint8Array): Promise<string> {
  const { kid } = decodeProtectedHeader(token);
  return new SignJWT(claimsOf(token)).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }).sign(secret);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What came back on a raw connection so far: the status line's code, the body after the head, whether the gateway closed it. */
export interface RawAnswer {
  status: number | undefined;
  body: string;
  closed: boolean;
}

/**
 * A request written by hand on its own TLS connection to the gateway: `head` (request line and
 * headers, without the blank line) and `bodyPrefix`, then nothing more until the caller writes on
 * `socket` — a client that trickles or stalls. `answer` follows what the gateway sends.
 */
export async function rawGatewayRequest(stack: TestStack, head: string, bodyPrefix = ''): Promise<{ socket: TLSSocket; answer: RawAnswer }> {
  const url = new URL(stack.gatewayUrl);
  return rawRequest({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, head, bodyPrefix);
}

/** The same on a mutual-TLS connection straight to one subgraph, made with the certificate of `identity` (a service the subgraph admits). */
export async function rawSubgraphRequest(stack: TestStack, subgraph: SubgraphName, identity: string, head: string, bodyPrefix = ''): Promise<{ socket: TLSSocket; answer: RawAnswer }> {
  const url = new URL(stack.platform.subgraphs[subgraph].url);
  return rawRequest({ ...mutualTlsClientOptions(stack.pki.identity(identity), subgraph), host: url.hostname, port: Number(url.port) }, head, bodyPrefix);
}

async function rawRequest(options: ConnectionOptions, head: string, bodyPrefix: string): Promise<{ socket: TLSSocket; answer: RawAnswer }> {
  const answer: RawAnswer = { status: undefined, body: '', closed: false };
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const opened = connect(options, () => resolve(opened));
    opened.once('error', reject);
  });
  socket.on('error', () => undefined);
  let raw = '';
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString('utf8');
    answer.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]) || undefined;
    answer.body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  });
  socket.on('close', () => (answer.closed = true));
  socket.write(`${head}\r\n\r\n${bodyPrefix}`);
  return { socket, answer };
}

/** Polls `condition` every 25 ms; false if it still does not hold after `timeoutMs` (the caller asserts). */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * A model version of `tenant` whose stored file is `byteSize` random bytes: a small model is
 * uploaded through the gateway, then its object is replaced under the same key, sealed with the
 * model's own key as the models service seals it, and its recorded size set to match. The download
 * routes serve bytes whatever they are, so a large file costs no model building or validation.
 * Returns the version's id and the bytes.
 */
export async function storeLargeModelVersion(stack: TestStack, tenant: TestTenant, byteSize: number): Promise<{ versionId: string; bytes: Buffer }> {
  const token = await tenant.token('admin');
  const onnx = buildLinearRegression({ weights: [0.5, 0.25], bias: 0.5 });
  const modelId = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', { input: { name: 'big' } })).createModel.id;
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }', {
      input: { modelId, filename: 'big.onnx', byteSize: onnx.length },
    }),
  ).createModelUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(onnx) });
  expect(put.status).toBe(200);
  const versionId = expectNoErrors(await stack.query<{ completeModelUpload: { id: string } }>(token, 'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }', { id: upload.id })).completeModelUpload.id;

  const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
  const schema = quoteIdentifier(tenant.schema);
  const [row] = (await stack.platform.runtime.db.query(`SELECT object_key FROM ${schema}.model_versions WHERE id = ?`, [versionId])) as Array<{ object_key: string }>;
  const bytes = randomBytes(byteSize);
  const modelKey = await new FamilyKeys(scope, { table: 'model_keys', idColumn: 'model_id' }).forWriting(modelId);
  await scope.bucket.putEncryptedBuffer(row!.object_key, bytes, modelKey);
  await stack.platform.runtime.db.query(`UPDATE ${schema}.model_versions SET byte_size = ? WHERE id = ?`, [bytes.length, versionId]);
  return { versionId, bytes };
}
