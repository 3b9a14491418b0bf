import { decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { GraphQLResponse, TestStack, TestTenant } from '@tessera/testing';
import { errorCodes } from '@tessera/testing';
import { quoteIdentifier } from '@tessera/tenancy';

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
