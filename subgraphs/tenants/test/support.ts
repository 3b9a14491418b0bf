import { randomBytes } from 'node:crypto';
import type { GraphQLResponse, TestStack } from '@tessera/testing';
import { errorCodes } from '@tessera/testing';
import { quoteIdentifier, tenantBucketName, tenantSchemaName } from '@tessera/tenancy';

export const tenantFields = 'id displayName region tier status limits { maxUploadBytes maxStorageBytes costPerMinute } createdAt';

export const provisionMutation = `mutation Provision($input: ProvisionTenantInput!) {
  provisionTenant(input: $input) { created tenant { ${tenantFields} } }
}`;

export interface TenantView {
  id: string;
  displayName: string;
  region: string;
  tier: string;
  status: string;
  limits: { maxUploadBytes: number; maxStorageBytes: number; costPerMinute: number };
  createdAt: string;
}

export type ProvisionResult = { provisionTenant: { created: boolean; tenant: TenantView } };

/**
 * Test files run in parallel, each in its own worker process, and each provisions and drops
 * tenants. Every id minted here carries this process's tag, so the "no new schema appeared"
 * checks look only at this process's tenants and never at a neighbour's.
 */
const processTag = randomBytes(2).toString('hex');
const thisProcessTenantSchema = new RegExp(`^tenant_[a-z0-9_]+_${processTag}[0-9a-f]{8}$`);

/** A fresh tenant id of this process (see `processTag`). */
export function freshTenantId(prefix: string): string {
  return `${prefix}-${processTag}${randomBytes(4).toString('hex')}`;
}

// information_schema as the migrator: the service account sees only schemas it holds grants on.
export async function allSchemas(stack: TestStack): Promise<string[]> {
  const rows = (await stack.adminQuery('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/**
 * This stack's control schema and the tenant schemas of ids minted by this process, so a
 * before/after comparison is stable while other stacks (and dev servers) come and go.
 */
export async function ownSchemas(stack: TestStack): Promise<string[]> {
  return (await allSchemas(stack)).filter((name) => name === stack.config.database.controlSchema || thisProcessTenantSchema.test(name));
}

export async function schemaExists(stack: TestStack, schema: string): Promise<boolean> {
  const rows = (await stack.adminQuery('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
  return rows.length > 0;
}

export async function tablesOf(stack: TestStack, schema: string): Promise<string[]> {
  const rows = (await stack.adminQuery('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [schema])) as Array<{ name: string }>;
  return rows.map((row) => row.name).sort();
}

/** The S3 server belongs to this stack alone, so its bucket list is exact. */
export async function allBuckets(stack: TestStack): Promise<string[]> {
  const buckets = await stack.platform.runtime.objectStore.listBuckets();
  return buckets.map((bucket) => bucket.name).sort();
}

export async function objectNames(stack: TestStack, bucket: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of stack.platform.runtime.objectStore.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
  return names.sort();
}

export interface ControlRow {
  id: string;
  display_name: string;
  region: string;
  tier: string;
  status: string;
  /** The tenant's own limits (JSON); the rest follow the platform defaults. */
  limit_overrides: unknown;
  created_at: Date;
  updated_at: Date;
}

export interface KeyRow {
  tenant_id: string;
  version: number;
  wrapped_key: string;
  /** The key-encryption key version of the wrap (NULL: the retired master key's). */
  kek_version: number | null;
  status: string;
  created_at: Date;
}

function control(stack: TestStack, table: string): string {
  return `${quoteIdentifier(stack.config.database.controlSchema)}.${table}`;
}

export async function controlRows(stack: TestStack, id?: string): Promise<ControlRow[]> {
  const where = id === undefined ? '' : ' WHERE id = ?';
  return (await stack.platform.runtime.db.query(`SELECT * FROM ${control(stack, 'tenants')}${where} ORDER BY id`, id === undefined ? [] : [id])) as ControlRow[];
}

export async function keyRows(stack: TestStack, id?: string): Promise<KeyRow[]> {
  const where = id === undefined ? '' : ' WHERE tenant_id = ?';
  return (await stack.platform.runtime.db.query(`SELECT * FROM ${control(stack, 'tenant_keys')}${where} ORDER BY tenant_id, version`, id === undefined ? [] : [id])) as KeyRow[];
}

/** Everything provisioning can create, as seen directly in MySQL and S3 (not through the API). */
export async function snapshot(stack: TestStack) {
  return {
    schemas: await ownSchemas(stack),
    buckets: await allBuckets(stack),
    tenants: await controlRows(stack),
    keys: await keyRows(stack),
  };
}

/** What exists for one (valid) tenant id. */
export async function footprint(stack: TestStack, id: string) {
  return {
    row: (await controlRows(stack, id)).length,
    keys: (await keyRows(stack, id)).length,
    schema: await schemaExists(stack, tenantSchemaName(id)),
    bucket: await stack.platform.runtime.objectStore.bucketExists(bucketOf(stack, id)),
  };
}

export function bucketOf(stack: TestStack, id: string): string {
  return tenantBucketName(stack.config.objectStore.bucketPrefix, id);
}

export const nothing = { row: 0, keys: 0, schema: false, bucket: false };

/** Exactly one typed error with `code`, and no data. */
export function expectOnlyError(response: GraphQLResponse<unknown>, code: string): void {
  expect(errorCodes(response)).toEqual([code]);
  expect(response.data ?? null).toBeNull();
}

/** Removes tenants this file provisioned through the API (the harness only removes its own). */
export async function deprovisionAll(stack: TestStack, ids: Iterable<string>): Promise<void> {
  for (const id of ids) await stack.platform.provisioner.deprovision(id).catch(() => undefined);
}
